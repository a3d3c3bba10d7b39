// This file implements the TF Lite fixed-point helpers (see fixed_point.hpp).
#include "trainers/deploy/fixed_point.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>

namespace hwnas {

QuantizedMultiplier quantize_multiplier(double real_multiplier) {
  assert(real_multiplier >= 0.0 && std::isfinite(real_multiplier));
  QuantizedMultiplier q;
  if (real_multiplier == 0.0) return q;
  const double mantissa = std::frexp(real_multiplier, &q.shift);  // in [0.5, 1)
  auto fixed = int64_t(std::round(mantissa * double(int64_t(1) << 31)));
  assert(fixed <= (int64_t(1) << 31));
  if (fixed == (int64_t(1) << 31)) {
    fixed /= 2;
    ++q.shift;
  }
  // Shifting by more than 31 leaves nothing: TF Lite flushes such multipliers to zero.
  if (q.shift < -31) {
    q.shift = 0;
    fixed = 0;
  }
  q.multiplier = int32_t(fixed);
  return q;
}

int32_t rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = int64_t(a) + int64_t(b);
  return int32_t((sum + (sum >= 0 ? 1 : -1)) / 2);
}

int32_t saturating_rounding_multiply_by_pot(int32_t x, int exponent) {
  assert(exponent >= -31 && exponent <= 31);
  if (exponent <= 0) return rounding_divide_by_power_of_two(x, -exponent);
  const auto threshold = int32_t((int64_t(1) << (31 - exponent)) - 1);
  if (x > threshold) return std::numeric_limits<int32_t>::max();
  if (x < -threshold) return std::numeric_limits<int32_t>::min();
  return int32_t(uint32_t(x) << exponent);
}

int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  constexpr int32_t kExpMinusOneEighth = 1895147668;  // exp(-1/8) in Q0.31
  constexpr int32_t kOneThird = 715827883;
  const auto mul = saturating_rounding_doubling_high_mul;
  // Taylor expansion around -1/8: x = a + 1/8, exp(a) = exp(-1/8) (1 + x + x^2/2 + ...).
  const int32_t x = a + (1 << 28);
  const int32_t x2 = mul(x, x);
  const int32_t x3 = mul(x2, x);
  const int32_t x4 = mul(x2, x2);
  const int32_t x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2);
  const int32_t x4_over_24_plus_x3_over_6_plus_x2_over_2 =
      saturating_rounding_multiply_by_pot(mul(x4_over_4 + x3, kOneThird) + x2, -1);
  return kExpMinusOneEighth + mul(kExpMinusOneEighth, x + x4_over_24_plus_x3_over_6_plus_x2_over_2);
}

int32_t exp_on_negative_values(int32_t a, int integer_bits) {
  assert(integer_bits >= 0 && integer_bits <= 29);
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = int32_t(1) << (fractional_bits - 2);
  // a = (a mod 1/4 - 1/4) - remainder, with remainder >= 0 a multiple of 1/4.
  const int32_t a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter;
  int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
      rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0));
  const int32_t remainder = a_mod_quarter_minus_one_quarter - a;
  // exp(-2^k) in Q0.31 for k = -2 .. 4, applied for each set bit of the remainder.
  constexpr int32_t kExpMinusPowerOfTwo[] = {1672461947, 1302514674, 790015084, 290630308,
                                             39332535,   720401,     242};
  for (int k = -2; k <= 4; ++k)
    if (integer_bits > k && (remainder & (int32_t(1) << (fractional_bits + k))) != 0)
      result = saturating_rounding_doubling_high_mul(result, kExpMinusPowerOfTwo[k + 2]);
  if (integer_bits > 5 && a < -(int32_t(1) << (fractional_bits + 5))) result = 0;  // a < -32
  return a == 0 ? std::numeric_limits<int32_t>::max() : result;
}

int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  // Newton-Raphson on the half denominator d = (1 + a) / 2 in [1/2, 1), in Q2.29.
  constexpr int32_t kOneQ2 = 1 << 29;
  constexpr int32_t k48Over17 = 1515870810, kMinus32Over17 = -1010580540;  // Q2.29
  const int32_t half_denominator = rounding_half_sum(a, std::numeric_limits<int32_t>::max());
  int32_t x = k48Over17 + saturating_rounding_doubling_high_mul(half_denominator, kMinus32Over17);
  for (int i = 0; i < 3; ++i) {
    const int32_t one_minus_half_denominator_times_x =
        kOneQ2 - saturating_rounding_doubling_high_mul(half_denominator, x);
    // x (Q2) * (1 - d x) (Q2) is Q4; back to Q2.
    x +=
        rescale(saturating_rounding_doubling_high_mul(x, one_minus_half_denominator_times_x), 4, 2);
  }
  // x ~ 1 / d = 2 / (1 + a) in Q2.29 is 1 / (1 + a) in Q1.30 (same raw); to Q0.31.
  return rescale(x, 1, 0);
}

int32_t get_reciprocal(int32_t x, int x_integer_digits, int* num_bits_over_unit) {
  assert(x > 0);
  const int headroom_plus_one = std::countl_zero(uint32_t(x));
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  // x normalised to [1, 2) (its leading one at bit 31), minus one, in Q0.31.
  const auto shifted_sum_minus_one =
      int32_t((uint32_t(x) << headroom_plus_one) - (uint32_t(1) << 31));
  return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
}

}  // namespace hwnas
