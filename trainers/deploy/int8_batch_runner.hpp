// This file implements Int8BatchRunner, the fast form of the integer-only reference
// inference (int8_reference.hpp) that scoring uses: the same bits, computed for a batch of
// samples at a time by BatchRunner (batch_runner.hpp) with per-op data prepared once, as
// TF Lite Micro's Prepare does. run() quantises each sample like Int8Reference::run.
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

#include "trainers/deploy/batch_runner.hpp"
#include "trainers/deploy/quantized_model.hpp"

namespace hwnas {

/// A QuantizedModel in int8; BatchOps<QuantizedModel> is in int8_batch_runner.cpp.
using Int8BatchRunner = BatchRunner<QuantizedModel, int8_t>;
extern template class BatchRunner<QuantizedModel, int8_t>;

}  // namespace hwnas
