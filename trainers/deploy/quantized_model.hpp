// This file implements QuantizedModel, an int8 network in TF Lite Micro / CMSIS-NN form:
// one quantised op per DeployOp, per-output-channel symmetric int8 weights, int32
// biases, per-tensor asymmetric int8 activations, fixed-point requantisation and fused
// activation clamps. quantize.hpp builds it; int8_reference.hpp runs it.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "trainers/deploy/fixed_point.hpp"
#include "trainers/deploy/folded_model.hpp"

namespace hwnas {

/// real = scale * (q - zero_point). Scales are float, as TF Lite stores them (so the
/// multipliers TF Lite Micro derives at Prepare time are the ones we use).
struct QuantParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

/// Nearest int8 of `real` (round half away from zero, then saturate).
int8_t quantize_value(double real, QuantParams q);
inline double dequantize_value(int32_t q, QuantParams p) {
  return double(p.scale) * double(q - p.zero_point);
}
/// TF Lite's asymmetric int8 parameters for the range [lo, hi] widened to include 0:
/// scale = (hi - lo) / 255, zero_point = round(-128 - lo / scale) within [-128, 127].
QuantParams params_for_range(double lo, double hi);
/// The int8 range [min, max] of `activation` in `out` (TF Lite's
/// CalculateActivationRangeQuantized): relu from quantize(0), relu6 up to quantize(6).
std::pair<int32_t, int32_t> activation_range(Activation activation, QuantParams out);

/// One deployed op in int8. Which fields a kind uses:
///  - MAC ops (kConv, kPointwiseConv, kDepthwiseConv, kDense) and kScale (run as a 1x1
///    depthwise conv): weights (FoldedOp's layouts), weight_scales and biases
///    (scale input_scale * weight_scale[c]) and output_multipliers, per output channel,
///    for input_scale * weight_scale[c] / output_scale.
///  - kAdd: input_multipliers (input_scale[i] / (2 max input scale)), left_shift 20 and
///    one output multiplier (2 max input scale / (2^20 output scale)), as TF Lite's ADD.
///  - kConcat: input_multipliers (input_scale[i] / output_scale; unused where the input's
///    parameters equal the output's: a copy).
///  - kGlobalPool (TF Lite MEAN) and kActivation: one output multiplier, input_scale /
///    output_scale.
///  - kPool, kReshape: none (output parameters equal the input's, as TF Lite requires).
///  - kSoftmax: none (output scale 1/256, zero point -128).
/// Whether an op's int8 weights share one scale (dense, as TF Lite's FULLY_CONNECTED)
/// rather than one per output channel (convolutions); see quantize.cpp.
inline bool per_tensor_weights(DeployKind kind) { return kind == DeployKind::kDense; }

struct QuantizedOp {
  DeployOp deploy;
  WindowGeometry geometry;
  int depth_multiplier = 1;
  Activation activation = Activation::kNone;
  int32_t activation_min = -128;  ///< the output clamp, fused activation included
  int32_t activation_max = 127;
  std::vector<int8_t> weights;
  std::vector<float> weight_scales;  ///< per output channel (all equal: per_tensor_weights)
  std::vector<int32_t> biases;       ///< per output channel
  std::vector<QuantizedMultiplier> output_multipliers;
  std::vector<QuantizedMultiplier> input_multipliers;
  int left_shift = 0;
};

struct QuantizedModel {
  TensorShape input_shape;
  std::vector<TensorShape> tensor_shapes;  ///< per DeployGraph tensor (0: the input)
  std::vector<QuantParams> tensor_params;  ///< per tensor
  std::vector<QuantizedOp> ops;
  int output_tensor = 0;
  int score_tensor = 0;  ///< see FoldedModel::score_tensor
  /// How the data were prepared before the input quantisation (DatasetSplits::input_mean):
  /// per channel, v = (x - input_mean[c]) / input_std[c]; empty: not recorded (models
  /// saved before hwnas recorded it).
  std::vector<double> input_mean, input_std;
};

/// The FoldedModel a quantised model stands for: the same ops with dequantised weights
/// (weight_scale * q) and biases (input_scale * weight_scale * q). Running it on
/// dequantised activations is the float simulation of `model`.
FoldedModel dequantize_model(const QuantizedModel& model);

}  // namespace hwnas
