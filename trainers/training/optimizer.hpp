// This file implements the optimisers that update a Network's flat parameter vector:
// SGD with (Nesterov) momentum and Adam, both with L2 weight decay on the blocks that
// ask for it (weights, not biases or batch-norm parameters).
#pragma once

#include <memory>
#include <vector>

#include "trainers/training/network.hpp"
#include "trainers/kernels/tensor.hpp"
#include "trainers/training/training_options.hpp"

namespace hwnas {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  /// One update of `params` from their gradient `grads` at learning rate `lr`.
  virtual void step(Eigen::VectorXf& params, const Eigen::VectorXf& grads, float lr) = 0;
};

/// Per-parameter weight-decay factors: `weight_decay` on trainable blocks with decay, 0
/// elsewhere (size: the trainable parameter count).
Eigen::ArrayXf decay_factors(const std::vector<ParamBlock>& blocks, int64_t num_params,
                             double weight_decay);

/// SGD with momentum, PyTorch's formulation: g' = g + wd * w; v = mu * v + g';
/// w -= lr * (g' + mu * v) with Nesterov, w -= lr * v without.
class SgdOptimizer final : public Optimizer {
 public:
  SgdOptimizer(Eigen::ArrayXf decay, double momentum, bool nesterov);
  void step(Eigen::VectorXf& params, const Eigen::VectorXf& grads, float lr) override;

 private:
  Eigen::ArrayXf m_decay;     ///< (P) weight decay per parameter
  Eigen::ArrayXf m_velocity;  ///< (P)
  float m_momentum;
  bool m_nesterov;
};

/// Adam (Kingma & Ba 2015) on g' = g + wd * w, beta1 0.9, beta2 0.999, epsilon 1e-7
/// (Keras' defaults), with bias correction.
class AdamOptimizer final : public Optimizer {
 public:
  explicit AdamOptimizer(Eigen::ArrayXf decay);
  void step(Eigen::VectorXf& params, const Eigen::VectorXf& grads, float lr) override;

 private:
  static constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEpsilon = 1e-7;
  Eigen::ArrayXf m_decay;   ///< (P) weight decay per parameter
  Eigen::ArrayXf m_first;   ///< (P) first-moment estimate
  Eigen::ArrayXf m_second;  ///< (P) second-moment estimate
  int64_t m_steps = 0;
};

/// The optimiser `options` name, for the network's parameter blocks.
std::unique_ptr<Optimizer> make_optimizer(const TrainingOptions& options,
                                          const std::vector<ParamBlock>& blocks,
                                          int64_t num_params);

}  // namespace hwnas
