// This file implements FakeQuantization (see fake_quantization.hpp).
#include "trainers/qat/fake_quantization.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace hwnas {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// The real values the int8 grid of `q` spans: [s (-128 - z), s (127 - z)].
float grid_lo(QuantParams q) { return q.scale * float(-128 - q.zero_point); }
float grid_hi(QuantParams q) { return q.scale * float(127 - q.zero_point); }

}  // namespace

void fake_quantize_weights(const float* w, int64_t rows, int64_t channels, float* out) {
  const ConstTensorMap in(w, rows, channels);
  TensorMap q(out, rows, channels);
  const Eigen::RowVectorXf max_abs = in.cwiseAbs().colwise().maxCoeff();
  for (int64_t c = 0; c < channels; ++c) {
    if (max_abs(c) <= 0.0f) {
      q.col(c) = in.col(c);
      continue;
    }
    // The scale as quantize() stores it: float(max / 127) computed in double.
    const float scale = float(double(max_abs(c)) / 127.0);
    q.col(c).array() = (in.col(c).array() / scale).round().max(-127.0f).min(127.0f) * scale;
  }
}

float fake_quantize_value(float x, QuantParams q) {
  const float level = std::clamp(std::round(x / q.scale) + float(q.zero_point), -128.0f, 127.0f);
  return (level - float(q.zero_point)) * q.scale;
}

FakeQuantization::FakeQuantization(const Architecture& arch, int max_batch, double momentum)
    : m_arch(arch), m_max_batch(max_batch), m_momentum(momentum), m_layers(arch.size()) {
  assert(max_batch >= 1 && momentum >= 0.0 && momentum <= 1.0);
}

int FakeQuantization::add_tensor(TensorRange initial) {
  m_ranges.push_back(initial);
  m_params.push_back(params_for_range(initial.lo, initial.hi));
  return int(m_ranges.size()) - 1;
}

void FakeQuantization::quantize_input(int tensor) { m_input_tensor = tensor; }

void FakeQuantization::quantize_output(int layer, int tensor, bool observe) {
  LayerQuant& l = m_layers[size_t(layer)];
  l.tensor = tensor;
  l.observe = observe && m_momentum < 1.0;
  l.mask.setOnes(m_max_batch, m_arch.layer(size_t(layer)).output_shape.elements());
  // At most max_batch chunks (chunk_rows >= 1).
  l.lo.setConstant(m_max_batch, kInf);
  l.hi.setConstant(m_max_batch, -kInf);
}

int64_t weight_scale_count(const Layer& layer) {
  return layer.op == OpKind::kDense ? 1 : layer.output_shape.c;
}

void FakeQuantization::quantize_weights(const ParamBlock& block, int64_t channels) {
  assert(block.trainable && channels > 0 && block.size % channels == 0);
  m_weights.push_back({block.offset, block.size / channels, channels});
}

void FakeQuantization::fold_pending_ranges() {
  if (!m_pending) return;
  m_pending = false;
  const double m = m_momentum;
  for (LayerQuant& l : m_layers) {
    if (!l.observe) continue;
    const float batch_lo = l.lo.minCoeff(), batch_hi = l.hi.maxCoeff();
    if (!std::isfinite(batch_lo) || !std::isfinite(batch_hi)) continue;  // a diverged batch
    TensorRange& r = m_ranges[size_t(l.tensor)];
    r.lo = m * r.lo + (1.0 - m) * double(batch_lo);
    r.hi = m * r.hi + (1.0 - m) * double(batch_hi);
    m_params[size_t(l.tensor)] = params_for_range(r.lo, r.hi);
  }
}

void FakeQuantization::begin_forward(int batch, Mode mode, const Eigen::VectorXf& params,
                                     Eigen::VectorXf& effective, Tensor& input) {
  fold_pending_ranges();
  if (mode == Mode::kTraining) {
    m_pending = true;
    for (LayerQuant& l : m_layers)
      if (l.observe) {
        l.lo.setConstant(kInf);
        l.hi.setConstant(-kInf);
      }
  }
  effective = params;
  for (const WeightBlock& b : m_weights)
    fake_quantize_weights(params.data() + b.offset, b.rows, b.channels, effective.data() + b.offset);
  if (m_input_tensor >= 0) {
    const QuantParams q = m_params[size_t(m_input_tensor)];
    auto rows = input.topRows(batch);
    rows = rows.unaryExpr([q](float x) { return fake_quantize_value(x, q); });
  }
}

void FakeQuantization::after_forward(int layer, const Chunk& chunk, Mode mode, Tensor& output) {
  LayerQuant& l = m_layers[size_t(layer)];
  if (l.tensor < 0) return;
  const QuantParams q = m_params[size_t(l.tensor)];
  ArrayMap x = chunk_array(output, chunk);
  if (mode == Mode::kTraining) {
    if (l.observe) {
      l.lo[chunk.index] = x.minCoeff();
      l.hi[chunk.index] = x.maxCoeff();
    }
    chunk_array(l.mask, chunk) = (x >= grid_lo(q) && x <= grid_hi(q)).cast<float>();
  }
  const float z = float(q.zero_point);
  x = ((x / q.scale).round() + z).max(-128.0f).min(127.0f) - z;
  x *= q.scale;
}

void FakeQuantization::before_backward(int layer, const Chunk& chunk, Tensor& output_grad) {
  LayerQuant& l = m_layers[size_t(layer)];
  if (l.tensor >= 0) chunk_array(output_grad, chunk) *= chunk_array(l.mask, chunk);
}

}  // namespace hwnas
