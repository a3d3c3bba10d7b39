// This file implements DepthwiseConv2DKernel (see depthwise_conv2d_kernel.hpp).
#include "trainers/depthwise_conv2d_kernel.hpp"

#include <algorithm>
#include <cstdint>

namespace hwnas {

namespace {

// o[c*M+m] += x[c] * w[c*M+m] over one input pixel and one tap.
inline void tap_forward(const float* __restrict x, const float* __restrict w, float* __restrict o,
                        int channels, int multiplier) {
  if (multiplier == 1) {
    for (int j = 0; j < channels; ++j) o[j] += x[j] * w[j];
    return;
  }
  for (int c = 0; c < channels; ++c)
    for (int m = 0; m < multiplier; ++m) o[c * multiplier + m] += x[c] * w[c * multiplier + m];
}

// dw[c*M+m] += g[c*M+m] * x[c];  dx[c] += sum_m g[c*M+m] * w[c*M+m] (dx may be null).
inline void tap_backward(const float* __restrict x, const float* __restrict w,
                         const float* __restrict g, float* __restrict dw, float* __restrict dx,
                         int channels, int multiplier) {
  if (multiplier == 1) {
    for (int j = 0; j < channels; ++j) dw[j] += g[j] * x[j];
    if (dx)
      for (int j = 0; j < channels; ++j) dx[j] += g[j] * w[j];
    return;
  }
  for (int c = 0; c < channels; ++c) {
    float sum = 0.0f;
    for (int m = 0; m < multiplier; ++m) {
      const int j = c * multiplier + m;
      dw[j] += g[j] * x[c];
      sum += g[j] * w[j];
    }
    if (dx) dx[c] += sum;
  }
}

}  // namespace

DepthwiseConv2DKernel::DepthwiseConv2DKernel(const Layer& layer, const TensorShape& input)
    : m_geometry(WindowGeometry::from(layer, input)),
      m_multiplier(layer.depth_multiplier),
      m_out_channels(input.c * layer.depth_multiplier),
      m_use_bias(layer.use_bias) {}

std::vector<ParamSpec> DepthwiseConv2DKernel::param_specs() const {
  const int64_t taps = int64_t(m_geometry.kernel_h) * m_geometry.kernel_w;
  std::vector<ParamSpec> specs = {{"kernel", taps * m_out_channels, ParamInit::kHeNormal, true,
                                   true, taps, taps * m_multiplier}};
  if (m_use_bias) specs.push_back({"bias", m_out_channels, ParamInit::kZeros, true, false, 0, 0});
  return specs;
}

void DepthwiseConv2DKernel::bind(float* params, float* /*state*/) {
  m_kernel = params;
  const int64_t taps = int64_t(m_geometry.kernel_h) * m_geometry.kernel_w;
  m_bias = m_use_bias ? params + taps * m_out_channels : nullptr;
}

void DepthwiseConv2DKernel::forward_sample(const float* x, float* y) const {
  const WindowGeometry& g = m_geometry;
  const int cm = m_out_channels;
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    float* o = y + pixel * cm;
    if (m_bias)
      std::copy(m_bias, m_bias + cm, o);
    else
      std::fill(o, o + cm, 0.0f);
    for (int kh = kh0; kh < kh1; ++kh)
      for (int kw = kw0; kw < kw1; ++kw)
        tap_forward(x + (in0 + int64_t(kh) * g.in_w + kw) * g.channels,
                    m_kernel + int64_t(kh * g.kernel_w + kw) * cm, o, g.channels, m_multiplier);
  });
}

void DepthwiseConv2DKernel::backward_sample(const float* x, const float* dy, float* dw, float* db,
                                            float* dx) const {
  const WindowGeometry& g = m_geometry;
  const int cm = m_out_channels;
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    const float* grad = dy + pixel * cm;
    if (db)
      for (int j = 0; j < cm; ++j) db[j] += grad[j];
    for (int kh = kh0; kh < kh1; ++kh)
      for (int kw = kw0; kw < kw1; ++kw) {
        const int64_t in = (in0 + int64_t(kh) * g.in_w + kw) * g.channels;
        const int64_t tap = int64_t(kh * g.kernel_w + kw) * cm;
        tap_backward(x + in, m_kernel + tap, grad, dw + tap, dx ? dx + in : nullptr, g.channels,
                     m_multiplier);
      }
  });
}

void DepthwiseConv2DKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode /*mode*/,
                                    int /*phase*/) {
  for (int s = chunk.row0; s < chunk.row0 + chunk.rows; ++s)
    forward_sample(row_ptr(*t.inputs[0], s), row_ptr(*t.output, s));
}

void DepthwiseConv2DKernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  const int64_t kernel_size = int64_t(m_geometry.kernel_h) * m_geometry.kernel_w * m_out_channels;
  float* dw = chunk.param_grads;
  float* db = m_use_bias ? dw + kernel_size : nullptr;
  std::fill(dw, dw + kernel_size + (m_use_bias ? m_out_channels : 0), 0.0f);
  Tensor* dx = t.input_grads[0];
  for (int s = chunk.row0; s < chunk.row0 + chunk.rows; ++s)
    backward_sample(row_ptr(*t.inputs[0], s), row_ptr(*t.output_grad, s), dw, db,
                    dx ? row_ptr(*dx, s) : nullptr);
}

std::unique_ptr<OpKernel> make_depthwise_conv2d_kernel(const Layer& layer,
                                                       const std::vector<TensorShape>& inputs) {
  return std::make_unique<DepthwiseConv2DKernel>(layer, inputs[0]);
}

}  // namespace hwnas
