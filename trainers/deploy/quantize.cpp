// This file implements calibration and quantisation (see quantize.hpp).
#include "trainers/deploy/quantize.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <tuple>

#include "trainers/deploy/float_reference.hpp"

namespace hwnas {

namespace {

constexpr int kAddLeftShift = 20;  // TF Lite's ADD: inputs scaled to 2^20 of their range
const QuantParams kSoftmaxOutput{1.0f / 256.0f, -128};

std::vector<size_t> spread_indices(size_t n, int64_t wanted) {
  const size_t k = std::min(n, size_t(std::max<int64_t>(wanted, 0)));
  std::vector<size_t> idx;
  for (size_t i = 0; i < k; ++i) idx.push_back(i * n / k);
  return idx;
}

void widen(std::vector<TensorRange>& ranges, const FloatTensors& t) {
  for (size_t i = 0; i < t.size(); ++i)
    for (double v : t[i]) {
      ranges[i].lo = std::min(ranges[i].lo, v);
      ranges[i].hi = std::max(ranges[i].hi, v);
    }
}

int32_t saturate_int32(double v) {
  return int32_t(std::clamp(std::round(v), double(std::numeric_limits<int32_t>::min()),
                            double(std::numeric_limits<int32_t>::max())));
}

// Symmetric weights (zero point 0, scale max|w| / 127), int32 biases at input_scale *
// weight_scale, and the requantisation multiplier of each output channel. Convolutions
// take one scale per output channel; dense weights one scale for the whole tensor, as
// TF Lite's converter makes them: TF Lite 2.x and Arm NN run per-channel FULLY_CONNECTED
// wrongly or not at all, and TF Lite Micro only since 2024. The per-tensor scale is still
// stored once per output channel, so every consumer reads one layout.
void quantize_weights(const FoldedOp& f, QuantParams in, QuantParams out, QuantizedOp& q) {
  const size_t channels = f.bias.size();
  std::vector<double> max_abs(channels, 0.0);
  for (size_t i = 0; i < f.weights.size(); ++i) {
    double& m = max_abs[size_t(weight_channel(f, i))];
    m = std::max(m, std::abs(f.weights[i]));
  }
  if (per_tensor_weights(f.deploy.kind))
    std::fill(max_abs.begin(), max_abs.end(), *std::max_element(max_abs.begin(), max_abs.end()));
  for (size_t c = 0; c < channels; ++c) {
    const float ws = max_abs[c] > 0.0 ? float(max_abs[c] / 127.0) : 1.0f;
    const double bias_scale = double(in.scale) * double(ws);
    q.weight_scales.push_back(ws);
    q.biases.push_back(saturate_int32(f.bias[c] / bias_scale));
    q.output_multipliers.push_back(quantize_multiplier(bias_scale / double(out.scale)));
  }
  q.weights.resize(f.weights.size());
  for (size_t i = 0; i < f.weights.size(); ++i) {
    const double ws = q.weight_scales[size_t(weight_channel(f, i))];
    q.weights[i] = int8_t(std::clamp(std::round(f.weights[i] / ws), -127.0, 127.0));
  }
}

// TF Lite's ADD (add.cc, Prepare): both inputs to 2^20 / (2 max input scale) units.
void quantize_add(const QuantizedModel& m, QuantParams out, QuantizedOp& q) {
  double max_scale = 0.0;
  for (int id : q.deploy.inputs)
    max_scale = std::max(max_scale, double(m.tensor_params[size_t(id)].scale));
  const double twice_max = 2.0 * max_scale;
  q.left_shift = kAddLeftShift;
  for (int id : q.deploy.inputs)
    q.input_multipliers.push_back(
        quantize_multiplier(double(m.tensor_params[size_t(id)].scale) / twice_max));
  q.output_multipliers.push_back(
      quantize_multiplier(twice_max / (double(1 << kAddLeftShift) * double(out.scale))));
}

QuantParams output_params(const FoldedOp& f, const QuantizedModel& m, const TensorRange& range) {
  switch (f.deploy.kind) {
    case DeployKind::kPool:
    case DeployKind::kReshape:
      return m.tensor_params[size_t(f.deploy.inputs[0])];
    case DeployKind::kSoftmax:
      return kSoftmaxOutput;
    default:
      return params_for_range(range.lo, range.hi);
  }
}

QuantizedOp quantize_op(const FoldedOp& f, const QuantizedModel& m, QuantParams out) {
  QuantizedOp q;
  q.deploy = f.deploy;
  q.geometry = f.geometry;
  q.depth_multiplier = f.depth_multiplier;
  q.activation = f.activation;
  std::tie(q.activation_min, q.activation_max) = activation_range(f.activation, out);
  const QuantParams in = m.tensor_params[size_t(f.deploy.inputs[0])];
  switch (f.deploy.kind) {
    case DeployKind::kConv:
    case DeployKind::kPointwiseConv:
    case DeployKind::kDepthwiseConv:
    case DeployKind::kDense:
    case DeployKind::kScale:
      quantize_weights(f, in, out, q);
      break;
    case DeployKind::kAdd:
      quantize_add(m, out, q);
      break;
    case DeployKind::kConcat:
      for (int id : f.deploy.inputs)
        q.input_multipliers.push_back(
            quantize_multiplier(double(m.tensor_params[size_t(id)].scale) / double(out.scale)));
      break;
    case DeployKind::kGlobalPool:
    case DeployKind::kActivation:
      q.output_multipliers.push_back(quantize_multiplier(double(in.scale) / double(out.scale)));
      break;
    case DeployKind::kPool:
    case DeployKind::kReshape:
    case DeployKind::kSoftmax:
      break;
  }
  return q;
}

}  // namespace

std::vector<TensorRange> calibrate(const FoldedModel& model, const Dataset& calibration,
                                   const QuantizeOptions& options) {
  assert(calibration.size() == 0 || calibration.x.cols() == model.input_shape.elements());
  const std::vector<size_t> samples =
      spread_indices(calibration.size(), options.calibration_samples);
  const std::vector<TensorRange> empty(model.tensor_shapes.size());
  tbb::enumerable_thread_specific<std::vector<TensorRange>> local(empty);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, samples.size()),
                    [&](const tbb::blocked_range<size_t>& r) {
                      std::vector<TensorRange>& ranges = local.local();
                      std::vector<double> input(size_t(model.input_shape.elements()));
                      for (size_t s = r.begin(); s < r.end(); ++s) {
                        const auto row = calibration.x.row(Eigen::Index(samples[s]));
                        for (size_t i = 0; i < input.size(); ++i)
                          input[i] = double(row(Eigen::Index(i)));
                        widen(ranges, run_float(model, input.data()));
                      }
                    });
  std::vector<TensorRange> ranges = empty;
  for (const auto& part : local)
    for (size_t i = 0; i < ranges.size(); ++i) {
      ranges[i].lo = std::min(ranges[i].lo, part[i].lo);
      ranges[i].hi = std::max(ranges[i].hi, part[i].hi);
    }
  return ranges;
}

QuantizedModel quantize(const FoldedModel& model, const Dataset& calibration,
                        const QuantizeOptions& options) {
  return quantize_with_ranges(model, calibrate(model, calibration, options));
}

QuantizedModel quantize_with_ranges(const FoldedModel& model,
                                    const std::vector<TensorRange>& ranges) {
  assert(ranges.size() == model.tensor_shapes.size());
  QuantizedModel q;
  q.input_shape = model.input_shape;
  q.tensor_shapes = model.tensor_shapes;
  q.output_tensor = model.output_tensor;
  q.score_tensor = model.score_tensor;
  q.tensor_params.resize(model.tensor_shapes.size());
  q.tensor_params[0] = params_for_range(ranges[0].lo, ranges[0].hi);
  for (const FoldedOp& f : model.ops) {
    const auto out = size_t(f.deploy.output);
    q.tensor_params[out] = output_params(f, q, ranges[out]);
    q.ops.push_back(quantize_op(f, q, q.tensor_params[out]));
  }
  return q;
}

QuantizedModel quantize(const Architecture& arch, const TrainedModel& trained,
                        const Dataset& calibration, const QuantizeOptions& options) {
  return quantize(fold_model(arch, trained), calibration, options);
}

}  // namespace hwnas
