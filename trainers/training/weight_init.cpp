// This file implements init_param (see weight_init.hpp).
#include "trainers/training/weight_init.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "trainers/training/train_random.hpp"

namespace hwnas {

namespace {

// Std of a unit normal truncated to [-2, 2]: dividing by it restores the target std.
constexpr double kTruncatedNormalStd = 0.87962566103423978;

double truncated_normal(std::mt19937_64& rng) {
  for (;;) {
    const double z = standard_normal(rng);
    if (std::abs(z) <= 2.0) return z;
  }
}

}  // namespace

void init_param(const ParamSpec& spec, uint64_t seed, float* out) {
  std::mt19937_64 rng(seed);
  switch (spec.init) {
    case ParamInit::kZeros:
      std::fill(out, out + spec.size, 0.0f);
      return;
    case ParamInit::kOnes:
      std::fill(out, out + spec.size, 1.0f);
      return;
    case ParamInit::kHeNormal: {
      const double std = std::sqrt(2.0 / double(std::max<int64_t>(spec.fan_in, 1)));
      for (int64_t i = 0; i < spec.size; ++i)
        out[i] = float(std * truncated_normal(rng) / kTruncatedNormalStd);
      return;
    }
    case ParamInit::kGlorotUniform: {
      const double fans = double(std::max<int64_t>(spec.fan_in + spec.fan_out, 1));
      const double limit = std::sqrt(6.0 / fans);
      for (int64_t i = 0; i < spec.size; ++i) out[i] = float(limit * (2.0 * uniform01(rng) - 1.0));
      return;
    }
  }
}

}  // namespace hwnas
