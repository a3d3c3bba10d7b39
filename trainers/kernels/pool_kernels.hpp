// This file implements the pooling kernels: max_pool2d, avg_pool2d and global_avg_pool.
#pragma once

#include <memory>

#include "space/layer.hpp"
#include "trainers/kernels/op_kernel.hpp"
#include "trainers/kernels/window_geometry.hpp"

namespace hwnas {

/// Max over each window. Backward routes each output gradient to the first window
/// element (in kh, kw order) equal to the output, found again from the stored input and
/// output, so no argmax buffer is kept. Padding never wins (TensorFlow pads with -inf).
/// When the windows do not overlap (stride = window, the usual 2x2/2), backward assigns
/// every input gradient once instead of clearing and accumulating.
class MaxPool2DKernel final : public OpKernel {
 public:
  MaxPool2DKernel(const Layer& layer, const TensorShape& input);
  bool assigns_input_grads() const override { return true; }
  void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) override;
  void backward(const LayerTensors& t, const Chunk& chunk, int phase) override;

 private:
  void forward_sample(const float* x, float* y) const;
  template <bool kAssign>
  void backward_sample(const float* x, const float* y, const float* dy, float* dx,
                       float* left) const;
  /// Zeroes the input gradient of one sample outside every window: with disjoint
  /// windows only "valid" pools that stop short of the last rows or columns have such.
  void zero_uncovered(float* dx) const;

  WindowGeometry m_geometry;
  bool m_disjoint;  ///< stride = window: windows neither overlap nor leave gaps
};

/// Mean over each window's elements inside the input: with "same" padding the divisor
/// is the number of valid elements, as in TensorFlow (padding is not averaged in).
class AvgPool2DKernel final : public OpKernel {
 public:
  AvgPool2DKernel(const Layer& layer, const TensorShape& input);
  void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) override;
  void backward(const LayerTensors& t, const Chunk& chunk, int phase) override;

 private:
  WindowGeometry m_geometry;
};

/// Mean over all pixels per channel: (H, W, C) -> (1, 1, C).
class GlobalAvgPoolKernel final : public OpKernel {
 public:
  explicit GlobalAvgPoolKernel(const TensorShape& input);
  bool assigns_input_grads() const override { return true; }
  void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) override;
  void backward(const LayerTensors& t, const Chunk& chunk, int phase) override;

 private:
  int m_pixels;
  int m_channels;
};

std::unique_ptr<OpKernel> make_max_pool2d_kernel(const Layer& layer,
                                                 const std::vector<TensorShape>& inputs);
std::unique_ptr<OpKernel> make_avg_pool2d_kernel(const Layer& layer,
                                                 const std::vector<TensorShape>& inputs);
std::unique_ptr<OpKernel> make_global_avg_pool_kernel(const Layer& layer,
                                                      const std::vector<TensorShape>& inputs);

}  // namespace hwnas
