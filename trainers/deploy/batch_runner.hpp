// This file implements BatchRunner, the skeleton the two runners of scoring share
// (FloatBatchRunner, float_batch_runner.hpp; Int8BatchRunner, int8_batch_runner.hpp): a
// deployed model run on a batch of samples at a time, every tensor held for the whole
// batch, per-op data prepared once (as TF Lite Micro's Prepare does). Convolutions and dense
// layers are matrix products over the rows of every sample of the batch, in chunks that
// stay in L2; depthwise convolutions run sample by sample with channels innermost; every
// other op runs its reference kernel sample by sample.
//
// The policy, BatchOps<Model> (specialised in the runner's .cpp), supplies what differs
// between float32 and int8: how a sample enters the input tensor, the data prepared per op
// and the arithmetic of a matrix-product chunk and of a depthwise sample. The members are
// defined in batch_runner_impl.hpp, which only those two .cpp files include: each
// instantiates its runner there, so callers never compile Eigen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace hwnas {

/// How a runner computes an op (chosen from its DeployKind by the skeleton).
enum class BatchOpKind { kReference, kMatMul, kDepthwise };

/// The policy of BatchRunner<Model, Value>: a `Plan` (per op) and a `Scratch` (per runner)
/// type and the static functions `prepare`, `load_sample`, `matmul_chunk`,
/// `depthwise_sample` and `run_reference` (batch_runner_impl.hpp shows what each is given).
template <typename Model>
struct BatchOps;

/// Runs a Model (FoldedModel, QuantizedModel) whose tensors hold Value (float, int8_t).
template <typename Model, typename Value>
class BatchRunner {
 public:
  /// Prepares every op of `model` for batches of up to `max_batch` samples.
  /// NOTE: keeps a reference to `model`; one instance per thread.
  BatchRunner(const Model& model, int max_batch);
  ~BatchRunner();
  BatchRunner(BatchRunner&&) noexcept;

  /// Runs every op on `n` <= max_batch samples (input_shape floats each, NHWC, sample b at
  /// inputs + b * stride), after the policy has put each into the input tensor.
  void run(const float* inputs, int64_t stride, int n);
  /// Tensor `tensor` of sample `b` of the last run (tensor_shapes[tensor] elements).
  const Value* tensor(size_t tensor, int b) const;
  /// Index of the largest value of sample b's score tensor (first on ties).
  int predicted_class(int b) const;

 private:
  struct Prepared;
  const Model& m_model;
  int m_max_batch;
  std::unique_ptr<Prepared> m_prepared;
  std::vector<std::vector<Value>> m_tensors;  ///< per tensor, max_batch samples each
};

}  // namespace hwnas
