// This file implements BatchNormKernel (see batch_norm_kernel.hpp).
#include "trainers/batch_norm_kernel.hpp"

#include <cmath>

namespace hwnas {

BatchNormKernel::BatchNormKernel(const Layer& layer, const TensorShape& input)
    : m_channels(input.c), m_epsilon(layer.epsilon) {}

std::vector<ParamSpec> BatchNormKernel::param_specs() const {
  return {{"gamma", m_channels, ParamInit::kOnes, true, false, 0, 0},
          {"beta", m_channels, ParamInit::kZeros, true, false, 0, 0},
          {"moving_mean", m_channels, ParamInit::kZeros, false, false, 0, 0},
          {"moving_variance", m_channels, ParamInit::kOnes, false, false, 0, 0}};
}

void BatchNormKernel::bind(float* params, float* state) {
  m_gamma = params;
  m_beta = params + m_channels;
  m_moving_mean = state;
  m_moving_variance = state + m_channels;
}

void BatchNormKernel::reserve(int /*max_batch*/, int max_chunks) {
  m_chunk_pixels.assign(size_t(max_chunks), 0);
  m_partials.setZero(max_chunks, 2 * m_channels);
}

void BatchNormKernel::forward_inference(const ConstTensorMap& x, TensorMap& y,
                                        Scratch& scratch) const {
  float* factors = scratch.small.floats(size_t(2 * m_channels));
  Eigen::Map<RowArray> scale(factors, m_channels), shift(factors + m_channels, m_channels);
  const Eigen::Map<const RowArray> gamma(m_gamma, m_channels), beta(m_beta, m_channels);
  const Eigen::Map<const RowArray> mean(m_moving_mean, m_channels);
  const Eigen::Map<const RowArray> var(m_moving_variance, m_channels);
  scale = gamma * (var + float(m_epsilon)).rsqrt();
  shift = beta - mean * scale;
  y.array() = (x.array().rowwise() * scale).rowwise() + shift;
}

void BatchNormKernel::accumulate_sums(const ConstTensorMap& x, int chunk) {
  auto sums = m_partials.row(chunk).head(m_channels);
  sums.setZero();
  for (Eigen::Index r = 0; r < x.rows(); ++r) sums += x.row(r).cast<double>();
}

void BatchNormKernel::accumulate_squares(const ConstTensorMap& x, int chunk) {
  auto sums = m_partials.row(chunk).head(m_channels);
  sums.setZero();
  for (Eigen::Index r = 0; r < x.rows(); ++r)
    sums.array() += (x.row(r).cast<double>() - m_mean_d).array().square();
}

void BatchNormKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) {
  const ConstTensorMap x = chunk_pixels(*t.inputs[0], chunk, m_channels);
  if (mode == Mode::kInference) {
    TensorMap y = chunk_pixels(*t.output, chunk, m_channels);
    forward_inference(x, y, *chunk.scratch);
    return;
  }
  if (phase == 0) {
    m_chunk_pixels[size_t(chunk.index)] = x.rows();
    accumulate_sums(x, chunk.index);
  } else if (phase == 1) {
    accumulate_squares(x, chunk.index);
  } else {
    TensorMap y = chunk_pixels(*t.output, chunk, m_channels);
    y.array() = (x.array().rowwise() * m_scale).rowwise() + m_shift;
  }
}

Eigen::RowVectorXd BatchNormKernel::ordered_sum(int num_chunks) const {
  Eigen::RowVectorXd total = m_partials.row(0);
  for (int c = 1; c < num_chunks; ++c) total += m_partials.row(c);
  return total;
}

double BatchNormKernel::count(int num_chunks) const {
  int64_t pixels = 0;
  for (int c = 0; c < num_chunks; ++c) pixels += m_chunk_pixels[size_t(c)];
  return double(pixels);
}

void BatchNormKernel::finish_forward_phase(int phase, int num_chunks, Mode /*mode*/) {
  const double n = count(num_chunks);
  if (phase == 0) {
    m_mean_d = ordered_sum(num_chunks).head(m_channels) / n;
    m_mean = m_mean_d.cast<float>().array();
    return;
  }
  const Eigen::RowVectorXd var = ordered_sum(num_chunks).head(m_channels) / n;
  m_inv_std = (var.array() + m_epsilon).rsqrt().cast<float>();
  const Eigen::Map<const RowArray> gamma(m_gamma, m_channels), beta(m_beta, m_channels);
  m_scale = gamma * m_inv_std;
  m_shift = beta - m_mean * m_scale;
  Eigen::Map<RowArray> moving_mean(m_moving_mean, m_channels);
  Eigen::Map<RowArray> moving_var(m_moving_variance, m_channels);
  // Zero-debiased moving averages: with t updates so far the stored value is the
  // momentum-weighted mean of the t batch values (the first update copies the batch).
  ++m_updates;
  const double decay_now = std::pow(kMomentum, double(m_updates));
  const double decay_before = decay_now / kMomentum;
  const float keep = float(kMomentum * (1.0 - decay_before) / (1.0 - decay_now));
  moving_mean = keep * moving_mean + (1.0f - keep) * m_mean;
  moving_var = keep * moving_var + (1.0f - keep) * var.cast<float>().array();
}

void BatchNormKernel::accumulate_grad_sums(const ConstTensorMap& x, const ConstTensorMap& dy,
                                           const Chunk& c) {
  auto sum_dy = m_partials.row(c.index).head(m_channels);
  auto sum_dy_xhat = m_partials.row(c.index).tail(m_channels);
  sum_dy.setZero();
  sum_dy_xhat.setZero();
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    sum_dy += dy.row(r).cast<double>();
    sum_dy_xhat.array() +=
        (dy.row(r).array() * (x.row(r).array() - m_mean) * m_inv_std).cast<double>();
  }
  // The chunk's parameter gradients, in param_specs() order: gamma, then beta.
  Eigen::Map<Eigen::RowVectorXf>(c.param_grads, m_channels) = sum_dy_xhat.cast<float>();
  Eigen::Map<Eigen::RowVectorXf>(c.param_grads + m_channels, m_channels) = sum_dy.cast<float>();
}

void BatchNormKernel::backward(const LayerTensors& t, const Chunk& chunk, int phase) {
  const ConstTensorMap x = chunk_pixels(*t.inputs[0], chunk, m_channels);
  const ConstTensorMap dy = chunk_pixels(*t.output_grad, chunk, m_channels);
  if (phase == 0) {
    accumulate_grad_sums(x, dy, chunk);
    return;
  }
  if (!t.input_grads[0]) return;
  TensorMap dx = chunk_pixels(*t.input_grads[0], chunk, m_channels);
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const auto xhat = (x.row(r).array() - m_mean) * m_inv_std;
    write_grad(dx.row(r).array(), m_scale * (dy.row(r).array() - m_mean_dy - xhat * m_mean_dy_xhat),
               t.overwrite_grads[0]);
  }
}

void BatchNormKernel::finish_backward_phase(int /*phase*/, int num_chunks) {
  const Eigen::RowVectorXd totals = ordered_sum(num_chunks) / count(num_chunks);
  m_mean_dy = totals.head(m_channels).cast<float>().array();
  m_mean_dy_xhat = totals.tail(m_channels).cast<float>().array();
}

std::unique_ptr<OpKernel> make_batch_norm_kernel(const Layer& layer,
                                                 const std::vector<TensorShape>& inputs) {
  return std::make_unique<BatchNormKernel>(layer, inputs[0]);
}

}  // namespace hwnas
