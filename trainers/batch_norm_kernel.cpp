// This file implements BatchNormKernel (see batch_norm_kernel.hpp).
//
// The per-pixel work runs as plain loops over the channels of one pixel (contiguous in
// NHWC), which the compiler vectorises; Eigen row expressions of 16-72 floats cost more
// in per-row setup than in arithmetic here.
#include "trainers/batch_norm_kernel.hpp"

#include <algorithm>
#include <cmath>

namespace hwnas {

namespace {

// y[p, c] = x[p, c] * a[c] + b[c] for `pixels` pixels of `channels` channels.
void affine(const float* __restrict x, const float* __restrict a, const float* __restrict b,
            float* __restrict y, int64_t pixels, int channels) {
  for (int64_t p = 0; p < pixels; ++p, x += channels, y += channels)
    for (int c = 0; c < channels; ++c) y[c] = x[c] * a[c] + b[c];
}

// dx[p, c] (= or +=) dy[p, c] * a[c] + (x[p, c] - m[c]) * b[c] + k[c]. Centring x
// first keeps the b-term exact when |mean| >> std.
template <bool kAssign>
void affine2(const float* __restrict dy, const float* __restrict x, const float* __restrict a,
             const float* __restrict b, const float* __restrict m, const float* __restrict k,
             float* __restrict dx, int64_t pixels, int channels) {
  for (int64_t p = 0; p < pixels; ++p, dy += channels, x += channels, dx += channels)
    for (int c = 0; c < channels; ++c) {
      const float v = dy[c] * a[c] + (x[c] - m[c]) * b[c] + k[c];
      if constexpr (kAssign)
        dx[c] = v;
      else
        dx[c] += v;
    }
}

// s1[c] = sum over pixels of u, s2[c] = sum of v, with terms(p, s1, s2) adding pixel p's
// u and v. NOTE: double accumulators: gradient checks perturb one input by a small eps
// and need the mean to move by eps / n, which float partial sums round away.
template <typename Terms>
void pixel_sums(int64_t pixels, int channels, double* __restrict s1, double* __restrict s2,
                Terms&& terms) {
  std::fill(s1, s1 + channels, 0.0);
  std::fill(s2, s2 + channels, 0.0);
  for (int64_t p = 0; p < pixels; ++p) terms(p, s1, s2);
}

}  // namespace

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

// Partials row: the chunk's mean, then its sum of squared deviations from that mean.
void BatchNormKernel::accumulate_moments(const ConstTensorMap& x, const Chunk& c) {
  const int ch = m_channels;
  const int64_t pixels = x.rows();
  m_chunk_pixels[size_t(c.index)] = pixels;
  double* mean = m_partials.row(c.index).data();
  double* m2 = mean + ch;
  const float* xs = x.data();
  // Shifting by the chunk's first pixel keeps the sum of squares small when
  // |mean| >> std (the shift is close to the mean), so M2 = sum(d^2) - sum(d)^2 / n
  // does not cancel.
  float* __restrict shift = c.scratch->small.floats(size_t(ch));
  std::copy(xs, xs + ch, shift);
  pixel_sums(pixels, ch, mean, m2, [&](int64_t p, double* __restrict a1, double* __restrict a2) {
    const float* __restrict xp = xs + p * ch;
    for (int j = 0; j < ch; ++j) {
      const double d = double(xp[j]) - double(shift[j]);
      a1[j] += d;
      a2[j] += d * d;
    }
  });
  const double n = double(pixels);
  for (int j = 0; j < ch; ++j) {
    const double s = mean[j];
    mean[j] = shift[j] + s / n;
    m2[j] = std::max(0.0, m2[j] - s * s / n);
  }
}

void BatchNormKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) {
  const ConstTensorMap x = chunk_pixels(*t.inputs[0], chunk, m_channels);
  float* y = chunk_pixels(*t.output, chunk, m_channels).data();
  if (mode == Mode::kInference) {
    float* factors = chunk.scratch->small.floats(size_t(2 * m_channels));
    for (int c = 0; c < m_channels; ++c) {
      factors[c] = m_gamma[c] / std::sqrt(m_moving_variance[c] + float(m_epsilon));
      factors[m_channels + c] = m_beta[c] - m_moving_mean[c] * factors[c];
    }
    affine(x.data(), factors, factors + m_channels, y, x.rows(), m_channels);
  } else if (phase == 0) {
    accumulate_moments(x, chunk);
  } else {
    affine(x.data(), m_scale.data(), m_shift.data(), y, x.rows(), m_channels);
  }
}

double BatchNormKernel::count(int num_chunks) const {
  int64_t pixels = 0;
  for (int c = 0; c < num_chunks; ++c) pixels += m_chunk_pixels[size_t(c)];
  return double(pixels);
}

void BatchNormKernel::finish_forward_phase(int /*phase*/, int num_chunks, Mode /*mode*/) {
  // Chan et al.'s pairwise update, chunk by chunk in order: merging (n_a, mean_a, M2_a)
  // with (n_b, mean_b, M2_b) adds delta^2 * n_a * n_b / n to M2.
  const int ch = m_channels;
  Eigen::RowVectorXd mean = m_partials.row(0).head(ch), m2 = m_partials.row(0).tail(ch);
  double n = double(m_chunk_pixels[0]);
  for (int c = 1; c < num_chunks; ++c) {
    const double nb = double(m_chunk_pixels[size_t(c)]), total = n + nb;
    const Eigen::RowVectorXd delta = m_partials.row(c).head(ch) - mean;
    mean += delta * (nb / total);
    m2 += m_partials.row(c).tail(ch) + delta.cwiseAbs2() * (n * nb / total);
    n = total;
  }
  const Eigen::RowVectorXd var = m2 / n;
  m_mean = mean.cast<float>().array();
  m_inv_std = (var.array() + m_epsilon).rsqrt().cast<float>();
  const Eigen::Map<const RowArray> gamma(m_gamma, ch), beta(m_beta, ch);
  m_scale = gamma * m_inv_std;
  m_shift = beta - m_mean * m_scale;
  update_moving_averages(var);
}

void BatchNormKernel::update_moving_averages(const Eigen::RowVectorXd& var) {
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
  const int ch = m_channels;
  double* sum_dy = m_partials.row(c.index).data();
  double* sum_dy_xhat = sum_dy + ch;
  const float* xs = x.data();
  const float* dys = dy.data();
  const float* __restrict mean = m_mean.data();
  // sum(dY * (x - mean)), scaled by inv_std once at the end.
  pixel_sums(x.rows(), ch, sum_dy, sum_dy_xhat,
             [&](int64_t p, double* __restrict a1, double* __restrict a2) {
               const float* __restrict xp = xs + p * ch;
               const float* __restrict gp = dys + p * ch;
               for (int j = 0; j < ch; ++j) {
                 a1[j] += double(gp[j]);
                 a2[j] += double(gp[j]) * (double(xp[j]) - double(mean[j]));
               }
             });
  for (int j = 0; j < ch; ++j) sum_dy_xhat[j] *= double(m_inv_std[j]);
  // The chunk's parameter gradients, in param_specs() order: gamma, then beta.
  for (int j = 0; j < ch; ++j) {
    c.param_grads[j] = float(sum_dy_xhat[j]);
    c.param_grads[ch + j] = float(sum_dy[j]);
  }
}

void BatchNormKernel::backward(const LayerTensors& t, const Chunk& chunk, int phase) {
  const ConstTensorMap x = chunk_pixels(*t.inputs[0], chunk, m_channels);
  const ConstTensorMap dy = chunk_pixels(*t.output_grad, chunk, m_channels);
  if (phase == 0) {
    accumulate_grad_sums(x, dy, chunk);
    return;
  }
  if (!t.input_grads[0]) return;
  float* dx = chunk_pixels(*t.input_grads[0], chunk, m_channels).data();
  const float *a = m_dx_dy.data(), *b = m_dx_x.data(), *k = m_dx_bias.data();
  const float* m = m_mean.data();
  if (t.overwrite_grads[0])
    affine2<true>(dy.data(), x.data(), a, b, m, k, dx, x.rows(), m_channels);
  else
    affine2<false>(dy.data(), x.data(), a, b, m, k, dx, x.rows(), m_channels);
}

// scale * (dY - mean(dY) - xhat * mean(dY xhat)) with xhat = (x - mean) * inv_std is
// dX = scale * dY + b * (x - mean) - scale * mean(dY), b = -scale * inv_std * mean(dY xhat).
void BatchNormKernel::finish_backward_phase(int /*phase*/, int num_chunks) {
  Eigen::RowVectorXd totals = m_partials.row(0);
  for (int c = 1; c < num_chunks; ++c) totals += m_partials.row(c);
  totals /= count(num_chunks);
  const RowArray mean_dy = totals.head(m_channels).cast<float>().array();
  const RowArray mean_dy_xhat = totals.tail(m_channels).cast<float>().array();
  m_dx_dy = m_scale;
  m_dx_x = -m_scale * m_inv_std * mean_dy_xhat;
  m_dx_bias = -m_scale * mean_dy;
}

std::unique_ptr<OpKernel> make_batch_norm_kernel(const Layer& layer,
                                                 const std::vector<TensorShape>& inputs) {
  return std::make_unique<BatchNormKernel>(layer, inputs[0]);
}

}  // namespace hwnas
