// This file implements int8 post-training quantisation (PTQ) in the TF Lite Micro /
// CMSIS-NN scheme: calibrate the range of every activation tensor on a sample of the
// training data, then quantise weights, biases and requantisation multipliers op by op
// (see docs/quantization.md for the formulas).
#pragma once

#include <cstdint>
#include <vector>

#include "space/architecture.hpp"
#include "trainers/data/dataset.hpp"
#include "trainers/deploy/folded_model.hpp"
#include "trainers/deploy/quantized_model.hpp"
#include "trainers/model/trained_model.hpp"

namespace hwnas {

struct QuantizeOptions {
  /// Calibration samples, spread evenly over the calibration set (all if it is smaller).
  int64_t calibration_samples = 256;
};

/// The smallest and largest value a tensor took during calibration.
struct TensorRange {
  double lo = 0.0;
  double hi = 0.0;
};

/// Ranges of every tensor of `model` (0 included, so an empty set gives [0, 0]) over
/// the calibration samples, from the float reference inference.
/// NOTE: runs samples in parallel; min and max do not depend on the order.
std::vector<TensorRange> calibrate(const FoldedModel& model, const Dataset& calibration,
                                   const QuantizeOptions& options = {});

/// Quantises `model`. Activation parameters come from the calibrated ranges, except
/// where TF Lite fixes them: pool and reshape outputs keep their input's parameters,
/// softmax outputs are scale 1/256, zero point -128.
/// Requires calibration samples of the model's input size.
QuantizedModel quantize(const FoldedModel& model, const Dataset& calibration,
                        const QuantizeOptions& options = {});

/// Quantises `model` with the given activation ranges (one per tensor, as calibrate()
/// returns them; quantisation-aware training learns its own), by the same rules as
/// quantize().
QuantizedModel quantize_with_ranges(const FoldedModel& model,
                                    const std::vector<TensorRange>& ranges);

/// Folds (fold_model) and quantises a trained network.
QuantizedModel quantize(const Architecture& arch, const TrainedModel& trained,
                        const Dataset& calibration, const QuantizeOptions& options = {});

}  // namespace hwnas
