// This file implements Int8BatchRunner, the fast form of the integer-only reference
// inference (int8_reference.hpp) that scoring uses: the same bits, computed for a batch of
// samples at a time with per-op data prepared once, as TF Lite Micro's Prepare does.
//
// Convolutions and dense layers are matrix products: im2col rows of (x - input zero
// point), padding taps 0 (as the reference skips them), times the int8 weights, both held
// as float, or as double where float could round. Every product w * (x - zp) is an integer
// below 127 * 255 in magnitude, so every partial sum, in any order, is an integer of
// magnitude at most K * max|w| * max|x - zp| (K: taps per output); Prepare picks float
// where that bound is at most 2^24 and double otherwise (2^53), so the product is exact
// and equals the reference's int32 accumulator bit for bit; bias, requantisation and clamp
// then run in int32 as in the reference. Depthwise convolutions accumulate in int32 with
// channels innermost. Every other op runs the reference kernel sample by sample.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "trainers/deploy/quantized_model.hpp"

namespace hwnas {

class Int8BatchRunner {
 public:
  /// Prepares every op of `model` for batches of up to `max_batch` samples.
  /// NOTE: keeps a reference to `model`; one instance per thread.
  Int8BatchRunner(const QuantizedModel& model, int max_batch);
  ~Int8BatchRunner();
  Int8BatchRunner(Int8BatchRunner&&) noexcept;

  /// Quantises `n` <= max_batch samples (input_shape floats each, NHWC, sample b at
  /// inputs + b * stride) like Int8Reference::run and runs every op on them.
  void run(const float* inputs, int64_t stride, int n);
  /// Tensor `tensor` of sample `b` of the last run (tensor_shapes[tensor] elements).
  const int8_t* tensor(size_t tensor, int b) const;
  /// Index of the largest value of sample b's score tensor (first on ties).
  int predicted_class(int b) const;

 private:
  struct Prepared;
  const QuantizedModel& m_model;
  int m_max_batch;
  std::unique_ptr<Prepared> m_prepared;
  std::vector<std::vector<int8_t>> m_tensors;  ///< per tensor, max_batch samples each
};

}  // namespace hwnas
