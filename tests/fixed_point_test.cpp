// This file implements the tests of the TF Lite fixed-point helpers against values
// computed by hand from TF Lite's definitions (common.h, quantization_util.cc), and of
// gemmlowp's fixed-point exp and reciprocal against double precision.
#include "trainers/deploy/fixed_point.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>

namespace hwnas {

namespace {

constexpr double kQ31 = 2147483648.0;  // 2^31: one in Q0.31

// Largest |exp_on_negative_values(a, integer_bits) - exp(a)| in units of one, over a grid
// and random raw values of a <= 0.
double worst_exp_error(int integer_bits) {
  std::mt19937 rng(uint32_t(integer_bits) + 1);
  std::uniform_int_distribution<int32_t> raw(std::numeric_limits<int32_t>::min(), 0);
  double worst = 0.0;
  for (int i = 0; i < 200000; ++i) {
    const int32_t a = i < 1000 ? -i : raw(rng);
    const double want = std::exp(std::ldexp(double(a), integer_bits - 31));
    worst = std::max(worst, std::abs(exp_on_negative_values(a, integer_bits) / kQ31 - want));
  }
  return worst;
}

}  // namespace

TEST_SUITE("fixed_point") {
  TEST_CASE("quantize_multiplier gives TF Lite's Q31 mantissa and shift") {
    // 0.5 = 0.5 * 2^0: mantissa 0.5 -> 2^30.
    CHECK(quantize_multiplier(0.5).multiplier == 1073741824);
    CHECK(quantize_multiplier(0.5).shift == 0);
    // 1.0 = 0.5 * 2^1.
    CHECK(quantize_multiplier(1.0).multiplier == 1073741824);
    CHECK(quantize_multiplier(1.0).shift == 1);
    // 0.75 * 2^31 = 1610612736 exactly.
    CHECK(quantize_multiplier(0.75).multiplier == 1610612736);
    CHECK(quantize_multiplier(0.75).shift == 0);
    // 0.1 = 0.8 * 2^-3; 0.8 * 2^31 = 1717986918.4 -> 1717986918.
    CHECK(quantize_multiplier(0.1).multiplier == 1717986918);
    CHECK(quantize_multiplier(0.1).shift == -3);
    // 3.0 = 0.75 * 2^2.
    CHECK(quantize_multiplier(3.0).multiplier == 1610612736);
    CHECK(quantize_multiplier(3.0).shift == 2);
    // 0.9999999999 * 2^31 = 2147483647.79 rounds to 2^31: halved to 2^30, shift + 1.
    CHECK(quantize_multiplier(0.9999999999).multiplier == 1073741824);
    CHECK(quantize_multiplier(0.9999999999).shift == 1);
    // Zero, and 1e-12 (about 2^-39.9: frexp shift -39 < -31) flush to zero.
    CHECK(quantize_multiplier(0.0).multiplier == 0);
    CHECK(quantize_multiplier(0.0).shift == 0);
    CHECK(quantize_multiplier(1e-12).multiplier == 0);
    CHECK(quantize_multiplier(1e-12).shift == 0);
    // 2^-31 = 0.5 * 2^-30 is the smallest kept.
    CHECK(quantize_multiplier(0x1p-31).multiplier == 1073741824);
    CHECK(quantize_multiplier(0x1p-31).shift == -30);
  }

  TEST_CASE("saturating_rounding_doubling_high_mul rounds with gemmlowp's nudge") {
    constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
    constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
    // round(a * b / 2^31): 2^30 * 2^30 / 2^31 = 2^29.
    CHECK(saturating_rounding_doubling_high_mul(1 << 30, 1 << 30) == 536870912);
    CHECK(saturating_rounding_doubling_high_mul(-(1 << 30), 1 << 30) == -536870912);
    // 3 * 2^30 / 2^31 = 1.5: (3*2^30 + 2^30) / 2^31 = 2.
    CHECK(saturating_rounding_doubling_high_mul(3, 1 << 30) == 2);
    // -1.5: (-3*2^30 + 1 - 2^30) / 2^31 = -1.99.. truncates to -1 (ties towards +inf).
    CHECK(saturating_rounding_doubling_high_mul(-3, 1 << 30) == -1);
    // -2.5 * 2^31 + 1 - 2^30 = -3 * 2^31 + 1 -> -2.
    CHECK(saturating_rounding_doubling_high_mul(-5, 1 << 30) == -2);
    // 1000 * 1717986918 / 2^31 = 799.9999998 -> 800.
    CHECK(saturating_rounding_doubling_high_mul(1000, 1717986918) == 800);
    // The one overflow: (-1) * (-1) in Q31 is 1, not representable.
    CHECK(saturating_rounding_doubling_high_mul(kMin, kMin) == kMax);
    // round(kMax * kMax / 2^31) = round(2147483646.0000000005) = 2147483646.
    CHECK(saturating_rounding_doubling_high_mul(kMax, kMax) == 2147483646);
  }

  TEST_CASE("rounding_divide_by_power_of_two rounds half away from zero") {
    CHECK(rounding_divide_by_power_of_two(5, 1) == 3);    // 2.5
    CHECK(rounding_divide_by_power_of_two(-5, 1) == -3);  // -2.5
    CHECK(rounding_divide_by_power_of_two(7, 2) == 2);    // 1.75
    CHECK(rounding_divide_by_power_of_two(-7, 2) == -2);  // -1.75
    CHECK(rounding_divide_by_power_of_two(6, 2) == 2);    // 1.5
    CHECK(rounding_divide_by_power_of_two(-6, 2) == -2);  // -1.5
    CHECK(rounding_divide_by_power_of_two(5, 2) == 1);    // 1.25
    CHECK(rounding_divide_by_power_of_two(-5, 2) == -1);  // -1.25
    CHECK(rounding_divide_by_power_of_two(12345, 0) == 12345);
    CHECK(rounding_divide_by_power_of_two(-1, 31) == 0);
    CHECK(rounding_divide_by_power_of_two(std::numeric_limits<int32_t>::min(), 31) == -1);
  }

  TEST_CASE("multiply_by_quantized_multiplier applies multiplier and shift, rounding as TF Lite or once") {
    for (Rounding r : {Rounding::kDouble, Rounding::kSingle}) {
      CAPTURE(int(r));
      // 0.5: 100 * 2^30 / 2^31 = 50.
      CHECK(multiply_by_quantized_multiplier(100, 1073741824, 0, r) == 50);
      // 1.0: 100 * 2^30 / 2^30.
      CHECK(multiply_by_quantized_multiplier(100, 1073741824, 1, r) == 100);
      // 0.1 = 1717986918 * 2^-34.
      CHECK(multiply_by_quantized_multiplier(1000, quantize_multiplier(0.1), r) == 100);
      CHECK(multiply_by_quantized_multiplier(-1000, quantize_multiplier(0.1), r) == -100);
      // 3.0: 0.75 * 2^2.
      CHECK(multiply_by_quantized_multiplier(-7, quantize_multiplier(3.0), r) == -21);
      // An exact tie: 1.5 -> 2 both ways; -1.5 -> -1 (gemmlowp's high mul, and half up).
      CHECK(multiply_by_quantized_multiplier(3, 1073741824, 0, r) == 2);
      CHECK(multiply_by_quantized_multiplier(-3, 1073741824, 0, r) == -1);
      // A zero multiplier gives zero.
      CHECK(multiply_by_quantized_multiplier(123456, quantize_multiplier(0.0), r) == 0);
      // Results beyond int32 saturate.
      CHECK(multiply_by_quantized_multiplier(std::numeric_limits<int32_t>::max(), quantize_multiplier(1000.0), r) ==
            std::numeric_limits<int32_t>::max());
      CHECK(multiply_by_quantized_multiplier(std::numeric_limits<int32_t>::min(), quantize_multiplier(1000.0), r) ==
            std::numeric_limits<int32_t>::min());
    }
    // 0.1 * 15 = 1.49999999994 (the Q31 mantissa is a hair under 0.8). TF Lite's double
    // rounding gives 2: the high mul rounds 11.99999 to 12 first, and 12 / 8 = 1.5 rounds
    // away from zero. One rounding gives 1.
    CHECK(multiply_by_quantized_multiplier(15, quantize_multiplier(0.1)) == 2);
    CHECK(multiply_by_quantized_multiplier(-15, quantize_multiplier(0.1)) == -2);
    CHECK(multiply_by_quantized_multiplier(15, quantize_multiplier(0.1), Rounding::kSingle) == 1);
    CHECK(multiply_by_quantized_multiplier(-15, quantize_multiplier(0.1), Rounding::kSingle) == -1);
  }

  TEST_CASE("multiply_by_quantized_multiplier is x * m rounded to nearest, up to one more half unit when doubled") {
    // One rounding: within half a unit, up to the mantissa's 2^-31 relative precision;
    // double rounding adds at most the high mul's half unit, scaled down by the shift.
    for (double m : {0.0003, 0.0123, 0.37, 0.999, 1.7, 13.0}) {
      const QuantizedMultiplier q = quantize_multiplier(m);
      for (int32_t x : {-100000, -4097, -3, 0, 1, 77, 4096, 99999}) {
        const double exact = double(x) * m;
        CHECK(std::abs(double(multiply_by_quantized_multiplier(x, q, Rounding::kSingle)) - exact) <=
              0.5 + 1e-9 * std::abs(exact));
        CHECK(std::abs(double(multiply_by_quantized_multiplier(x, q)) - exact) <= 1.0 + 1e-9 * std::abs(exact));
      }
    }
  }

  TEST_CASE("rounding_half_sum and saturating_rounding_multiply_by_pot follow gemmlowp") {
    constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
    constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
    CHECK(rounding_half_sum(1, 2) == 2);     // 1.5 -> 2
    CHECK(rounding_half_sum(-1, -2) == -2);  // -1.5 -> -2
    CHECK(rounding_half_sum(3, -4) == -1);   // -0.5 -> -1 (away from zero)
    CHECK(rounding_half_sum(6, 4) == 5);
    CHECK(rounding_half_sum(kMax, kMax) == kMax);  // no int32 overflow
    CHECK(rounding_half_sum(kMin, kMin) == kMin);
    CHECK(saturating_rounding_multiply_by_pot(3, 2) == 12);
    CHECK(saturating_rounding_multiply_by_pot(-3, 2) == -12);
    CHECK(saturating_rounding_multiply_by_pot((1 << 29) - 1, 2) == kMax - 3);
    CHECK(saturating_rounding_multiply_by_pot(1 << 29, 2) == kMax);
    CHECK(saturating_rounding_multiply_by_pot(-(1 << 29) + 1, 2) == kMin + 4);
    // gemmlowp's threshold is symmetric: -2^29 * 4 = -2^31 would fit, yet saturates.
    CHECK(saturating_rounding_multiply_by_pot(-(1 << 29), 2) == kMin);
    CHECK(saturating_rounding_multiply_by_pot(5, -1) == 3);    // 2.5 -> 3
    CHECK(saturating_rounding_multiply_by_pot(-5, -1) == -3);  // -2.5 -> -3
    CHECK(saturating_rounding_multiply_by_pot(77, 0) == 77);
    CHECK(rescale(1 << 19, 12, 0) == kMax);       // 1.0 in Q12.19 is one in Q0.31: saturates
    CHECK(rescale(1 << 29, 0, 12) == (1 << 17));  // 0.25 in Q0.31 -> Q12.19
  }

  TEST_CASE("exp_on_interval_between_negative_one_quarter_and_0_excl is exp within 2^-21") {
    double worst = 0.0;
    for (int32_t a = -(1 << 29); a < 0; a += 4099)
      worst = std::max(worst,
                       std::abs(exp_on_interval_between_negative_one_quarter_and_0_excl(a) / kQ31 -
                                std::exp(a / kQ31)));
    MESSAGE("largest error " << worst << " (2^" << std::log2(worst) << ")");
    CHECK(worst < 0x1p-21);
    CHECK(worst > 0.0);  // a 4th-order expansion is not exact: the comparison is real
    // exp(-1/8): x = 0 leaves the constant term alone.
    CHECK(exp_on_interval_between_negative_one_quarter_and_0_excl(-(1 << 28)) == 1895147668);
  }

  TEST_CASE("exp_on_negative_values is exp within 2^-21 for every integer-bit count used") {
    for (int integer_bits : {0, 1, 5, 12, 20}) {
      INFO("integer bits ", integer_bits);
      CHECK(worst_exp_error(integer_bits) < 0x1p-21);
      CHECK(exp_on_negative_values(0, integer_bits) == std::numeric_limits<int32_t>::max());
    }
    // Q5.26 (softmax's input): exp(-1) and exp(-16), each through the barrel shifter only.
    CHECK(std::abs(exp_on_negative_values(-(1 << 26), 5) / kQ31 - std::exp(-1.0)) < 0x1p-21);
    CHECK(std::abs(exp_on_negative_values(-(16 << 26), 5) / kQ31 - std::exp(-16.0)) < 0x1p-21);
    // Below -32 with more than 5 integer bits: 0 (gemmlowp's clamp).
    CHECK(exp_on_negative_values(-(33 << 25), 6) == 0);
    CHECK(exp_on_negative_values(std::numeric_limits<int32_t>::min(), 5) >= 0);
  }

  TEST_CASE("one_over_one_plus_x_for_x_in_0_1 and get_reciprocal are 1 / x within 2^-27") {
    double worst = 0.0;
    for (int32_t a = 0; a < std::numeric_limits<int32_t>::max() - 40000; a += 40009)
      worst = std::max(
          worst, std::abs(one_over_one_plus_x_for_x_in_0_1(a) / kQ31 - 1.0 / (1.0 + a / kQ31)));
    CHECK(worst < 0x1p-27);
    CHECK(one_over_one_plus_x_for_x_in_0_1(0) == std::numeric_limits<int32_t>::max());
    // A Q12.19 sum of exps as softmax has it: 1 / x = result * 2^(-31 - num_bits_over_unit).
    double worst_relative = 0.0;
    for (int32_t x = 1 << 19; x < (1 << 30); x += 99991) {
      int num_bits_over_unit = 0;
      const int32_t r = get_reciprocal(x, 12, &num_bits_over_unit);
      const double got = std::ldexp(double(r), -31 - num_bits_over_unit);
      worst_relative = std::max(worst_relative, std::abs(got * std::ldexp(double(x), -19) - 1.0));
    }
    CHECK(worst_relative < 0x1p-26);
    int num_bits_over_unit = 0;
    // 3.0 in Q12.19: normalised 1.5 (1 bit over unit), 1 / 1.5 = 0.666...
    const int32_t r = get_reciprocal(3 << 19, 12, &num_bits_over_unit);
    CHECK(num_bits_over_unit == 1);
    CHECK(std::abs(r / kQ31 - 2.0 / 3.0) < 0x1p-27);
  }
}

}  // namespace hwnas
