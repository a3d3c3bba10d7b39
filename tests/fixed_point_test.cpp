// This file implements the tests of the TF Lite fixed-point helpers against values
// computed by hand from TF Lite's definitions (common.h, quantization_util.cc).
#include "trainers/fixed_point.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>

namespace hwnas {

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

  TEST_CASE("multiply_by_quantized_multiplier applies multiplier and shift") {
    // 0.5: SRDHM(100, 2^30) = 50.
    CHECK(multiply_by_quantized_multiplier(100, 1073741824, 0) == 50);
    // 1.0: left shift 1 first, SRDHM(200, 2^30) = 100.
    CHECK(multiply_by_quantized_multiplier(100, 1073741824, 1) == 100);
    // 0.1: SRDHM(1000, 1717986918) = 800, then 800 / 2^3 = 100.
    CHECK(multiply_by_quantized_multiplier(1000, quantize_multiplier(0.1)) == 100);
    CHECK(multiply_by_quantized_multiplier(-1000, quantize_multiplier(0.1)) == -100);
    // 0.1 * 15 = 1.5: SRDHM(15, 0.8 Q31) = round(11.9999..) = 12, 12 / 8 = 1.5 -> 2.
    CHECK(multiply_by_quantized_multiplier(15, quantize_multiplier(0.1)) == 2);
    CHECK(multiply_by_quantized_multiplier(-15, quantize_multiplier(0.1)) == -2);
    // 3.0: x * 4 then * 0.75.
    CHECK(multiply_by_quantized_multiplier(-7, quantize_multiplier(3.0)) == -21);
    // A zero multiplier gives zero.
    CHECK(multiply_by_quantized_multiplier(123456, quantize_multiplier(0.0)) == 0);
  }

  TEST_CASE("multiply_by_quantized_multiplier is x * m within one unit") {
    // Two roundings (the high mul, then the shift) can each add up to half a unit.
    for (double m : {0.0003, 0.0123, 0.37, 0.999, 1.7, 13.0}) {
      const QuantizedMultiplier q = quantize_multiplier(m);
      for (int32_t x : {-100000, -4097, -3, 0, 1, 77, 4096, 99999}) {
        const double exact = double(x) * m;
        CHECK(std::abs(double(multiply_by_quantized_multiplier(x, q)) - exact) < 1.0);
      }
    }
  }
}

}  // namespace hwnas
