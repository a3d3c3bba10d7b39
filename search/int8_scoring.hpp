// This file implements int8 scoring of a trained candidate: the network is folded,
// quantised with a calibration sample of its training data and run through the
// integer-only reference inference on the validation and test splits, so every candidate
// carries the accuracy of what would run on the board beside its float accuracy. When
// quantisation costs too much validation accuracy, the deployed network is fine-tuned with
// quantisation in the loop (QAT, trainers/qat/qat.hpp) and quantised again; the better int8
// model on validation is kept.
#pragma once

#include <cstdint>
#include <string>

#include "space/architecture.hpp"
#include "trainers/data/dataset.hpp"
#include "trainers/deploy/folded_model.hpp"
#include "trainers/deploy/quantized_model.hpp"
#include "trainers/training/trainer.hpp"
#include "trainers/training/training_options.hpp"

namespace hwnas {

struct Int8Scores {
  bool ok = false;
  std::string failure;            ///< why not ok
  double val_float = 0.0;         ///< deployed float model (batch norm folded), before any QAT
  double val_int8 = 0.0;          ///< the kept int8 model
  double test_int8 = -1.0;        ///< the kept int8 model; -1 without a test split
  double val_agreement = 0.0;     ///< share of validation samples where float and PTQ int8 agree
  double val_int8_ptq = 0.0;      ///< post-training quantisation, before any QAT
  bool qat_applied = false;       ///< QAT ran (val_float - val_int8_ptq > qat_max_drop)
  bool qat_kept = false;          ///< QAT's int8 model scored higher on validation and is kept
  double val_int8_qat = -1.0;     ///< QAT's int8 model; -1 when QAT did not run or failed
  std::string qat_failure;        ///< why QAT gave no model (e.g. a NaN loss); empty otherwise
  double qat_seconds = 0.0;       ///< fine-tuning and re-quantisation (included in seconds)
  double seconds = 0.0;
};

/// The int8 model a trained network deploys as, and how it scores.
struct Int8Outcome {
  Int8Scores scores;
  FoldedModel folded;         ///< the float deployed model it was quantised from (QAT-tuned if kept)
  QuantizedModel quantized;   ///< the int8 model (empty when !scores.ok)
};

/// Folds `trained` (a network of `arch`), quantises it with int8.calibration_samples
/// training samples and scores it on `validation`. When val_float - val_int8 exceeds
/// int8.qat_max_drop (>= 0) and int8.qat_epochs > 0, fine-tunes the deployed network with
/// quantisation-aware training (`training`'s recipe at int8.qat_learning_rate, shuffled
/// from `seed`) and keeps its int8 model if it scores higher on validation. The kept
/// model alone is scored on `test` (never used to select). Never throws for a bad
/// candidate: a failure is reported in scores.
/// NOTE: the same arguments give the same outcome with any number of threads.
Int8Outcome quantize_with_optional_qat(const Architecture& arch, const TrainedModel& trained,
                                       const Dataset& train, const Dataset& validation,
                                       const Dataset* test, const TrainingOptions& training,
                                       const Int8Options& int8, uint64_t seed);

/// quantize_with_optional_qat's scores.
Int8Scores score_int8(const Architecture& arch, const TrainedModel& trained, const Dataset& train,
                      const Dataset& validation, const Dataset* test,
                      const TrainingOptions& training, const Int8Options& int8, uint64_t seed);

}  // namespace hwnas
