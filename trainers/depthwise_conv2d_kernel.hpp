// This file implements DepthwiseConv2DKernel, the NHWC depthwise convolution with a
// depth multiplier, as direct loops over channels that the compiler vectorises.
#pragma once

#include <memory>

#include "space/layer.hpp"
#include "trainers/op_kernel.hpp"
#include "trainers/window_geometry.hpp"

namespace hwnas {

/// Depthwise convolution: input channel c produces output channels c*M .. c*M+M-1
/// (M = depth_multiplier), each with its own KH x KW filter:
///   y[oh, ow, c*M+m] = b[c*M+m] + sum_{kh,kw} x[ih, iw, c] * W[kh, kw, c*M+m].
/// W is stored as TensorFlow's (KH, KW, C, M) layout, i.e. (taps x C*M) row-major. The
/// innermost loops run over contiguous channels, so they vectorise; there is no im2col
/// because each output needs only KH*KW multiplies per channel.
class DepthwiseConv2DKernel final : public OpKernel {
 public:
  DepthwiseConv2DKernel(const Layer& layer, const TensorShape& input);

  std::vector<ParamSpec> param_specs() const override;
  void bind(float* params, float* state) override;
  void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) override;
  void backward(const LayerTensors& t, const Chunk& chunk, int phase) override;

 private:
  void forward_sample(const float* x, float* y) const;
  /// Accumulates one sample's dW and db into dw/db and, if dx is non-null, its dX.
  void backward_sample(const float* x, const float* dy, float* dw, float* db, float* dx) const;

  WindowGeometry m_geometry;
  int m_multiplier;
  int m_out_channels;  ///< C*M
  bool m_use_bias;
  const float* m_kernel = nullptr;  ///< W (KH*KW x C*M), row-major
  const float* m_bias = nullptr;    ///< b (C*M)
};

std::unique_ptr<OpKernel> make_depthwise_conv2d_kernel(const Layer& layer,
                                                       const std::vector<TensorShape>& inputs);

}  // namespace hwnas
