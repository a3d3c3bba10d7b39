// This file implements compute_layer_stats (see layer_stats.hpp for the conventions).
#include "space/layer_stats.hpp"

namespace hwnas {

LayerStats compute_layer_stats(const Layer& layer, const std::vector<TensorShape>& input_shapes) {
  LayerStats s;
  for (const auto& in : input_shapes) s.input_elements += in.elements();
  const TensorShape& out = layer.output_shape;
  s.output_elements = out.elements();
  const int64_t cin = input_shapes.empty() ? 0 : input_shapes[0].c;
  const int64_t kernel = int64_t(layer.kernel_h) * layer.kernel_w;
  switch (layer.op) {
    case OpKind::kConv2D:
      s.params = kernel * cin * layer.filters + (layer.use_bias ? layer.filters : 0);
      s.macs = int64_t(out.h) * out.w * out.c * kernel * cin;
      break;
    case OpKind::kDepthwiseConv2D:
      s.params = kernel * out.c + (layer.use_bias ? out.c : 0);
      s.macs = int64_t(out.h) * out.w * out.c * kernel;
      break;
    case OpKind::kDense:
      s.params = input_shapes[0].elements() * layer.units + (layer.use_bias ? layer.units : 0);
      s.macs = input_shapes[0].elements() * layer.units;
      break;
    case OpKind::kBatchNorm:
      s.params = 4 * cin;
      break;
    default:
      break;
  }
  return s;
}

}  // namespace hwnas
