// This file implements the fixed-point arithmetic of TF Lite's int8 kernels (from
// gemmlowp, as in tensorflow/lite/kernels/internal/common.h and CMSIS-NN's
// arm_nn_requantize): a real multiplier stored as a Q31 integer and a power-of-two
// shift, and the rounding integer multiply that applies it; and gemmlowp's fixed-point
// exp and reciprocal, which TF Lite's int8 softmax is built from. Every int8 kernel of
// the reference inference computes with these, so they must be bit-exact with TF Lite.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <limits>

namespace hwnas {

/// A positive real number m = multiplier * 2^(shift - 31), with multiplier in
/// [2^30, 2^31) (Q31, i.e. m = 0.multiplier * 2^shift), or multiplier = 0 for m = 0.
struct QuantizedMultiplier {
  int32_t multiplier = 0;
  int shift = 0;  ///< > 0: left shift; < 0: right shift
};

/// TF Lite's QuantizeMultiplier: frexp, then round the mantissa to Q31 (a mantissa that
/// rounds to 2^31 becomes 2^30 with shift + 1); multipliers below 2^-31 flush to zero.
/// Requires real_multiplier >= 0 and finite.
QuantizedMultiplier quantize_multiplier(double real_multiplier);

// NOTE: the three below are inline so that loops over channels (Int8BatchRunner's
// requantisation) can vectorise.

/// round(a * b / 2^31) with gemmlowp's nudge (ties away from zero for a*b >= 0, towards
/// +infinity below); the one overflowing case, INT32_MIN * INT32_MIN, saturates.
inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  const bool overflow = a == b && a == std::numeric_limits<int32_t>::min();
  const int64_t ab = int64_t(a) * int64_t(b);
  const int64_t nudge = ab >= 0 ? (int64_t(1) << 30) : (int64_t(1) - (int64_t(1) << 30));
  const auto high = int32_t((ab + nudge) / (int64_t(1) << 31));  // C++ division truncates
  return overflow ? std::numeric_limits<int32_t>::max() : high;
}

/// x / 2^exponent rounded to nearest, ties away from zero; 0 <= exponent <= 31.
inline int32_t rounding_divide_by_power_of_two(int32_t x, int exponent) {
  assert(exponent >= 0 && exponent <= 31);
  const auto mask = int32_t((int64_t(1) << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/// How a requantisation rounds.
///  - kDouble: TF Lite's MultiplyByQuantizedMultiplier as TF Lite, TF Lite Micro and
///    CMSIS-NN build it by default: gemmlowp's rounding high multiply of x * 2^left_shift,
///    then a rounding right shift. What a board runs, so what the search scores.
///  - kSingle: the exact 64-bit product x * multiplier rounded once (half up) by the shift
///    31 - shift (TFLITE_SINGLE_ROUNDING, CMSIS_NN_USE_SINGLE_ROUNDING): round(x * real
///    multiplier) up to the Q31 mantissa's precision, which runtimes that requantise in
///    float (Arm NN's CpuRef, ONNX Runtime's QDQ) reproduce. The two differ by one on
///    about 2^-(right shift) of the values, and such differences grow layer by layer.
enum class Rounding { kDouble, kSingle };

/// x * multiplier * 2^(shift - 31), rounded as `rounding` says, saturated to int32.
/// Requires -31 <= shift <= 30.
inline int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift,
                                                Rounding rounding = Rounding::kDouble) {
  assert(shift >= -31 && shift <= 30);
  if (rounding == Rounding::kDouble) {
    // x * 2^left_shift overflows int32 in TF Lite (undefined there); here it saturates.
    const int64_t shifted = shift > 0 ? int64_t(x) * (int64_t(1) << shift) : int64_t(x);
    if (shifted > std::numeric_limits<int32_t>::max()) return std::numeric_limits<int32_t>::max();
    if (shifted < std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::min();
    return rounding_divide_by_power_of_two(saturating_rounding_doubling_high_mul(int32_t(shifted), multiplier),
                                           shift > 0 ? 0 : -shift);
  }
  const int total_shift = 31 - shift;
  const int64_t round = int64_t(1) << (total_shift - 1);
  const int64_t result = (int64_t(x) * int64_t(multiplier) + round) >> total_shift;
  return int32_t(std::clamp<int64_t>(result, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
}
inline int32_t multiply_by_quantized_multiplier(int32_t x, QuantizedMultiplier m,
                                                Rounding rounding = Rounding::kDouble) {
  return multiply_by_quantized_multiplier(x, m.multiplier, m.shift, rounding);
}

// gemmlowp's fixed-point numbers (fixedpoint.h), as raw int32 values: a raw value r with
// I integer bits (gemmlowp's FixedPoint<int32_t, I>) stands for r * 2^(I - 31), so Q0.31
// (I = 0) covers [-1, 1) and "one" in it is INT32_MAX. The product of values with I and J
// integer bits is saturating_rounding_doubling_high_mul of the raws, with I + J bits;
// sums are plain int32 sums.

/// gemmlowp's RoundingHalfSum: (a + b) / 2, rounded half away from zero.
int32_t rounding_half_sum(int32_t a, int32_t b);

/// gemmlowp's SaturatingRoundingMultiplyByPOT: x * 2^exponent. exponent < 0 is
/// rounding_divide_by_power_of_two(x, -exponent); exponent > 0 shifts left and saturates
/// where |x| > 2^(31 - exponent) - 1 (gemmlowp's threshold, so -2^(31 - exponent) gives
/// INT32_MIN too); -31 <= exponent <= 31.
int32_t saturating_rounding_multiply_by_pot(int32_t x, int exponent);

/// gemmlowp's Rescale: the raw of value x (src_integer_bits) with dst_integer_bits.
inline int32_t rescale(int32_t x, int src_integer_bits, int dst_integer_bits) {
  return saturating_rounding_multiply_by_pot(x, src_integer_bits - dst_integer_bits);
}

/// exp(a) for a in [-1/4, 0), a and the result in Q0.31: gemmlowp's Taylor expansion
/// around -1/8 to the 4th order. Error below 2^-21 of one (measured: 2^-22, about 500
/// raw units; tests/fixed_point_test.cpp).
int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a);

/// exp(a) for a <= 0 with `integer_bits` integer bits (0 <= integer_bits <= 29), in Q0.31
/// (exp(0) = INT32_MAX): gemmlowp's exp_on_negative_values. The fraction of a modulo 1/4
/// goes through the Taylor expansion, each set bit of the rest (1/4, 1/2, 1, ..., 16)
/// multiplies by the Q0.31 constant exp(-2^k); below -32 (integer_bits > 5) gives 0.
/// Error below 2^-21 of one, as the Taylor part's (each constant multiply adds half a
/// raw unit).
int32_t exp_on_negative_values(int32_t a, int integer_bits);

/// 1 / (1 + x) for x in [0, 1), x and the result in Q0.31: gemmlowp's
/// one_over_one_plus_x_for_x_in_0_1, three Newton-Raphson steps from 48/17 - 32/17 d.
/// Error below 2^-27 (measured: 7 raw units); 1/(1 + 0) saturates to INT32_MAX.
int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a);

/// TF Lite's GetReciprocal (common.h): for x > 0 with `x_integer_digits` integer bits,
/// 1 / x = result * 2^-31 * 2^-num_bits_over_unit, result in Q0.31 (from
/// one_over_one_plus_x_for_x_in_0_1 of x normalised to [1, 2) minus one).
int32_t get_reciprocal(int32_t x, int x_integer_digits, int* num_bits_over_unit);

}  // namespace hwnas
