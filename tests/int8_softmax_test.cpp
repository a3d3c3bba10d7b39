// This file implements the tests of TF Lite's int8 softmax (trainers/deploy/int8_softmax.hpp):
// Prepare's parameters by hand, and the integer-only output against the float softmax of
// the dequantised input, quantised to (1/256, -128), within one LSB on random rows and on
// the edge cases (all equal, one-hot, a spread beyond diff_min).
#include "trainers/deploy/int8_softmax.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

namespace hwnas {

namespace {

// The float softmax of scale * x, quantised to scale 1/256, zero point -128.
std::vector<int> float_softmax(const std::vector<int8_t>& x, double scale) {
  const int top = *std::max_element(x.begin(), x.end());
  double sum = 0.0;
  for (int8_t v : x) sum += std::exp(scale * (v - top));
  std::vector<int> y;
  for (int8_t v : x)
    y.push_back(
        std::clamp(int(std::lround(std::exp(scale * (v - top)) / sum * 256.0)) - 128, -128, 127));
  return y;
}

std::vector<int8_t> int8_softmax(const std::vector<int8_t>& x, double scale) {
  std::vector<int8_t> y(x.size());
  int8_softmax(int8_softmax_params(scale), x.data(), y.data(), 1, int(x.size()));
  return y;
}

// Largest |int8 - float| over the row, in LSB.
int worst_difference(const std::vector<int8_t>& x, double scale) {
  const std::vector<int> want = float_softmax(x, scale);
  const std::vector<int8_t> got = int8_softmax(x, scale);
  int worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(int(got[i]) - want[i]));
  return worst;
}

int levels(const std::vector<int8_t>& y) {
  int sum = 0;
  for (int8_t v : y) sum += int(v) + 128;
  return sum;
}

}  // namespace

TEST_SUITE("int8_softmax") {
  TEST_CASE("Prepare gives TF Lite's beta multiplier, left shift and diff_min") {
    // 0.1 * 2^26 = 0.8 * 2^23: multiplier 0.8 in Q31, shift 23; radius
    // floor(31 * 2^26 / 2^23) = 248.
    const Int8SoftmaxParams p = int8_softmax_params(0.1);
    CHECK(p.input_multiplier == 1717986918);
    CHECK(p.input_left_shift == 23);
    CHECK(p.diff_min == -248);
    // 1.0 * 2^26 = 0.5 * 2^27: radius floor(31 / 2) = 15.
    CHECK(int8_softmax_params(1.0).input_multiplier == 1 << 30);
    CHECK(int8_softmax_params(1.0).input_left_shift == 27);
    CHECK(int8_softmax_params(1.0).diff_min == -15);
    // beta scales like the input scale.
    CHECK(int8_softmax_params(0.05, 2.0).diff_min == -248);
    // The multiplier is capped at 2^30 - 1 (single rounding): shift 30, radius
    // floor(31 * 2^(31 - 5 - 30)) = 1.
    CHECK(int8_softmax_params(100.0).input_left_shift == 30);
    CHECK(int8_softmax_params(100.0).diff_min == -1);
  }

  TEST_CASE("equal inputs share the 256 levels as TF Lite rounds them") {
    // Two equal values: exp sum 2.0 in Q12.19, reciprocal 1/2, 128 levels each: 0.
    CHECK(int8_softmax(std::vector<int8_t>(2, 7), 0.1) == std::vector<int8_t>(2, 0));
    // Ten: 25.6 levels each, rounded to 26 (-102); one: 256, clamped to 127.
    CHECK(int8_softmax(std::vector<int8_t>(10, -50), 0.02) == std::vector<int8_t>(10, -102));
    CHECK(int8_softmax(std::vector<int8_t>(1, 3), 0.3) == std::vector<int8_t>(1, 127));
    // 256 values: one level each.
    CHECK(int8_softmax(std::vector<int8_t>(256, 100), 0.5) == std::vector<int8_t>(256, -127));
  }

  TEST_CASE("one-hot and beyond diff_min inputs give 127 and -128") {
    std::vector<int8_t> x(10, -128);
    x[3] = 127;
    for (double scale : {0.05, 0.5, 4.0}) {
      const std::vector<int8_t> y = int8_softmax(x, scale);
      CHECK(int(y[3]) == 127);
      CHECK(std::count(y.begin(), y.end(), int8_t(-128)) == 9);
    }
    // Scale 1: diff_min -15; a difference of -16 counts as exp = 0 (the float gives
    // exp(-16) * 256 = 3e-5 levels: the same -128).
    const std::vector<int8_t> spread = {10, -6, -5, 10};
    const std::vector<int8_t> y = int8_softmax(spread, 1.0);
    CHECK(int(y[1]) == -128);
    CHECK(int(y[0]) == int(y[3]));
    CHECK(worst_difference(spread, 1.0) == 0);
  }

  TEST_CASE("int8 softmax is the float softmax within one LSB on random rows") {
    std::mt19937 rng(11);
    std::uniform_int_distribution<int> value(-128, 127);
    int worst = 0;
    int64_t rows = 0, off_by_one = 0, elements = 0;
    double level_error = 0.0;
    for (int depth : {2, 3, 10, 37, 100, 1000})
      for (double scale : {0.002, 0.02, 0.0625, 0.1, 0.3, 1.0, 4.0})
        for (int r = 0; r < 40; ++r) {
          std::vector<int8_t> x(static_cast<size_t>(depth));
          // Narrow rows too, where every value counts.
          const int spread = r % 2 == 0 ? 255 : 12;
          const int base = value(rng) / 2;
          for (int8_t& v : x) v = int8_t(std::clamp(base + value(rng) * spread / 255, -128, 127));
          const std::vector<int> want = float_softmax(x, scale);
          const std::vector<int8_t> got = int8_softmax(x, scale);
          for (size_t i = 0; i < x.size(); ++i) {
            const int d = std::abs(int(got[i]) - want[i]);
            worst = std::max(worst, d);
            off_by_one += d == 1;
            elements += 1;
          }
          // Rounding each output moves the total by at most half a level per value.
          CHECK(std::abs(levels(got) - 256) <= depth / 2 + 1);
          // Over a few classes nothing rounds away (a thousand values of 0.26 levels
          // each would), and without the clamp at 127 the total is 256 on average.
          if (depth <= 10 && *std::max_element(got.begin(), got.end()) < 127) {
            level_error += levels(got) - 256;
            rows += 1;
          }
        }
    MESSAGE("max difference " << worst << " LSB, off by one on " << off_by_one << " of " << elements
                              << "; mean levels - 256 over " << rows
                              << " unclamped rows of up to 10 values: "
                              << level_error / double(rows));
    CHECK(worst <= 1);
    CHECK(double(off_by_one) <= 0.02 * double(elements));
    CHECK(rows > 100);
    CHECK(std::abs(level_error / double(rows)) < 1.0);  // ~256 levels on average
  }

  TEST_CASE("rows are independent") {
    const std::vector<int8_t> a = {1, 50, -3, 7}, b = {-128, 127, 0, 0};
    std::vector<int8_t> x = a, y(8);
    x.insert(x.end(), b.begin(), b.end());
    int8_softmax(int8_softmax_params(0.07), x.data(), y.data(), 2, 4);
    CHECK(std::vector<int8_t>(y.begin(), y.begin() + 4) == int8_softmax(a, 0.07));
    CHECK(std::vector<int8_t>(y.begin() + 4, y.end()) == int8_softmax(b, 0.07));
  }
}

}  // namespace hwnas
