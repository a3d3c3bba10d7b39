// This file implements the element-wise and per-pixel kernels: relu, relu6, softmax,
// and the identity used for flatten and reshape (no-ops on NHWC row data).
#pragma once

#include <memory>

#include "space/layer.hpp"
#include "trainers/kernels/op_kernel.hpp"

namespace hwnas {

/// y = max(x, 0); dX += dY where x > 0.
class ReLUKernel final : public OpKernel {
 public:
  bool assigns_input_grads() const override { return true; }
  void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) override;
  void backward(const LayerTensors& t, const Chunk& chunk, int phase) override;
};

/// y = min(max(x, 0), 6); dX += dY where 0 < x < 6.
class ReLU6Kernel final : public OpKernel {
 public:
  bool assigns_input_grads() const override { return true; }
  void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) override;
  void backward(const LayerTensors& t, const Chunk& chunk, int phase) override;
};

/// Softmax over the channels of each pixel (the last axis, as Keras does), computed
/// with the maximum subtracted; dX += y * (dY - sum(dY * y)). When a network ends in
/// softmax the Network fuses it with the loss and never calls this backward.
class SoftmaxKernel final : public OpKernel {
 public:
  explicit SoftmaxKernel(const TensorShape& input) : m_channels(input.c) {}
  bool assigns_input_grads() const override { return true; }
  void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) override;
  void backward(const LayerTensors& t, const Chunk& chunk, int phase) override;

 private:
  int m_channels;
};

/// y = x: flatten and reshape keep the NHWC row-major order of a sample.
class IdentityKernel final : public OpKernel {
 public:
  bool assigns_input_grads() const override { return true; }
  void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) override;
  void backward(const LayerTensors& t, const Chunk& chunk, int phase) override;
};

std::unique_ptr<OpKernel> make_relu_kernel(const Layer& layer,
                                           const std::vector<TensorShape>& inputs);
std::unique_ptr<OpKernel> make_relu6_kernel(const Layer& layer,
                                            const std::vector<TensorShape>& inputs);
std::unique_ptr<OpKernel> make_softmax_kernel(const Layer& layer,
                                              const std::vector<TensorShape>& inputs);
std::unique_ptr<OpKernel> make_identity_kernel(const Layer& layer,
                                               const std::vector<TensorShape>& inputs);

}  // namespace hwnas
