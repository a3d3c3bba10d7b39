// This file implements the quantisation formulas of QuantizedModel (see
// quantized_model.hpp) and its dequantised float form.
#include "trainers/deploy/quantized_model.hpp"

#include <algorithm>
#include <cmath>

namespace hwnas {

int8_t quantize_value(double real, QuantParams q) {
  const double v = std::round(real / double(q.scale)) + double(q.zero_point);
  return int8_t(std::clamp(v, -128.0, 127.0));
}

QuantParams params_for_range(double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  QuantParams q;
  if (hi - lo <= 0.0) return q;  // an all-zero tensor: any scale is exact
  q.scale = float((hi - lo) / 255.0);
  const double zero = -128.0 - lo / double(q.scale);
  q.zero_point = int32_t(std::clamp(std::round(zero), -128.0, 127.0));
  return q;
}

std::pair<int32_t, int32_t> activation_range(Activation activation, QuantParams out) {
  int32_t lo = -128, hi = 127;
  if (activation != Activation::kNone) lo = std::max(lo, out.zero_point);
  if (activation == Activation::kRelu6)
    hi = std::min<int32_t>(hi, out.zero_point + int32_t(std::round(6.0 / double(out.scale))));
  return {lo, hi};
}

FoldedModel dequantize_model(const QuantizedModel& model) {
  FoldedModel f;
  f.input_shape = model.input_shape;
  f.tensor_shapes = model.tensor_shapes;
  f.output_tensor = model.output_tensor;
  f.score_tensor = model.score_tensor;
  for (const QuantizedOp& q : model.ops) {
    FoldedOp op;
    op.deploy = q.deploy;
    op.geometry = q.geometry;
    op.depth_multiplier = q.depth_multiplier;
    op.activation = q.activation;
    op.weights.resize(q.weights.size());
    for (size_t i = 0; i < q.weights.size(); ++i)
      op.weights[i] = double(q.weight_scales[size_t(weight_channel(op, i))]) * double(q.weights[i]);
    const double input_scale = model.tensor_params[size_t(q.deploy.inputs[0])].scale;
    for (size_t c = 0; c < q.biases.size(); ++c)
      op.bias.push_back(input_scale * double(q.weight_scales[c]) * double(q.biases[c]));
    f.ops.push_back(std::move(op));
  }
  return f;
}

}  // namespace hwnas
