// This file implements DepthwiseConv2DKernel, the NHWC depthwise convolution with a
// depth multiplier, as direct loops over channels that the compiler vectorises.
#pragma once

#include <memory>
#include <vector>

#include "space/layer.hpp"
#include "trainers/kernels/op_kernel.hpp"
#include "trainers/kernels/window_geometry.hpp"

namespace hwnas {

/// Depthwise convolution: input channel c produces output channels c*M .. c*M+M-1
/// (M = depth_multiplier), each with its own KH x KW filter:
///   y[oh, ow, c*M+m] = b[c*M+m] + sum_{kh,kw} x[ih, iw, c] * W[kh, kw, c*M+m].
/// W is stored as TensorFlow's (KH, KW, C, M) layout, i.e. (taps x C*M) row-major. The
/// innermost loops run over contiguous channels, so they vectorise; there is no im2col
/// because each output needs only KH*KW multiplies per channel. With M = 1 the forward
/// pass and dX accumulate each pixel's taps in registers: dX in gather form,
///   dX[ih, iw, c] = sum over (kh, oh), (kw, ow) with oh*sh - pad_top + kh = ih (likewise
///   for columns) of dY[oh, ow, c] * W[kh, kw, c],
/// from per-layer tables of those pairs, so dX is assigned (no zeroing pass). 3x3 and
/// 5x5 kernels with M = 1 run the forward pass and dW on a zero-padded copy of each
/// sample, with the weights or their gradients in registers (depthwise_fixed_window.hpp).
class DepthwiseConv2DKernel final : public OpKernel {
 public:
  /// Largest KH*KW of the register-blocked path (per-pixel tap offsets live on the stack).
  static constexpr int kMaxTaps = 64;

  DepthwiseConv2DKernel(const Layer& layer, const TensorShape& input);

  std::vector<ParamSpec> param_specs() const override;
  void bind(float* params, float* state) override;
  /// Blocked (M = 1, at most kMaxTaps taps): dX is assigned in gather form; otherwise
  /// scattered into a dX the Network zeroed.
  bool assigns_input_grads() const override { return m_blocked; }
  void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) override;
  void backward(const LayerTensors& t, const Chunk& chunk, int phase) override;

 private:
  /// (tap index, output index) along one axis: output `out` reads input i with tap `tap`.
  struct TapPair {
    int tap, out;
  };
  static void build_tap_table(int in, int kernel, int stride, int pad, int out,
                              std::vector<TapPair>& taps, std::vector<int>& begin);

  /// Input and kernel offsets (in floats) of a window's taps; returns their count.
  int window_offsets(int64_t in0, int kh0, int kh1, int kw0, int kw1, int64_t* x_off,
                     int64_t* w_off) const;
  void forward_sample(const float* x, float* y) const;
  /// Blocked: accumulates one sample's dW and db (db may be null).
  void weight_grad_sample(const float* x, const float* dy, float* dw, float* db) const;
  /// Blocked: one sample's dX, assigned or added.
  template <bool kAssign>
  void input_grad_sample(const float* dy, float* dx) const;
  /// Not blocked: accumulates one sample's dW and db into dw/db and, if dx is non-null, its dX.
  void backward_sample(const float* x, const float* dy, float* dw, float* db, float* dx) const;

  WindowGeometry m_geometry;
  int m_multiplier;
  int m_out_channels;  ///< C*M
  bool m_use_bias;
  bool m_blocked;  ///< register-blocked loops: M = 1 and KH*KW <= kMaxTaps
  /// Forward and dW by depthwise_fixed_window.hpp on a padded copy (M = 1, 3x3 or 5x5).
  bool m_fixed_window;
  const float* m_kernel = nullptr;  ///< W (KH*KW x C*M), row-major
  const float* m_bias = nullptr;    ///< b (C*M)
  /// Row taps: for input row ih, m_row_taps[m_row_begin[ih] .. m_row_begin[ih + 1]).
  std::vector<TapPair> m_row_taps, m_col_taps;
  std::vector<int> m_row_begin, m_col_begin;  ///< (in_h + 1), (in_w + 1)
};

std::unique_ptr<OpKernel> make_depthwise_conv2d_kernel(const Layer& layer,
                                                       const std::vector<TensorShape>& inputs);

}  // namespace hwnas
