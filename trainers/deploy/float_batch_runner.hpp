// This file implements FloatBatchRunner, the float side of scoring (int8_evaluation.hpp):
// a FoldedModel run in float32 on a batch of samples at a time, convolutions and dense
// layers as im2col matrix products (Eigen), depthwise convolutions with channels
// innermost, every other op by the float reference's kernels (float_reference.hpp) in
// float32.
//
// Why float32 and not the reference's double: the network was trained in float32 and a
// float TF Lite model runs in float32, so this is the float model as deployed; the
// scores differ from the double reference by float rounding (about 1e-6 relative), which
// changes a prediction only where two classes tie to that precision (tested).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "trainers/deploy/folded_model.hpp"

namespace hwnas {

class FloatBatchRunner {
 public:
  /// Prepares every op of `model` for batches of up to `max_batch` samples.
  /// NOTE: keeps a reference to `model`; one instance per thread. The result for a sample
  /// does not depend on the other samples of its batch, except through the order in
  /// which Eigen sums a product, which depends only on the matrix sizes.
  FloatBatchRunner(const FoldedModel& model, int max_batch);
  ~FloatBatchRunner();
  FloatBatchRunner(FloatBatchRunner&&) noexcept;

  /// Runs every op on `n` <= max_batch samples (input_shape floats each, NHWC, sample b
  /// at inputs + b * stride).
  void run(const float* inputs, int64_t stride, int n);
  /// Tensor `tensor` of sample `b` of the last run (tensor_shapes[tensor] elements).
  const float* tensor(size_t tensor, int b) const;
  /// Index of the largest value of sample b's score tensor (first on ties).
  int predicted_class(int b) const;

 private:
  struct Prepared;
  const FoldedModel& m_model;
  int m_max_batch;
  std::unique_ptr<Prepared> m_prepared;
  std::vector<std::vector<float>> m_tensors;  ///< per tensor, max_batch samples each
};

}  // namespace hwnas
