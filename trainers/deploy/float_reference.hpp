// This file implements the float reference inference of a FoldedModel: plain loops in
// double, one sample at a time, one function per deployed op. It calibrates the
// quantiser (the range of every tensor), checks batch-norm folding against the trained
// Network, and, run on dequantised int8 weights and activations, is the float simulation
// of a quantised model. Scoring uses FloatBatchRunner (float_batch_runner.hpp) instead.
#pragma once

#include <functional>
#include <vector>

#include "trainers/deploy/folded_model.hpp"

namespace hwnas {

/// One sample's tensors, indexed like FoldedModel::tensor_shapes (0: the input).
using FloatTensors = std::vector<std::vector<double>>;

/// Computes op `op` of `model` on one sample in T (double or float): inputs[i] holds the
/// tensor op.deploy.inputs[i], `output` receives op.deploy.out_shape elements, activation
/// included.
template <typename T>
void run_float_op(const FoldedModel& model, size_t op, const T* const* inputs, T* output);
extern template void run_float_op<double>(const FoldedModel&, size_t, const double* const*,
                                          double*);
extern template void run_float_op<float>(const FoldedModel&, size_t, const float* const*, float*);

/// Computes op `op` of `model` from the tensors its inputs name into tensors[output]
/// (resized), activation included.
void run_float_op(const FoldedModel& model, size_t op, FloatTensors& tensors);

/// Called after each op with its index and the tensors so far (the op's output last).
using FloatOpHook = std::function<void(size_t op, FloatTensors& tensors)>;

/// Runs every op on one sample (input_shape elements, NHWC) and returns every tensor.
/// `after_op`, if set, may rewrite the op's output before later ops read it.
FloatTensors run_float(const FoldedModel& model, const double* input,
                       const FloatOpHook& after_op = {});

}  // namespace hwnas
