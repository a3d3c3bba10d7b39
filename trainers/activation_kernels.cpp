// This file implements the activation and identity kernels (see activation_kernels.hpp).
#include "trainers/activation_kernels.hpp"

namespace hwnas {

void ReLUKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode /*mode*/, int /*phase*/) {
  chunk_array(*t.output, chunk) = chunk_array(*t.inputs[0], chunk).max(0.0f);
}

void ReLUKernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  if (!t.input_grads[0]) return;
  const ConstArrayMap x = chunk_array(*t.inputs[0], chunk);
  write_grad(chunk_array(*t.input_grads[0], chunk),
             (x > 0.0f).select(chunk_array(*t.output_grad, chunk), 0.0f), t.overwrite_grads[0]);
}

void ReLU6Kernel::forward(const LayerTensors& t, const Chunk& chunk, Mode /*mode*/, int /*phase*/) {
  chunk_array(*t.output, chunk) = chunk_array(*t.inputs[0], chunk).max(0.0f).min(6.0f);
}

void ReLU6Kernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  if (!t.input_grads[0]) return;
  const ConstArrayMap x = chunk_array(*t.inputs[0], chunk);
  write_grad(chunk_array(*t.input_grads[0], chunk),
             (x > 0.0f && x < 6.0f).select(chunk_array(*t.output_grad, chunk), 0.0f),
             t.overwrite_grads[0]);
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
