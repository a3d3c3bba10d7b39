// This file implements the random draws of training (weight initialisation, epoch
// shuffles) on std::mt19937_64 with hand-written distributions, so a seed gives the same
// network and sample order with every standard library and on every platform.
#pragma once

#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

namespace hwnas {

/// Uniform in [0, 1) with 53 random bits.
inline double uniform01(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1.0p-53; }

/// Standard normal by Box-Muller (one value per call).
inline double standard_normal(std::mt19937_64& rng) {
  const double u1 = 1.0 - uniform01(rng);  // (0, 1]: log is finite
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
}

/// Uniform in [0, n) for n >= 1 (modulo bias below 2^-40 for n < 2^24).
inline uint64_t uniform_index(std::mt19937_64& rng, uint64_t n) { return rng() % n; }

/// Fisher-Yates shuffle of `order` in place.
inline void shuffle_in_place(std::vector<size_t>& order, std::mt19937_64& rng) {
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[uniform_index(rng, i)]);
}

}  // namespace hwnas
