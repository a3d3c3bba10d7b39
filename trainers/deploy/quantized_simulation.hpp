// This file implements the float simulation of a QuantizedModel: the same ops on the
// dequantised int8 weights, biases and activations, computed in double, each output
// requantised by rounding real value / output scale (the real multiplier, not its
// fixed-point form) and clamped like the int8 op; softmax is the float softmax of the
// dequantised input rounded to 1/256 steps (TF Lite's fixed-point softmax must match it
// within one LSB too). It is what the integer-only reference must match within one LSB,
// which the tests check op by op.
#pragma once

#include <cstdint>
#include <vector>

#include "trainers/deploy/folded_model.hpp"
#include "trainers/deploy/int8_reference.hpp"
#include "trainers/deploy/quantized_model.hpp"

namespace hwnas {

class QuantizedSimulation {
 public:
  /// NOTE: keeps a reference to `model`.
  explicit QuantizedSimulation(const QuantizedModel& model);

  /// Op `op` computed from the int8 tensors its inputs name (e.g. those of an
  /// Int8Reference run), as an int8 output tensor.
  std::vector<int8_t> run_op(size_t op, const Int8Tensors& tensors) const;
  /// Every op in turn from `input` (quantised like Int8Reference::run); every tensor.
  Int8Tensors run(const float* input) const;

 private:
  const QuantizedModel& m_model;
  FoldedModel m_dequantized;  ///< dequantize_model(m_model)
};

}  // namespace hwnas
