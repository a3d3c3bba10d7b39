// This file implements the pooling kernels (see pool_kernels.hpp).
#include "trainers/kernels/pool_kernels.hpp"

#include <algorithm>
#include <cstdint>

namespace hwnas {

MaxPool2DKernel::MaxPool2DKernel(const Layer& layer, const TensorShape& input)
    : m_geometry(WindowGeometry::from(layer, input)),
      m_disjoint(layer.stride_h == layer.kernel_h && layer.stride_w == layer.kernel_w) {}

void MaxPool2DKernel::forward_sample(const float* x, float* y) const {
  const WindowGeometry& g = m_geometry;
  const int c = g.channels;
  for_each_window(g, [&](int64_t out, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    float* __restrict o = y + out * c;
    const float* first = x + (in0 + int64_t(kh0) * g.in_w + kw0) * c;
    ArrayMap(o, c) = ConstArrayMap(first, c);  // not std::copy: a memmove call per pixel
    for (int kh = kh0; kh < kh1; ++kh)
      for (int kw = kw0; kw < kw1; ++kw) {
        const float* __restrict xi = x + (in0 + int64_t(kh) * g.in_w + kw) * c;
        for (int j = 0; j < c; ++j) o[j] = std::max(o[j], xi[j]);
      }
  });
}

// Branch-free over channels: `left` holds the gradient not yet routed; the first tap
// equal to the maximum takes all of it, later equal taps take the remaining zero.
// kAssign (disjoint windows only) stores instead of adding.
template <bool kAssign>
void MaxPool2DKernel::backward_sample(const float* x, const float* y, const float* dy, float* dx,
                                      float* left) const {
  const WindowGeometry& g = m_geometry;
  const int c = g.channels;
  for_each_window(g, [&](int64_t out, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    const float* __restrict best = y + out * c;
    float* __restrict rest = left;
    ArrayMap(rest, c) = ConstArrayMap(dy + out * c, c);
    for (int kh = kh0; kh < kh1; ++kh)
      for (int kw = kw0; kw < kw1; ++kw) {
        const int64_t at = (in0 + int64_t(kh) * g.in_w + kw) * c;
        const float* __restrict xi = x + at;
        float* __restrict d = dx + at;
        for (int j = 0; j < c; ++j) {
          const float take = xi[j] == best[j] ? rest[j] : 0.0f;
          if constexpr (kAssign)
            d[j] = take;
          else
            d[j] += take;
          rest[j] -= take;
        }
      }
  });
}

void MaxPool2DKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode /*mode*/,
                              int /*phase*/) {
  for (int s = chunk.row0; s < chunk.row0 + chunk.rows; ++s)
    forward_sample(row_ptr(*t.inputs[0], s), row_ptr(*t.output, s));
}

void MaxPool2DKernel::zero_uncovered(float* dx) const {
  const WindowGeometry& g = m_geometry;
  // The last window ends at in_row(out_h - 1) + kernel_h (likewise for columns).
  const int rows = std::min(g.in_h, g.in_row(g.out_h - 1) + g.kernel_h);
  const int cols = std::min(g.in_w, g.in_col(g.out_w - 1) + g.kernel_w);
  const int c = g.channels;
  if (rows == g.in_h && cols == g.in_w) return;
  for (int h = 0; h < g.in_h; ++h) {
    const int from = h < rows ? cols : 0;
    std::fill(dx + (int64_t(h) * g.in_w + from) * c, dx + int64_t(h + 1) * g.in_w * c, 0.0f);
  }
}

void MaxPool2DKernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  Tensor* dx = t.input_grads[0];
  if (!dx) return;
  float* left = chunk.scratch->small.floats(size_t(m_geometry.channels));
  const bool assign = t.overwrite_grads[0] && m_disjoint;
  if (t.overwrite_grads[0] && !m_disjoint) chunk_array(*dx, chunk).setZero();
  for (int s = chunk.row0; s < chunk.row0 + chunk.rows; ++s) {
    const float* x = row_ptr(*t.inputs[0], s);
    const float* y = row_ptr(*t.output, s);
    const float* dy = row_ptr(*t.output_grad, s);
    if (!assign) {
      backward_sample<false>(x, y, dy, row_ptr(*dx, s), left);
      continue;
    }
    backward_sample<true>(x, y, dy, row_ptr(*dx, s), left);
    zero_uncovered(row_ptr(*dx, s));
  }
}

AvgPool2DKernel::AvgPool2DKernel(const Layer& layer, const TensorShape& input)
    : m_geometry(WindowGeometry::from(layer, input)) {}

void AvgPool2DKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode /*mode*/,
                              int /*phase*/) {
  const WindowGeometry& g = m_geometry;
  const int c = g.channels;
  for (int s = chunk.row0; s < chunk.row0 + chunk.rows; ++s) {
    const float* x = row_ptr(*t.inputs[0], s);
    float* y = row_ptr(*t.output, s);
    for_each_window(g, [&](int64_t out, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
      float* __restrict o = y + out * c;
      std::fill(o, o + c, 0.0f);
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw) {
          const float* __restrict xi = x + (in0 + int64_t(kh) * g.in_w + kw) * c;
          for (int j = 0; j < c; ++j) o[j] += xi[j];
        }
      const float scale = 1.0f / float((kh1 - kh0) * (kw1 - kw0));
      for (int j = 0; j < c; ++j) o[j] *= scale;
    });
  }
}

void AvgPool2DKernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  Tensor* dxt = t.input_grads[0];
  if (!dxt) return;
  const WindowGeometry& g = m_geometry;
  const int c = g.channels;
  for (int s = chunk.row0; s < chunk.row0 + chunk.rows; ++s) {
    const float* dy = row_ptr(*t.output_grad, s);
    float* dx = row_ptr(*dxt, s);
    for_each_window(g, [&](int64_t out, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
      const float scale = 1.0f / float((kh1 - kh0) * (kw1 - kw0));
      const float* __restrict gi = dy + out * c;
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw) {
          float* __restrict d = dx + (in0 + int64_t(kh) * g.in_w + kw) * c;
          for (int j = 0; j < c; ++j) d[j] += gi[j] * scale;
        }
    });
  }
}

GlobalAvgPoolKernel::GlobalAvgPoolKernel(const TensorShape& input)
    : m_pixels(input.h * input.w), m_channels(input.c) {}

void GlobalAvgPoolKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode /*mode*/,
                                  int /*phase*/) {
  const float scale = 1.0f / float(m_pixels);
  for (int s = chunk.row0; s < chunk.row0 + chunk.rows; ++s) {
    const ConstTensorMap x(row_ptr(*t.inputs[0], s), m_pixels, m_channels);
    float* y = row_ptr(*t.output, s);
    column_sums(x, y);
    for (int j = 0; j < m_channels; ++j) y[j] *= scale;
  }
}

void GlobalAvgPoolKernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  Tensor* dx = t.input_grads[0];
  if (!dx) return;
  const float scale = 1.0f / float(m_pixels);
  const bool overwrite = t.overwrite_grads[0];
  const int c = m_channels;
  float* __restrict g = chunk.scratch->small.floats(size_t(c));
  // Plain loops: Eigen's replicate() of a scaled row evaluated element by element.
  for (int s = chunk.row0; s < chunk.row0 + chunk.rows; ++s) {
    const float* dy = row_ptr(*t.output_grad, s);
    for (int j = 0; j < c; ++j) g[j] = dy[j] * scale;
    float* __restrict d = row_ptr(*dx, s);
    for (int p = 0; p < m_pixels; ++p, d += c) {
      if (overwrite)
        for (int j = 0; j < c; ++j) d[j] = g[j];
      else
        for (int j = 0; j < c; ++j) d[j] += g[j];
    }
  }
}

std::unique_ptr<OpKernel> make_max_pool2d_kernel(const Layer& layer,
                                                 const std::vector<TensorShape>& inputs) {
  return std::make_unique<MaxPool2DKernel>(layer, inputs[0]);
}

std::unique_ptr<OpKernel> make_avg_pool2d_kernel(const Layer& layer,
                                                 const std::vector<TensorShape>& inputs) {
  return std::make_unique<AvgPool2DKernel>(layer, inputs[0]);
}

std::unique_ptr<OpKernel> make_global_avg_pool_kernel(const Layer& /*layer*/,
                                                      const std::vector<TensorShape>& inputs) {
  return std::make_unique<GlobalAvgPoolKernel>(inputs[0]);
}

}  // namespace hwnas
