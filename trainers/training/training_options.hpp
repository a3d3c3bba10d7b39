// This file implements TrainingOptions, the training recipe read from the config's
// "training" section, and Int8Options, the "quantization" section (see docs/config.md).
#pragma once

#include <atomic>

#include <cstdint>
#include <string>

namespace hwnas {

enum class OptimizerKind { kSgd, kAdam };

/// Random image augmentation, drawn per sample and per epoch from the run's seed. Only
/// for image inputs (H x W x C); 1-D inputs (sensor windows) shift along their length.
struct AugmentOptions {
  int max_shift = 0;             ///< shift by up to this many pixels each way (zero fill)
  bool horizontal_flip = false;  ///< mirror left-right with probability 1/2
  bool enabled() const { return max_shift > 0 || horizontal_flip; }
};

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
  AugmentOptions augment;
  /// When set and true, training stops before the next step with the failure "cancelled"
  /// (a search winding down on a signal). Not part of the recipe: never saved.
  const std::atomic<bool>* cancel = nullptr;
};

/// Post-training quantisation and, when it loses too much, quantisation-aware
/// fine-tuning (QAT) of the deployed (batch-norm folded) network.
struct Int8Options {
  int64_t calibration_samples = 256;  ///< training samples used to set activation ranges
  /// Fine-tune when validation accuracy drops by more than this (a fraction: 0.01 is one
  /// point) from float to int8. Negative: never fine-tune.
  double qat_max_drop = 0.01;
  int qat_epochs = 2;
  double qat_learning_rate = 0.005;  ///< constant-then-cosine from this, SGD as in training
};

}  // namespace hwnas
