// This file implements int8 scoring of a trained candidate: the network is folded,
// quantised with a calibration sample of its training data and run through the
// integer-only reference inference on the validation and test splits, so every candidate
// carries the accuracy of what would run on the board beside its float accuracy.
#pragma once

#include <string>

#include "space/architecture.hpp"
#include "trainers/dataset.hpp"
#include "trainers/trainer.hpp"

namespace hwnas {

struct Int8Scores {
  bool ok = false;
  std::string failure;            ///< why not ok
  double val_float = 0.0;         ///< deployed float model (batch norm folded)
  double val_int8 = 0.0;
  double test_int8 = -1.0;        ///< -1 without a test split
  double val_agreement = 0.0;     ///< share of validation samples where float and int8 agree
  double seconds = 0.0;
};

/// Quantises `trained` (calibrated on `train`) and scores it. Never throws for a bad
/// candidate: a failure is reported in the result.
Int8Scores score_int8(const Architecture& arch, const TrainedModel& trained, const Dataset& train,
                      const Dataset& validation, const Dataset* test);

}  // namespace hwnas
