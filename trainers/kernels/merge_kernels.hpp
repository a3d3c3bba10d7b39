// This file implements the kernels that merge several tensors: add and concat.
#pragma once

#include <memory>

#include "space/layer.hpp"
#include "trainers/kernels/op_kernel.hpp"

namespace hwnas {

/// Element-wise sum of n equal-shape inputs; each input's gradient is dY.
class AddKernel final : public OpKernel {
 public:
  bool assigns_input_grads() const override { return true; }
  void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) override;
  void backward(const LayerTensors& t, const Chunk& chunk, int phase) override;
};

/// Concatenation along channels of inputs with equal H and W: each output pixel is the
/// inputs' pixels one after the other; backward slices dY the same way.
class ConcatKernel final : public OpKernel {
 public:
  explicit ConcatKernel(const std::vector<TensorShape>& inputs);
  bool assigns_input_grads() const override { return true; }
  void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) override;
  void backward(const LayerTensors& t, const Chunk& chunk, int phase) override;

 private:
  int m_pixels;
  int m_out_channels;
  std::vector<int> m_channels;  ///< per input
  std::vector<int> m_offsets;   ///< first output channel of each input
};

std::unique_ptr<OpKernel> make_add_kernel(const Layer& layer,
                                          const std::vector<TensorShape>& inputs);
std::unique_ptr<OpKernel> make_concat_kernel(const Layer& layer,
                                             const std::vector<TensorShape>& inputs);

}  // namespace hwnas
