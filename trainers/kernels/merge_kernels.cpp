// This file implements AddKernel and ConcatKernel (see merge_kernels.hpp).
#include "trainers/kernels/merge_kernels.hpp"

#include <algorithm>
#include <cstdint>

namespace hwnas {

void AddKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode /*mode*/, int /*phase*/) {
  ArrayMap y = chunk_array(*t.output, chunk);
  y = chunk_array(*t.inputs[0], chunk);
  for (size_t i = 1; i < t.inputs.size(); ++i) y += chunk_array(*t.inputs[i], chunk);
}

void AddKernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  const ConstArrayMap dy = chunk_array(*t.output_grad, chunk);
  for (size_t i = 0; i < t.input_grads.size(); ++i)
    if (t.input_grads[i])
      write_grad(chunk_array(*t.input_grads[i], chunk), dy, t.overwrite_grads[i]);
}

ConcatKernel::ConcatKernel(const std::vector<TensorShape>& inputs)
    : m_pixels(inputs[0].h * inputs[0].w), m_out_channels(0) {
  for (const TensorShape& in : inputs) {
    m_offsets.push_back(m_out_channels);
    m_channels.push_back(in.c);
    m_out_channels += in.c;
  }
}

void ConcatKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode /*mode*/,
                           int /*phase*/) {
  const int64_t pixels = int64_t(chunk.rows) * m_pixels;
  float* y = row_ptr(*t.output, chunk.row0);
  for (size_t i = 0; i < t.inputs.size(); ++i) {
    const int c = m_channels[i];
    const float* x = row_ptr(*t.inputs[i], chunk.row0);
    for (int64_t p = 0; p < pixels; ++p)
      std::copy(x + p * c, x + (p + 1) * c, y + p * m_out_channels + m_offsets[i]);
  }
}

void ConcatKernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  const int64_t pixels = int64_t(chunk.rows) * m_pixels;
  const float* dy = row_ptr(*t.output_grad, chunk.row0);
  for (size_t i = 0; i < t.inputs.size(); ++i) {
    if (!t.input_grads[i]) continue;
    const int c = m_channels[i];
    float* dx = row_ptr(*t.input_grads[i], chunk.row0);
    const bool overwrite = t.overwrite_grads[i];
    for (int64_t p = 0; p < pixels; ++p) {
      const float* __restrict g = dy + p * m_out_channels + m_offsets[i];
      float* __restrict d = dx + p * c;
      if (overwrite)
        for (int j = 0; j < c; ++j) d[j] = g[j];
      else
        for (int j = 0; j < c; ++j) d[j] += g[j];
    }
  }
}

std::unique_ptr<OpKernel> make_add_kernel(const Layer& /*layer*/,
                                          const std::vector<TensorShape>& /*inputs*/) {
  return std::make_unique<AddKernel>();
}

std::unique_ptr<OpKernel> make_concat_kernel(const Layer& /*layer*/,
                                             const std::vector<TensorShape>& inputs) {
  return std::make_unique<ConcatKernel>(inputs);
}

}  // namespace hwnas
