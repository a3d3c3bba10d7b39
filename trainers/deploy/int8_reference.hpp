// This file implements the integer-only reference inference of a QuantizedModel: the
// arithmetic of TF Lite Micro's int8 reference kernels (which CMSIS-NN reproduces bit for
// bit): int32 accumulators over (input - input zero point) * weight, int32 bias,
// requantisation with multiply_by_quantized_multiplier (TF Lite's default double rounding;
// single rounding on request, to check runtimes that requantise in float), output zero
// point, clamp; softmax
// in gemmlowp fixed point (int8_softmax.hpp). No float is used inside the op kernels.
//
// These are plain loops, one sample at a time: the readable transcription of TF Lite that
// the tests hold everything else to. Int8BatchRunner (int8_batch_runner.hpp) computes the
// same bits fast, for scoring.
#pragma once

#include <cstdint>
#include <vector>

#include "trainers/deploy/quantized_model.hpp"

namespace hwnas {

/// One sample's int8 tensors, indexed like QuantizedModel::tensor_shapes (0: the input).
using Int8Tensors = std::vector<std::vector<int8_t>>;

/// Computes op `op` of `model` on one sample: inputs[i] holds the tensor
/// op.deploy.inputs[i], `output` receives op.deploy.out_shape elements.
void run_int8_op(const QuantizedModel& model, size_t op, const int8_t* const* inputs,
                 int8_t* output, Rounding rounding = Rounding::kDouble);

/// Computes op `op` from the tensors its inputs name into tensors[output] (resized).
void run_int8_op(const QuantizedModel& model, size_t op, Int8Tensors& tensors,
                 Rounding rounding = Rounding::kDouble);

/// Runs a QuantizedModel one sample at a time, reusing its tensors.
/// NOTE: keeps a reference to the model; one instance per thread.
class Int8Reference {
 public:
  explicit Int8Reference(const QuantizedModel& model, Rounding rounding = Rounding::kDouble);

  /// Quantises `input` (input_shape elements, float, NHWC) with the input tensor's
  /// parameters (the one float step, done by the application on a board) and runs every op.
  const std::vector<int8_t>& run(const float* input);
  /// Runs every op on an already quantised input.
  const std::vector<int8_t>& run_quantized(const int8_t* input);
  /// Every tensor of the last run.
  const Int8Tensors& tensors() const { return m_tensors; }
  /// Index of the largest value of the score tensor (first on ties): the predicted class.
  int predicted_class() const;

 private:
  const QuantizedModel& m_model;
  Rounding m_rounding;
  Int8Tensors m_tensors;
};

}  // namespace hwnas
