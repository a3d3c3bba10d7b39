// This file implements Conv2DKernel, the NHWC 2-D convolution as im2col + one GEMM.
#pragma once

#include <memory>

#include "space/layer.hpp"
#include "trainers/kernels/op_kernel.hpp"
#include "trainers/kernels/window_geometry.hpp"

namespace hwnas {

/// Convolution of a chunk of n samples as a matrix product:
///   Y (n*OH*OW x F) = columns (n*OH*OW x KH*KW*C) * W (KH*KW*C x F) + b,
/// where `columns` is the im2col patch matrix (skipped for unpadded 1x1 stride-1
/// convolutions, whose input already is that matrix). Backward recomputes the patches:
///   dW = columns^T dY,  db = column sums of dY,  dX = col2im(dY W^T).
/// W is stored in TensorFlow's HWIO order, so it exports without transposition.
/// The chunk is processed in blocks of samples whose patch matrix fits in about 256 KiB
/// (L2), so the patches are written and read back from cache; the blocking depends on
/// the layer's shape only, never on the thread count.
class Conv2DKernel final : public OpKernel {
 public:
  /// Floats of patch matrix per block of samples (256 KiB).
  static constexpr int64_t kColumnBudget = 64 * 1024;

  Conv2DKernel(const Layer& layer, const TensorShape& input);
  /// Pointwise convolutions assign dX with the GEMM; the others scatter-add (col2im).
  bool assigns_input_grads() const override { return m_pointwise; }

  std::vector<ParamSpec> param_specs() const override;
  void bind(float* params, float* state) override;
  void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) override;
  void backward(const LayerTensors& t, const Chunk& chunk, int phase) override;

 private:
  /// Patch matrix of samples [row0, row0 + samples) (in scratch, or a view of the input
  /// for pointwise convs).
  ConstTensorMap columns(const Tensor& x, int row0, int samples, Scratch& scratch) const;
  /// Writes (overwrite) or adds dX of samples [row0, row0 + samples) given their dY.
  void input_grad(const ConstTensorMap& dy, int row0, int samples, Tensor& dx, bool overwrite,
                  Scratch& scratch) const;

  WindowGeometry m_geometry;
  int m_filters;
  int m_patch;  ///< KH*KW*C
  bool m_use_bias;
  bool m_pointwise;
  int m_block_samples;              ///< samples per patch-matrix block
  const float* m_kernel = nullptr;  ///< W (patch x filters), row-major
  const float* m_bias = nullptr;    ///< b (filters)
};

std::unique_ptr<OpKernel> make_conv2d_kernel(const Layer& layer,
                                             const std::vector<TensorShape>& inputs);

}  // namespace hwnas
