// This file implements the accuracy report of a quantised network: the float model and
// its int8 form scored on the same samples, which is what a search ranks candidates by
// (the int8 model is what runs on the board).
#pragma once

#include <cstdint>

#include "trainers/data/dataset.hpp"
#include "trainers/deploy/folded_model.hpp"
#include "trainers/deploy/quantized_model.hpp"

namespace hwnas {

struct QuantizedAccuracy {
  double float_accuracy = 0.0;  ///< the float deployed model (batch norm folded)
  double int8_accuracy = 0.0;   ///< the integer-only reference inference
  double agreement = 0.0;       ///< share of samples on which both predict the same class
  int64_t samples = 0;
};

/// Scores both models on every sample of `data` (predictions: argmax of each model's
/// score tensor, first on ties); all zero for an empty set.
/// NOTE: runs samples in parallel; the counts do not depend on the thread count.
/// With `compare_float` false only the int8 model runs (float_accuracy and agreement stay
/// 0), which halves the cost. Both sides run batched (Int8BatchRunner, bit-exact with
/// Int8Reference; FloatBatchRunner, float32): see docs/quantization.md, "Scoring speed".
QuantizedAccuracy evaluate_quantized(const FoldedModel& float_model,
                                     const QuantizedModel& int8_model, const Dataset& data,
                                     bool compare_float = true);

}  // namespace hwnas
