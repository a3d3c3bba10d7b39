// This file implements TF Lite Micro's int8 softmax (the reference kernel
// reference_ops::Softmax<int8_t, int8_t>, which CMSIS-NN's arm_softmax_s8 reproduces):
// integer-only, from gemmlowp's fixed-point exp and reciprocal (fixed_point.hpp).
//
// Prepare (softmax_common.cc): the input difference x - max, scaled by beta * input_scale,
// becomes a Q5.26 number through a multiplier >= 1 (PreprocessSoftmaxScaling with
// kScaledDiffIntegerBits = 5); differences below diff_min = -CalculateInputRadius(5,
// left_shift) would not fit and count as exp = 0.
// Eval, per row: the max; the sum of exp_on_negative_values(scaled difference), each
// rescaled to Q12.19 (kAccumulationIntegerBits = 12); its reciprocal (GetReciprocal); each
// output is exp * reciprocal divided by 2^(num_bits_over_unit + 23) with rounding, minus
// 128, clamped to [-128, 127]: the output scale is 1/256, its zero point -128.
#pragma once

#include <cstdint>

namespace hwnas {

struct Int8SoftmaxParams {
  int32_t input_multiplier = 0;  ///< Q31, of beta * input_scale * 2^26
  int input_left_shift = 0;      ///< >= 0 for every input scale >= 2^-26 / beta
  int32_t diff_min = 0;          ///< <= 0; smaller differences give the output -128
};

/// TF Lite Micro's Prepare for an int8 softmax of an input with `input_scale`.
/// An input scale below 2^-26 / beta, which TF Lite rejects (QuantizeMultiplierGreaterThanOne
/// needs a multiplier >= 1), gives a right shift here: every difference then scales to 0
/// and the output is uniform.
Int8SoftmaxParams int8_softmax_params(double input_scale, double beta = 1.0);

/// TF Lite's int8 softmax over `rows` rows of `depth` values each (x and y may not alias).
/// Requires depth <= 4095 (the Q12.19 sum of exps must fit in int32). TF Lite asserts a
/// final shift of at most 31, i.e. a sum of exps below 2^8 (depth below about 256); beyond
/// that the exact result of the shift, 0, is used.
void int8_softmax(const Int8SoftmaxParams& params, const int8_t* x, int8_t* y, int64_t rows,
                  int depth);

}  // namespace hwnas
