// This file implements the fixed-point arithmetic of TF Lite's int8 kernels (from
// gemmlowp, as in tensorflow/lite/kernels/internal/common.h and CMSIS-NN's
// arm_nn_requantize): a real multiplier stored as a Q31 integer and a power-of-two
// shift, and the rounding integer multiply that applies it. Every int8 kernel of the
// reference inference requantises with these, so they must be bit-exact with TF Lite.
#pragma once

#include <cstdint>

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

/// round(a * b / 2^31) with gemmlowp's nudge (ties away from zero for a*b >= 0, towards
/// +infinity below); the one overflowing case, INT32_MIN * INT32_MIN, saturates.
int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b);

/// x / 2^exponent rounded to nearest, ties away from zero; 0 <= exponent <= 31.
int32_t rounding_divide_by_power_of_two(int32_t x, int exponent);

/// TF Lite's MultiplyByQuantizedMultiplier (double rounding): x * 2^max(shift, 0) first
/// (saturated to int32 where TF Lite would overflow), then the high mul, then a rounding
/// right shift by max(-shift, 0). Equals round(x * real multiplier) up to one unit.
int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift);
inline int32_t multiply_by_quantized_multiplier(int32_t x, QuantizedMultiplier m) {
  return multiply_by_quantized_multiplier(x, m.multiplier, m.shift);
}

}  // namespace hwnas
