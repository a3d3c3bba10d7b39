// This file implements footprint_bounds (see footprint_bounds.hpp).
#include "estimators/footprint_bounds.hpp"

#include <algorithm>

namespace hwnas {

namespace {

// Weights (int8) and biases (int32, always present once batch norm is folded in).
int64_t layer_flash(const Layer& l, const LayerStats& s) {
  switch (l.op) {
    case OpKind::kConv2D:
    case OpKind::kDepthwiseConv2D:
    case OpKind::kDense: {
      const int64_t out_channels = l.output_shape.c;
      const int64_t weights = s.params - (l.use_bias ? out_channels : 0);
      return weights + 4 * out_channels;
    }
    default:
      return 0;  // batch_norm folds into the producer; other ops have no parameters
  }
}

// Index of the last layer that reads tensor `producer` (the network output lives to the end).
std::vector<size_t> last_use(const Architecture& arch) {
  std::vector<size_t> last(arch.size());
  for (size_t i = 0; i < arch.size(); ++i) {
    const auto& consumers = arch.consumers(i);
    last[i] = consumers.empty() ? arch.size() : size_t(consumers.back());
  }
  return last;
}

}  // namespace

FootprintBounds footprint_bounds(const Architecture& arch) {
  FootprintBounds b;
  for (size_t i = 0; i < arch.size(); ++i) b.flash_bytes += layer_flash(arch.layer(i), arch.stats(i));

  const auto last = last_use(arch);
  size_t input_last = 0;  // the network input is live until its last reader
  for (size_t i = 0; i < arch.size(); ++i)
    for (int p : arch.input_indices(i))
      if (p == Architecture::kNetworkInput) input_last = i;
  for (size_t step = 0; step < arch.size(); ++step) {
    int64_t live = step <= input_last ? arch.input_shape().elements() : 0;
    for (size_t t = 0; t <= step; ++t)
      if (last[t] >= step) live += arch.stats(t).output_elements;
    b.ram_bytes = std::max(b.ram_bytes, live);
  }
  return b;
}

}  // namespace hwnas
