// This file implements SgdOptimizer, AdamOptimizer and make_optimizer.
#include "trainers/training/optimizer.hpp"

#include <cmath>
#include <utility>

namespace hwnas {

Eigen::ArrayXf decay_factors(const std::vector<ParamBlock>& blocks, int64_t num_params,
                             double weight_decay) {
  Eigen::ArrayXf decay = Eigen::ArrayXf::Zero(num_params);
  for (const ParamBlock& b : blocks)
    if (b.trainable && b.decay) decay.segment(b.offset, b.size).setConstant(float(weight_decay));
  return decay;
}

SgdOptimizer::SgdOptimizer(Eigen::ArrayXf decay, double momentum, bool nesterov)
    : m_decay(std::move(decay)),
      m_velocity(Eigen::ArrayXf::Zero(m_decay.size())),
      m_momentum(float(momentum)),
      m_nesterov(nesterov) {}

void SgdOptimizer::step(Eigen::VectorXf& params, const Eigen::VectorXf& grads, float lr) {
  auto w = params.array();
  const auto g = grads.array() + m_decay * w;
  m_velocity = m_momentum * m_velocity + g;
  if (m_nesterov)
    w -= lr * (g + m_momentum * m_velocity);
  else
    w -= lr * m_velocity;
}

AdamOptimizer::AdamOptimizer(Eigen::ArrayXf decay)
    : m_decay(std::move(decay)),
      m_first(Eigen::ArrayXf::Zero(m_decay.size())),
      m_second(Eigen::ArrayXf::Zero(m_decay.size())) {}

void AdamOptimizer::step(Eigen::VectorXf& params, const Eigen::VectorXf& grads, float lr) {
  ++m_steps;
  auto w = params.array();
  const auto g = grads.array() + m_decay * w;
  m_first = float(kBeta1) * m_first + float(1.0 - kBeta1) * g;
  m_second = float(kBeta2) * m_second + float(1.0 - kBeta2) * g.square();
  const double c1 = 1.0 - std::pow(kBeta1, double(m_steps));
  const double c2 = 1.0 - std::pow(kBeta2, double(m_steps));
  const float step_size = float(lr / c1);
  const float second_scale = float(1.0 / c2);
  w -= step_size * m_first / ((m_second * second_scale).sqrt() + float(kEpsilon));
}

std::unique_ptr<Optimizer> make_optimizer(const TrainingOptions& options,
                                          const std::vector<ParamBlock>& blocks,
                                          int64_t num_params) {
  Eigen::ArrayXf decay = decay_factors(blocks, num_params, options.weight_decay);
  if (options.optimizer == OptimizerKind::kAdam)
    return std::make_unique<AdamOptimizer>(std::move(decay));
  return std::make_unique<SgdOptimizer>(std::move(decay), options.momentum, options.nesterov);
}

}  // namespace hwnas
