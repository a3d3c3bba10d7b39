// This file implements the one place that computes a layer's parameter count, MACs and
// activation sizes. Estimators, the search and reports all read these numbers.
//
// Conventions (documented in docs/architecture-ir.md):
// - params count every stored value: weights, biases, and 4 per channel for batch_norm
//   (gamma, beta, moving mean, moving variance), as Keras' "Total params" does.
// - MACs count multiply-accumulates of conv2d, depthwise_conv2d and dense only. Pooling,
//   add and activations are not MACs (the latency model prices them by elements), and
//   batch_norm is folded into the preceding convolution on the device.
// - Activation sizes are elements per sample (= bytes in int8).
#pragma once

#include <cstdint>
#include <vector>

#include "space/layer.hpp"

namespace hwnas {

struct LayerStats {
  int64_t params = 0;
  int64_t macs = 0;
  int64_t input_elements = 0;   ///< sum over all inputs
  int64_t output_elements = 0;
};

/// Stats of `layer` given its (already validated) input shapes and inferred output shape.
LayerStats compute_layer_stats(const Layer& layer, const std::vector<TensorShape>& input_shapes);

}  // namespace hwnas
