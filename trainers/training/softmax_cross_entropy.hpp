// This file implements the training loss: softmax cross-entropy with optional label
// smoothing, on logits (the softmax is part of the loss), and the accuracy count.
#pragma once

#include <cstdint>

#include "trainers/kernels/tensor.hpp"

namespace hwnas {

struct LossSums {
  double loss = 0.0;    ///< summed over the batch's samples
  int64_t correct = 0;  ///< samples whose top logit is the label
};

/// For rows r < batch with K = logits.cols(): p = softmax(logits.row(r)), target
/// t = (1 - s) * onehot(labels[r]) + s / K (s = label_smoothing), loss = -sum_k t_k log p_k,
/// computed as logsumexp(z) - t.z in double. If grad is non-null, writes
/// grad.row(r) = grad_scale * (p - t), the loss gradient with respect to the logits
/// (pass 1/batch for the batch mean). A non-finite logit gives a non-finite loss.
LossSums softmax_cross_entropy(const Tensor& logits, int batch, const int32_t* labels,
                               double label_smoothing, float grad_scale, Tensor* grad);

/// Rows r < batch whose largest logit (first on ties) is labels[r].
int64_t count_correct(const Tensor& logits, int batch, const int32_t* labels);

}  // namespace hwnas
