// This file implements DepthwiseConv2DKernel (see depthwise_conv2d_kernel.hpp).
//
// Depth multiplier 1 (the common case) runs register-blocked loops: for one pixel, the
// taps' offsets are computed once, then a block of W channels (16, then 8, then 1 for
// the rest) accumulates all its taps in one vector value and is stored once. dX is
// computed in gather form (each input pixel sums the output pixels whose windows cover
// it, from per-layer tap tables), so it is assigned, not scattered into a zeroed dX.
// Other multipliers use the plain per-tap loops.
#include "trainers/kernels/depthwise_conv2d_kernel.hpp"

#include <algorithm>
#include <cstdint>

#include "trainers/kernels/depthwise_fixed_window.hpp"
#include "trainers/kernels/simd_lanes.hpp"

namespace hwnas {

namespace {

// o[c*M+m] += x[c] * w[c*M+m] over one input pixel and one tap.
inline void tap_forward(const float* __restrict x, const float* __restrict w, float* __restrict o,
                        int channels, int multiplier) {
  for (int c = 0; c < channels; ++c)
    for (int m = 0; m < multiplier; ++m) o[c * multiplier + m] += x[c] * w[c * multiplier + m];
}

// dw[c*M+m] += g[c*M+m] * x[c];  dx[c] += sum_m g[c*M+m] * w[c*M+m] (dx may be null).
inline void tap_backward(const float* __restrict x, const float* __restrict w,
                         const float* __restrict g, float* __restrict dw, float* __restrict dx,
                         int channels, int multiplier) {
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
      m_use_bias(layer.use_bias),
      m_blocked(m_multiplier == 1 && layer.kernel_h * layer.kernel_w <= kMaxTaps),
      m_fixed_window(m_multiplier == 1 && fixed_window_supported(m_geometry)) {
  build_tap_table(m_geometry.in_h, m_geometry.kernel_h, m_geometry.stride_h, m_geometry.pad_top,
                  m_geometry.out_h, m_row_taps, m_row_begin);
  build_tap_table(m_geometry.in_w, m_geometry.kernel_w, m_geometry.stride_w, m_geometry.pad_left,
                  m_geometry.out_w, m_col_taps, m_col_begin);
}

// For each input index i: the (tap k, output index o) pairs with o * stride - pad + k == i.
void DepthwiseConv2DKernel::build_tap_table(int in, int kernel, int stride, int pad, int out,
                                            std::vector<TapPair>& taps,
                                            std::vector<int>& begin) {
  begin.assign(size_t(in) + 1, 0);
  for (int i = 0; i < in; ++i) {
    for (int k = 0; k < kernel; ++k) {
      const int t = i + pad - k;
      if (t >= 0 && t % stride == 0 && t / stride < out) taps.push_back({k, t / stride});
    }
    begin[size_t(i) + 1] = int(taps.size());
  }
}

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
  if (!m_blocked) {
    for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
      float* o = y + pixel * cm;
      for (int j = 0; j < cm; ++j) o[j] = m_bias ? m_bias[j] : 0.0f;
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw)
          tap_forward(x + (in0 + int64_t(kh) * g.in_w + kw) * g.channels,
                      m_kernel + int64_t(kh * g.kernel_w + kw) * cm, o, g.channels, m_multiplier);
    });
    return;
  }
  const float* w = m_kernel;
  const float* bias = m_bias;
  int64_t x_off[kMaxTaps], w_off[kMaxTaps];
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    const int n = window_offsets(in0, kh0, kh1, kw0, kw1, x_off, w_off);
    for_lane_blocks<16>(cm, [&]<int W>(int c) {
      Vec<W> acc = {};
      if (bias) acc = load_lanes<W>(bias + c);
      for (int t = 0; t < n; ++t) acc += load_lanes<W>(x + x_off[t] + c) * load_lanes<W>(w + w_off[t] + c);
      store_lanes<W>(y + pixel * cm + c, acc);
    });
  });
}

int DepthwiseConv2DKernel::window_offsets(int64_t in0, int kh0, int kh1, int kw0, int kw1,
                                          int64_t* x_off, int64_t* w_off) const {
  const WindowGeometry& g = m_geometry;
  int n = 0;
  for (int kh = kh0; kh < kh1; ++kh)
    for (int kw = kw0; kw < kw1; ++kw, ++n) {
      x_off[n] = (in0 + int64_t(kh) * g.in_w + kw) * m_out_channels;
      w_off[n] = int64_t(kh * g.kernel_w + kw) * m_out_channels;
    }
  return n;
}

// Blocked: dW and db by scattering each output pixel's gradient over its taps.
void DepthwiseConv2DKernel::weight_grad_sample(const float* x, const float* dy, float* dw,
                                               float* db) const {
  const WindowGeometry& g = m_geometry;
  const int cm = m_out_channels;
  int64_t x_off[kMaxTaps], w_off[kMaxTaps];
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    const int n = window_offsets(in0, kh0, kh1, kw0, kw1, x_off, w_off);
    for_lane_blocks<16>(cm, [&]<int W>(int c) {
      const auto grad = load_lanes<W>(dy + pixel * cm + c);
      if (db) {
        const auto sum = load_lanes<W>(db + c) + grad;
        store_lanes<W>(db + c, sum);
      }
      for (int t = 0; t < n; ++t) {
        float* d = dw + w_off[t] + c;
        const auto sum = load_lanes<W>(d) + grad * load_lanes<W>(x + x_off[t] + c);
        store_lanes<W>(d, sum);
      }
    });
  });
}

// Blocked: dX[ih, iw] = sum over the (kh, oh) x (kw, ow) pairs that reach it of
// dY[oh, ow] * W[kh, kw]; assigned (kAssign) or added.
template <bool kAssign>
void DepthwiseConv2DKernel::input_grad_sample(const float* dy, float* dx) const {
  const WindowGeometry& g = m_geometry;
  const int cm = m_out_channels;
  const float* w = m_kernel;
  int64_t dy_off[kMaxTaps], w_off[kMaxTaps];
  for (int ih = 0; ih < g.in_h; ++ih) {
    const TapPair* rows = m_row_taps.data() + m_row_begin[size_t(ih)];
    const int n_rows = m_row_begin[size_t(ih) + 1] - m_row_begin[size_t(ih)];
    for (int iw = 0; iw < g.in_w; ++iw) {
      const TapPair* cols = m_col_taps.data() + m_col_begin[size_t(iw)];
      const int n_cols = m_col_begin[size_t(iw) + 1] - m_col_begin[size_t(iw)];
      int n = 0;
      for (int r = 0; r < n_rows; ++r)
        for (int q = 0; q < n_cols; ++q, ++n) {
          dy_off[n] = (int64_t(rows[r].out) * g.out_w + cols[q].out) * cm;
          w_off[n] = int64_t(rows[r].tap * g.kernel_w + cols[q].tap) * cm;
        }
      float* out = dx + (int64_t(ih) * g.in_w + iw) * cm;
      for_lane_blocks<16>(cm, [&]<int W>(int c) {
        Vec<W> acc = {};
        for (int t = 0; t < n; ++t) acc += load_lanes<W>(dy + dy_off[t] + c) * load_lanes<W>(w + w_off[t] + c);
        if constexpr (!kAssign) acc += load_lanes<W>(out + c);
        store_lanes<W>(out + c, acc);
      });
    }
  }
}

// Not blocked: dW, db and (if dx) dX, scattered per output pixel and tap.
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
  float* padded = m_fixed_window ? chunk.scratch->columns.floats(padded_sample_floats(m_geometry))
                                 : nullptr;
  for (int s = chunk.row0; s < chunk.row0 + chunk.rows; ++s) {
    if (!m_fixed_window) {
      forward_sample(row_ptr(*t.inputs[0], s), row_ptr(*t.output, s));
      continue;
    }
    pad_sample(m_geometry, row_ptr(*t.inputs[0], s), padded);
    depthwise_forward_fixed(m_geometry, padded, m_kernel, m_bias, row_ptr(*t.output, s));
  }
}

void DepthwiseConv2DKernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  const int64_t kernel_size = int64_t(m_geometry.kernel_h) * m_geometry.kernel_w * m_out_channels;
  float* dw = chunk.param_grads;
  float* db = m_use_bias ? dw + kernel_size : nullptr;
  std::fill(dw, dw + kernel_size + (m_use_bias ? m_out_channels : 0), 0.0f);
  Tensor* dx = t.input_grads[0];
  float* padded = m_fixed_window ? chunk.scratch->columns.floats(padded_sample_floats(m_geometry))
                                 : nullptr;
  for (int s = chunk.row0; s < chunk.row0 + chunk.rows; ++s) {
    const float* x = row_ptr(*t.inputs[0], s);
    const float* dy = row_ptr(*t.output_grad, s);
    if (!m_blocked) {  // the Network zeroed dX (assigns_input_grads() is false)
      backward_sample(x, dy, dw, db, dx ? row_ptr(*dx, s) : nullptr);
      continue;
    }
    if (m_fixed_window) {
      pad_sample(m_geometry, x, padded);
      depthwise_weight_grad_fixed(m_geometry, padded, dy, dw, db);
    } else {
      weight_grad_sample(x, dy, dw, db);
    }
    if (!dx) continue;
    if (t.overwrite_grads[0])
      input_grad_sample<true>(dy, row_ptr(*dx, s));
    else
      input_grad_sample<false>(dy, row_ptr(*dx, s));
  }
}

std::unique_ptr<OpKernel> make_depthwise_conv2d_kernel(const Layer& layer,
                                                       const std::vector<TensorShape>& inputs) {
  return std::make_unique<DepthwiseConv2DKernel>(layer, inputs[0]);
}

}  // namespace hwnas
