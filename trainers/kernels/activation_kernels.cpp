// This file implements the activation and identity kernels (see activation_kernels.hpp).
#include "trainers/kernels/activation_kernels.hpp"

#include <cstdint>
#include <limits>

namespace hwnas {

namespace {

// dx (= or +=) (lo < x < hi ? dy : 0) over n floats. Plain loops: Eigen 3.4's select()
// does not vectorise, these do (compare and blend).
template <bool kAssign>
void masked_copy(const float* __restrict x, const float* __restrict dy, float* __restrict dx,
                 int64_t n, float lo, float hi) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i] > lo && x[i] < hi ? dy[i] : 0.0f;
    if constexpr (kAssign)
      dx[i] = v;
    else
      dx[i] += v;
  }
}

// Gradient of a clamp to [lo, hi]: passes where lo < x < hi.
void clamp_backward(const LayerTensors& t, const Chunk& chunk, float lo, float hi) {
  if (!t.input_grads[0]) return;
  const ConstArrayMap x = chunk_array(*t.inputs[0], chunk);
  const float* dy = chunk_array(*t.output_grad, chunk).data();
  float* dx = chunk_array(*t.input_grads[0], chunk).data();
  if (t.overwrite_grads[0])
    masked_copy<true>(x.data(), dy, dx, x.size(), lo, hi);
  else
    masked_copy<false>(x.data(), dy, dx, x.size(), lo, hi);
}

}  // namespace

void ReLUKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode /*mode*/, int /*phase*/) {
  chunk_array(*t.output, chunk) = chunk_array(*t.inputs[0], chunk).max(0.0f);
}

void ReLUKernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  clamp_backward(t, chunk, 0.0f, std::numeric_limits<float>::infinity());
}

void ReLU6Kernel::forward(const LayerTensors& t, const Chunk& chunk, Mode /*mode*/, int /*phase*/) {
  chunk_array(*t.output, chunk) = chunk_array(*t.inputs[0], chunk).max(0.0f).min(6.0f);
}

void ReLU6Kernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  clamp_backward(t, chunk, 0.0f, 6.0f);
}

void SoftmaxKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode /*mode*/,
                            int /*phase*/) {
  const ConstTensorMap x = chunk_pixels(*t.inputs[0], chunk, m_channels);
  TensorMap y = chunk_pixels(*t.output, chunk, m_channels);
  for (Eigen::Index p = 0; p < x.rows(); ++p) {
    const float top = x.row(p).maxCoeff();
    y.row(p) = (x.row(p).array() - top).exp().matrix();
    y.row(p) /= y.row(p).sum();
  }
}

void SoftmaxKernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  if (!t.input_grads[0]) return;
  const Tensor& output = *t.output;
  const ConstTensorMap y = chunk_pixels(output, chunk, m_channels);
  const ConstTensorMap dy = chunk_pixels(*t.output_grad, chunk, m_channels);
  TensorMap dx = chunk_pixels(*t.input_grads[0], chunk, m_channels);
  for (Eigen::Index p = 0; p < y.rows(); ++p) {
    const float inner = y.row(p).dot(dy.row(p));
    write_grad(dx.row(p).array(), y.row(p).array() * (dy.row(p).array() - inner),
               t.overwrite_grads[0]);
  }
}

void IdentityKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode /*mode*/,
                             int /*phase*/) {
  chunk_array(*t.output, chunk) = chunk_array(*t.inputs[0], chunk);
}

void IdentityKernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  if (t.input_grads[0])
    write_grad(chunk_array(*t.input_grads[0], chunk), chunk_array(*t.output_grad, chunk),
               t.overwrite_grads[0]);
}

std::unique_ptr<OpKernel> make_relu_kernel(const Layer& /*layer*/,
                                           const std::vector<TensorShape>& /*inputs*/) {
  return std::make_unique<ReLUKernel>();
}

std::unique_ptr<OpKernel> make_relu6_kernel(const Layer& /*layer*/,
                                            const std::vector<TensorShape>& /*inputs*/) {
  return std::make_unique<ReLU6Kernel>();
}

std::unique_ptr<OpKernel> make_softmax_kernel(const Layer& /*layer*/,
                                              const std::vector<TensorShape>& inputs) {
  return std::make_unique<SoftmaxKernel>(inputs[0]);
}

std::unique_ptr<OpKernel> make_identity_kernel(const Layer& /*layer*/,
                                               const std::vector<TensorShape>& /*inputs*/) {
  return std::make_unique<IdentityKernel>();
}

}  // namespace hwnas
