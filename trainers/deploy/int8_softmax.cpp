// This file implements TF Lite Micro's int8 softmax (see int8_softmax.hpp).
#include "trainers/deploy/int8_softmax.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "trainers/deploy/fixed_point.hpp"

namespace hwnas {

namespace {

constexpr int kScaledDiffIntegerBits = 5;
constexpr int kAccumulationIntegerBits = 12;

// TF Lite's CalculateInputRadius(input_integer_bits, input_left_shift, 31): the largest
// |difference| whose scaled form still fits in Q5.26.
int32_t input_radius(int input_integer_bits, int input_left_shift) {
  const double max_input_rescaled = double((1 << input_integer_bits) - 1) *
                                    std::ldexp(1.0, 31 - input_integer_bits - input_left_shift);
  return int32_t(std::min(std::floor(max_input_rescaled), 2147483647.0));
}

// exp(beta * input_scale * diff) in Q0.31 for diff = x - max >= diff_min.
int32_t exp_of_difference(const Int8SoftmaxParams& p, int32_t diff) {
  const int32_t scaled =
      multiply_by_quantized_multiplier(diff, p.input_multiplier, p.input_left_shift);
  return exp_on_negative_values(scaled, kScaledDiffIntegerBits);
}

}  // namespace

Int8SoftmaxParams int8_softmax_params(double input_scale, double beta) {
  // PreprocessSoftmaxScaling: the real multiplier, capped at 2^30 - 1 as with
  // TFLITE_SINGLE_ROUNDING (so the shift stays <= 30, see multiply_by_quantized_multiplier).
  const double real = std::min(beta * input_scale * double(1 << (31 - kScaledDiffIntegerBits)),
                               double((int64_t(1) << 30) - 1));
  const QuantizedMultiplier m = quantize_multiplier(real);
  Int8SoftmaxParams p;
  p.input_multiplier = m.multiplier;
  p.input_left_shift = m.shift;
  p.diff_min = -input_radius(kScaledDiffIntegerBits, m.shift);
  return p;
}

void int8_softmax(const Int8SoftmaxParams& p, const int8_t* x, int8_t* y, int64_t rows, int depth) {
  assert(depth > 0 && depth <= 4095);
  for (int64_t r = 0; r < rows; ++r, x += depth, y += depth) {
    const int32_t max = *std::max_element(x, x + depth);
    int32_t sum_of_exps = 0;  // Q12.19
    for (int c = 0; c < depth; ++c) {
      const int32_t diff = int32_t(x[c]) - max;
      if (diff >= p.diff_min)
        sum_of_exps += rescale(exp_of_difference(p, diff), 0, kAccumulationIntegerBits);
    }
    int num_bits_over_unit = 0;
    const int32_t shifted_scale =
        get_reciprocal(sum_of_exps, kAccumulationIntegerBits, &num_bits_over_unit);
    // The output has 8 bits: divide the Q0.31 quotient by 2^(31 - 8) and by 2^bits over unit.
    const int exponent = num_bits_over_unit + 31 - 8;
    for (int c = 0; c < depth; ++c) {
      const int32_t diff = int32_t(x[c]) - max;
      int32_t out = -128;
      if (diff >= p.diff_min) {
        const int32_t quotient =
            saturating_rounding_doubling_high_mul(shifted_scale, exp_of_difference(p, diff));
        // quotient >= 0 is below 2^31: for a shift beyond 31 the rounded result is 0.
        const int32_t unsat =
            exponent <= 31 ? rounding_divide_by_power_of_two(quotient, exponent) : 0;
        out = std::clamp(unsat - 128, -128, 127);
      }
      y[c] = int8_t(out);
    }
  }
}

}  // namespace hwnas
