// This file implements BatchNormKernel: batch normalisation over the channels of NHWC
// tensors (Ioffe & Szegedy 2015), with batch statistics over the whole batch in
// training mode and moving statistics in inference mode, as Keras' BatchNormalization.
#pragma once

#include <memory>
#include <vector>

#include "space/layer.hpp"
#include "trainers/kernels/op_kernel.hpp"

namespace hwnas {

/// y = gamma * (x - mean) / sqrt(var + eps) + beta per channel.
///
/// Training mode uses the mean and (biased) variance over all samples and pixels of the
/// batch, which spans several chunks, so forward runs in two phases:
///   0: per chunk, its mean and sum of squared deviations (one pass over x, shifted by
///      the chunk's first pixel so that the sum of squares does not cancel);
///      finish: combine the chunks in chunk order (Chan, Golub & LeVeque 1979), var,
///      scale, shift; moving averages (moving = k * moving + (1 - k) * batch value)
///   1: y = x * scale + shift.
/// Backward runs in two: per-chunk sums of dY and dY * xhat (which are also the chunk's
/// beta and gamma gradients), then dX = gamma / sigma * (dY - mean(dY) - xhat *
/// mean(dY * xhat)), folded into dX = a * dY + b * (x - mean) + c per channel. NOTE:
/// partial sums are per chunk, in double, and reduced in chunk order, so the statistics
/// do not depend on the number of threads.
/// Inference mode is one phase with the moving statistics.
///
/// fuse_clamp() folds a following ReLU / ReLU6 into the kernel (Network does this when
/// the activation alone reads the batch norm's output): forward then writes the
/// activation's output, and backward receives the activation's output gradient and
/// finds where the clamp passed it by recomputing x * scale + shift. That saves the
/// batch norm's output tensor and, per step, five of the thirteen passes over
/// activation-sized memory that the two kernels make apart.
///
/// The moving averages use momentum 0.99 with zero-debiasing (as Adam's moment
/// estimates, Kingma & Ba 2015): after t updates they hold sum_i 0.99^(t-i) * b_i /
/// sum_i 0.99^(t-i) over the batch values b_i, i.e. k = 0.99 (1 - 0.99^(t-1)) /
/// (1 - 0.99^t), so the first update copies the batch statistics. Keras' plain EMA
/// would still weigh its initial 0 / 1 by 0.99^t, e.g. 70% after 36 steps, which
/// ruins the inference accuracy of the short trainings a search runs. NOTE: t counts
/// this kernel's updates; it is not part of state().
class BatchNormKernel final : public OpKernel {
 public:
  static constexpr double kMomentum = 0.99;

  BatchNormKernel(const Layer& layer, const TensorShape& input);

  bool fuse_clamp(float lo, float hi) override;

  std::vector<ParamSpec> param_specs() const override;
  void bind(float* params, float* state) override;
  void reserve(int max_batch, int max_chunks) override;
  int forward_phases(Mode mode) const override { return mode == Mode::kTraining ? 2 : 1; }
  void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) override;
  void finish_forward_phase(int phase, int num_chunks, Mode mode) override;
  bool assigns_input_grads() const override { return true; }
  int backward_phases() const override { return 2; }
  void backward(const LayerTensors& t, const Chunk& chunk, int phase) override;
  void finish_backward_phase(int phase, int num_chunks) override;

 private:
  using RowArray = Eigen::Array<float, 1, Eigen::Dynamic>;
  using PartialMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  void accumulate_moments(const ConstTensorMap& x, const Chunk& c);
  template <bool kClamp>
  void accumulate_grad_sums(const ConstTensorMap& x, const ConstTensorMap& dy, const Chunk& c);
  void update_moving_averages(const Eigen::RowVectorXd& var);
  double count(int num_chunks) const;

  int m_channels;
  double m_epsilon;
  float* m_gamma = nullptr;             ///< (C), trainable
  float* m_beta = nullptr;              ///< (C), trainable
  float* m_moving_mean = nullptr;       ///< (C), state
  float* m_moving_variance = nullptr;   ///< (C), state
  std::vector<int64_t> m_chunk_pixels;  ///< pixels (rows*H*W) of each chunk this batch
  PartialMatrix m_partials;             ///< (max_chunks x 2C) per-chunk partial sums
  RowArray m_mean;                      ///< (C) batch mean
  RowArray m_inv_std;                   ///< (C) 1 / sqrt(batch var + eps)
  RowArray m_scale;                     ///< (C) gamma * inv_std
  RowArray m_shift;                     ///< (C) beta - mean * scale
  RowArray m_dx_dy, m_dx_x, m_dx_bias;  ///< (C): dX = dx_dy dY + dx_x (x - mean) + dx_bias
  int64_t m_updates = 0;                ///< moving-average updates so far
  bool m_clamped = false;               ///< fuse_clamp() was called
  float m_lo = 0.0f, m_hi = 0.0f;       ///< the fused clamp's bounds
};

std::unique_ptr<OpKernel> make_batch_norm_kernel(const Layer& layer,
                                                 const std::vector<TensorShape>& inputs);

}  // namespace hwnas
