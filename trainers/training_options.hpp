// This file implements TrainingOptions, the training recipe read from the config's
// "training" section (see docs/config.md).
#pragma once

#include <string>

namespace hwnas {

enum class OptimizerKind { kSgd, kAdam };

struct TrainingOptions {
  int epochs = 1;
  int batch_size = 64;
  OptimizerKind optimizer = OptimizerKind::kSgd;
  double learning_rate = 0.05;
  double momentum = 0.9;       ///< SGD only
  bool nesterov = true;        ///< SGD only
  double weight_decay = 5e-4;  ///< L2 on weights (not on biases or batch-norm parameters)
  double warmup_epochs = 0.0;  ///< linear warm-up, then cosine decay to 0
  double label_smoothing = 0.0;
};

}  // namespace hwnas
