// This file implements DenseKernel, the fully connected layer on flat inputs.
#pragma once

#include <memory>

#include "space/layer.hpp"
#include "trainers/kernels/op_kernel.hpp"

namespace hwnas {

/// Y (n x U) = X (n x I) * W (I x U) + b; backward dW = X^T dY, db = column sums of dY,
/// dX += dY W^T. W is (inputs x units) row-major, Keras' kernel layout.
class DenseKernel final : public OpKernel {
 public:
  DenseKernel(const Layer& layer, const TensorShape& input);
  bool assigns_input_grads() const override { return true; }

  std::vector<ParamSpec> param_specs() const override;
  void bind(float* params, float* state) override;
  void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) override;
  void backward(const LayerTensors& t, const Chunk& chunk, int phase) override;

 private:
  int m_inputs;
  int m_units;
  bool m_use_bias;
  const float* m_kernel = nullptr;  ///< W (inputs x units), row-major
  const float* m_bias = nullptr;    ///< b (units)
};

std::unique_ptr<OpKernel> make_dense_kernel(const Layer& layer,
                                            const std::vector<TensorShape>& inputs);

}  // namespace hwnas
