// This file implements softmax_cross_entropy and count_correct.
#include "trainers/training/softmax_cross_entropy.hpp"

#include <cmath>

namespace hwnas {

namespace {

int argmax(const float* z, int k) {
  int best = 0;
  for (int j = 1; j < k; ++j)
    if (z[j] > z[best]) best = j;
  return best;
}

}  // namespace

LossSums softmax_cross_entropy(const Tensor& logits, int batch, const int32_t* labels,
                               double label_smoothing, float grad_scale, Tensor* grad) {
  LossSums sums;
  const int k = int(logits.cols());
  const double off = label_smoothing / k;
  const double on = 1.0 - label_smoothing + off;
  for (int r = 0; r < batch; ++r) {
    const float* z = logits.data() + int64_t(r) * k;
    const int top = argmax(z, k);
    sums.correct += top == labels[r];
    double exp_sum = 0.0, target_dot = 0.0;
    for (int j = 0; j < k; ++j) {
      exp_sum += std::exp(double(z[j]) - z[top]);
      target_dot += (j == labels[r] ? on : off) * z[j];
    }
    const double log_sum_exp = z[top] + std::log(exp_sum);
    sums.loss += log_sum_exp - target_dot;
    if (!grad) continue;
    float* g = grad->data() + int64_t(r) * k;
    for (int j = 0; j < k; ++j) {
      const double p = std::exp(double(z[j]) - log_sum_exp);
      g[j] = float(grad_scale * (p - (j == labels[r] ? on : off)));
    }
  }
  return sums;
}

int64_t count_correct(const Tensor& logits, int batch, const int32_t* labels) {
  int64_t correct = 0;
  const int k = int(logits.cols());
  for (int r = 0; r < batch; ++r) correct += argmax(logits.data() + int64_t(r) * k, k) == labels[r];
  return correct;
}

}  // namespace hwnas
