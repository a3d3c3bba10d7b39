// This file implements the TF Lite fixed-point helpers (see fixed_point.hpp).
#include "trainers/fixed_point.hpp"

#include <algorithm>
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

int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  const bool overflow = a == b && a == std::numeric_limits<int32_t>::min();
  const int64_t ab = int64_t(a) * int64_t(b);
  const int64_t nudge = ab >= 0 ? (int64_t(1) << 30) : (int64_t(1) - (int64_t(1) << 30));
  const auto high = int32_t((ab + nudge) / (int64_t(1) << 31));  // C++ division truncates
  return overflow ? std::numeric_limits<int32_t>::max() : high;
}

int32_t rounding_divide_by_power_of_two(int32_t x, int exponent) {
  assert(exponent >= 0 && exponent <= 31);
  const auto mask = int32_t((int64_t(1) << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  const int64_t shifted = int64_t(x) * (int64_t(1) << left);
  const auto saturated = int32_t(std::clamp<int64_t>(shifted, std::numeric_limits<int32_t>::min(),
                                                     std::numeric_limits<int32_t>::max()));
  return rounding_divide_by_power_of_two(
      saturating_rounding_doubling_high_mul(saturated, multiplier), right);
}

}  // namespace hwnas
