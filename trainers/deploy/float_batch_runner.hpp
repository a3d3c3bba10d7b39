// This file implements FloatBatchRunner, the float side of scoring (int8_evaluation.hpp):
// a FoldedModel run in float32 on a batch of samples at a time by BatchRunner
// (batch_runner.hpp), convolutions and dense layers as im2col matrix products (Eigen),
// depthwise convolutions with channels innermost, every other op by the float reference's
// kernels (float_reference.hpp) in float32.
//
// Why float32 and not the reference's double: the network was trained in float32 and a
// float TF Lite model runs in float32, so this is the float model as deployed; the
// scores differ from the double reference by float rounding (about 1e-6 relative), which
// changes a prediction only where two classes tie to that precision (tested).
#pragma once

#include "trainers/deploy/batch_runner.hpp"
#include "trainers/deploy/folded_model.hpp"

namespace hwnas {

/// A FoldedModel in float32; BatchOps<FoldedModel> is in float_batch_runner.cpp.
/// NOTE: the result for a sample does not depend on the other samples of its batch, except
/// through the order in which Eigen sums a product, which depends only on the matrix sizes.
using FloatBatchRunner = BatchRunner<FoldedModel, float>;
extern template class BatchRunner<FoldedModel, float>;

}  // namespace hwnas
