// This file implements FakeQuantization, the NetworkHooks of quantisation-aware
// training: the Network computes in float on weights and activations rounded to the int8
// grids the quantised model will use, and back-propagates through the rounding with the
// straight-through estimator (Jacob et al. 2018, "Quantization and Training of Neural
// Networks for Efficient Integer-Arithmetic-Only Inference"; Bengio et al. 2013).
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "space/architecture.hpp"
#include "trainers/training/network.hpp"
#include "trainers/deploy/quantize.hpp"
#include "trainers/deploy/quantized_model.hpp"

namespace hwnas {

/// Per column c (an output channel, or the whole kernel: weight_scale_count), symmetric
/// int8 like quantize(): s_c = max|w_c| / 127 and
/// w~ = s_c * clamp(round(w / s_c), -127, 127) (w~ = w in an all-zero channel).
/// `w` is (rows x channels) row-major, the Network's layout of conv, depthwise and dense
/// kernels, so column c is output channel c.
void fake_quantize_weights(const float* w, int64_t rows, int64_t channels, float* out);

/// How many weight scales `layer`'s kernel has, as quantize() makes them: one per output
/// channel, except one for a dense layer (per_tensor_weights).
int64_t weight_scale_count(const Layer& layer);

/// Per tensor, asymmetric int8: x~ = s * (clamp(round(x / s) + z, -128, 127) - z).
float fake_quantize_value(float x, QuantParams q);

/// Fake quantisation of a Network's weights and chosen activations.
///
/// Forward: every registered kernel block is replaced by fake_quantize_weights of the
/// trainable (shadow) weights; the network input and every registered layer output are
/// rounded to their tensor's grid. Backward (straight-through): weight gradients reach
/// the shadow weights unchanged (per-channel max scaling never clips); an activation's
/// gradient passes where the unrounded value lay inside the grid's range
/// [s (-128 - z), s (127 - z)] and is zero elsewhere.
///
/// Ranges: one per registered tensor, starting at the given (calibrated) range. Unless
/// the momentum is 1, every training batch moves them towards the batch's minimum and
/// maximum, lo = m lo + (1 - m) batch_min (the same for hi), as TF's moving-average
/// quantisation does; the grid is derived from the range as quantize() does
/// (params_for_range), so the learned ranges deploy unchanged. A batch is quantised with
/// the ranges as they were before it; its statistics enter at the next forward() or
/// fold_pending_ranges().
/// NOTE: per-chunk statistics are reduced by min/max, so results do not depend on the
/// thread count.
class FakeQuantization final : public NetworkHooks {
 public:
  /// For a Network built from `arch` with max_batch rows; `momentum` in [0, 1].
  FakeQuantization(const Architecture& arch, int max_batch, double momentum);

  /// A tensor with its own range; returns its id.
  int add_tensor(TensorRange initial);
  /// Round the network input to tensor `tensor`'s grid (never updates its range).
  void quantize_input(int tensor);
  /// Round layer `layer`'s output to tensor `tensor`'s grid; `observe`: the layer's
  /// training batches update the tensor's range (false where it only shares another
  /// tensor's grid, as an average pool shares its input's).
  void quantize_output(int layer, int tensor, bool observe);
  /// Fake-quantise a trainable kernel block whose last axis has `channels` channels.
  void quantize_weights(const ParamBlock& block, int64_t channels);

  /// Moves the ranges by the statistics of the last training batch, if not done yet.
  void fold_pending_ranges();
  const std::vector<TensorRange>& ranges() const { return m_ranges; }
  QuantParams params(int tensor) const { return m_params[size_t(tensor)]; }

  void begin_forward(int batch, Mode mode, const Eigen::VectorXf& params,
                     Eigen::VectorXf& effective, Tensor& input) override;
  void after_forward(int layer, const Chunk& chunk, Mode mode, Tensor& output) override;
  void before_backward(int layer, const Chunk& chunk, Tensor& output_grad) override;

 private:
  struct LayerQuant {
    int tensor = -1;  ///< -1: output not quantised
    bool observe = false;
    Tensor mask;            ///< (max_batch x elements) 1 where the gradient passes, else 0
    Eigen::ArrayXf lo, hi;  ///< (max chunks) per-chunk minimum and maximum of the batch
  };
  struct WeightBlock {
    int64_t offset = 0, rows = 0, channels = 0;
  };

  Architecture m_arch;
  int m_max_batch;
  double m_momentum;
  int m_input_tensor = -1;
  bool m_pending = false;  ///< a training batch's statistics are not folded yet
  std::vector<TensorRange> m_ranges;
  std::vector<QuantParams> m_params;  ///< params_for_range of m_ranges
  std::vector<LayerQuant> m_layers;   ///< per layer of m_arch
  std::vector<WeightBlock> m_weights;
};

}  // namespace hwnas
