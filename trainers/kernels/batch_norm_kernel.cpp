// This file implements BatchNormKernel (see batch_norm_kernel.hpp).
//
// The per-pixel work runs as plain loops over the channels of one pixel (contiguous in
// NHWC), which the compiler vectorises; Eigen row expressions of 16-72 floats cost more
// in per-row setup than in arithmetic here.
#include "trainers/kernels/batch_norm_kernel.hpp"

#include <algorithm>
#include <cmath>

namespace hwnas {

namespace {

// Pixels whose terms are summed in float (vectorised) before they are added to the
// double accumulators: few enough that the float sums lose nothing that matters.
constexpr int64_t kFloatSumPixels = 8;

// x * a + b, computed the same way wherever it is needed: the fused backward recomputes
// the forward's pre-activation to find where the activation passed the gradient.
inline float affine_value(float x, float a, float b) {
#ifdef __FMA__
  return std::fma(x, a, b);
#else
  return x * a + b;
#endif
}

// y[p, c] = clamp(x[p, c] * a[c] + b[c], lo, hi) for `pixels` pixels of `channels`
// channels (no clamp unless kClamp).
template <bool kClamp>
void affine(const float* __restrict x, const float* __restrict a, const float* __restrict b,
            float* __restrict y, int64_t pixels, int channels, float lo, float hi) {
  for (int64_t p = 0; p < pixels; ++p, x += channels, y += channels)
    for (int c = 0; c < channels; ++c) {
      const float v = affine_value(x[c], a[c], b[c]);
      y[c] = kClamp ? std::min(std::max(v, lo), hi) : v;
    }
}

// dL/d(batch norm output): dy, or with a fused clamp dy where lo < x * a + b < hi, else 0.
template <bool kClamp>
inline float passed_grad(float dy, float x, float a, float b, float lo, float hi) {
  if constexpr (!kClamp) return dy;
  const float z = affine_value(x, a, b);
  return z > lo && z < hi ? dy : 0.0f;
}

// s1[c] = sum over pixels of u, s2[c] = sum of v, with terms(p, f1, f2) adding pixel p's
// u and v to the float partials f1, f2 (scratch of `channels` floats each). NOTE: double
// accumulators: gradient checks perturb one input by a small eps and need the mean to
// move by eps / n, which float sums over a whole chunk round away.
template <typename Terms>
void pixel_sums(int64_t pixels, int channels, double* __restrict s1, double* __restrict s2,
                float* __restrict f1, float* __restrict f2, Terms&& terms) {
  std::fill(s1, s1 + channels, 0.0);
  std::fill(s2, s2 + channels, 0.0);
  for (int64_t p0 = 0; p0 < pixels; p0 += kFloatSumPixels) {
    std::fill(f1, f1 + channels, 0.0f);
    std::fill(f2, f2 + channels, 0.0f);
    const int64_t p1 = std::min(pixels, p0 + kFloatSumPixels);
    for (int64_t p = p0; p < p1; ++p) terms(p, f1, f2);
    for (int c = 0; c < channels; ++c) {
      s1[c] += double(f1[c]);
      s2[c] += double(f2[c]);
    }
  }
}

// dx[p, c] (= or +=) g * a[c] + (x[p, c] - m[c]) * b[c] + k[c] with g the gradient the
// batch norm output receives (passed_grad). Centring x first keeps the b-term exact when
// |mean| >> std.
template <bool kAssign, bool kClamp>
void input_grad(const float* __restrict dy, const float* __restrict x, const float* __restrict a,
                const float* __restrict b, const float* __restrict m, const float* __restrict k,
                const float* __restrict scale, const float* __restrict shift, float lo, float hi,
                float* __restrict dx, int64_t pixels, int channels) {
  for (int64_t p = 0; p < pixels; ++p, dy += channels, x += channels, dx += channels)
    for (int c = 0; c < channels; ++c) {
      const float g = passed_grad<kClamp>(dy[c], x[c], scale[c], shift[c], lo, hi);
      const float v = g * a[c] + (x[c] - m[c]) * b[c] + k[c];
      if constexpr (kAssign)
        dx[c] = v;
      else
        dx[c] += v;
    }
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

bool BatchNormKernel::fuse_clamp(float lo, float hi) {
  m_clamped = true;
  m_lo = lo;
  m_hi = hi;
  return true;
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
  float* scratch = c.scratch->small.floats(size_t(3 * ch));
  float* __restrict shift = scratch;
  std::copy(xs, xs + ch, shift);
  pixel_sums(pixels, ch, mean, m2, scratch + ch, scratch + 2 * ch,
             [&](int64_t p, float* __restrict a1, float* __restrict a2) {
               const float* __restrict xp = xs + p * ch;
               for (int j = 0; j < ch; ++j) {
                 const float d = xp[j] - shift[j];
                 a1[j] += d;
                 a2[j] += d * d;
               }
             });
  const double n = double(pixels);
  for (int j = 0; j < ch; ++j) {
    const double s = mean[j];
    mean[j] = double(shift[j]) + s / n;
    m2[j] = std::max(0.0, m2[j] - s * s / n);
  }
}

void BatchNormKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) {
  const ConstTensorMap x = chunk_pixels(*t.inputs[0], chunk, m_channels);
  if (mode == Mode::kTraining && phase == 0) {
    accumulate_moments(x, chunk);
    return;
  }
  const float *a = m_scale.data(), *b = m_shift.data();
  if (mode == Mode::kInference) {
    float* factors = chunk.scratch->small.floats(size_t(2 * m_channels));
    for (int c = 0; c < m_channels; ++c) {
      factors[c] = m_gamma[c] / std::sqrt(m_moving_variance[c] + float(m_epsilon));
      factors[m_channels + c] = m_beta[c] - m_moving_mean[c] * factors[c];
    }
    a = factors;
    b = factors + m_channels;
  }
  float* y = chunk_pixels(*t.output, chunk, m_channels).data();
  if (m_clamped)
    affine<true>(x.data(), a, b, y, x.rows(), m_channels, m_lo, m_hi);
  else
    affine<false>(x.data(), a, b, y, x.rows(), m_channels, m_lo, m_hi);
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

template <bool kClamp>
void BatchNormKernel::accumulate_grad_sums(const ConstTensorMap& x, const ConstTensorMap& dy,
                                           const Chunk& c) {
  const int ch = m_channels;
  double* sum_dy = m_partials.row(c.index).data();
  double* sum_dy_xhat = sum_dy + ch;
  const float* xs = x.data();
  const float* dys = dy.data();
  const float* __restrict mean = m_mean.data();
  const float* __restrict scale = m_scale.data();
  const float* __restrict shift = m_shift.data();
  const float lo = m_lo, hi = m_hi;
  float* scratch = c.scratch->small.floats(size_t(2 * ch));
  // sum(g * (x - mean)), scaled by inv_std once at the end.
  pixel_sums(x.rows(), ch, sum_dy, sum_dy_xhat, scratch, scratch + ch,
             [&](int64_t p, float* __restrict a1, float* __restrict a2) {
               const float* __restrict xp = xs + p * ch;
               const float* __restrict gp = dys + p * ch;
               for (int j = 0; j < ch; ++j) {
                 const float g = passed_grad<kClamp>(gp[j], xp[j], scale[j], shift[j], lo, hi);
                 a1[j] += g;
                 a2[j] += g * (xp[j] - mean[j]);
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
    if (m_clamped)
      accumulate_grad_sums<true>(x, dy, chunk);
    else
      accumulate_grad_sums<false>(x, dy, chunk);
    return;
  }
  if (!t.input_grads[0]) return;
  float* dx = chunk_pixels(*t.input_grads[0], chunk, m_channels).data();
  const float *a = m_dx_dy.data(), *b = m_dx_x.data(), *k = m_dx_bias.data();
  const float *m = m_mean.data(), *scale = m_scale.data(), *shift = m_shift.data();
  const int64_t n = x.rows();
  const int ch = m_channels;
  const bool assign = t.overwrite_grads[0];
  if (assign && m_clamped)
    input_grad<true, true>(dy.data(), x.data(), a, b, m, k, scale, shift, m_lo, m_hi, dx, n, ch);
  else if (assign)
    input_grad<true, false>(dy.data(), x.data(), a, b, m, k, scale, shift, m_lo, m_hi, dx, n, ch);
  else if (m_clamped)
    input_grad<false, true>(dy.data(), x.data(), a, b, m, k, scale, shift, m_lo, m_hi, dx, n, ch);
  else
    input_grad<false, false>(dy.data(), x.data(), a, b, m, k, scale, shift, m_lo, m_hi, dx, n, ch);
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
