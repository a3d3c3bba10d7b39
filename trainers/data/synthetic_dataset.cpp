// This file implements the synthetic dataset generator (see synthetic_dataset.hpp).
#include "trainers/data/synthetic_dataset.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "util/errors.hpp"

namespace hwnas {

namespace {

constexpr int kBlobsPerClass = 3;
constexpr int64_t kMaxFloats = int64_t(1) << 30;

// NOTE: std::uniform_*_distribution and std::normal_distribution are implementation-
// defined; these helpers make the data identical across standard libraries.
double uniform01(std::mt19937_64& rng) {  // in (0, 1]
  return double((rng() >> 11) + 1) * 0x1.0p-53;
}

double uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * uniform01(rng);
}

int uniform_int(std::mt19937_64& rng, int lo, int hi) {  // in [lo, hi]
  return lo + int(rng() % uint64_t(hi - lo + 1));
}

double normal(std::mt19937_64& rng) {  // Box-Muller
  const double r = std::sqrt(-2.0 * std::log(uniform01(rng)));
  return r * std::cos(2.0 * std::numbers::pi * uniform01(rng));
}

void check_spec(const SyntheticSpec& spec) {
  const TensorShape& s = spec.shape;
  if (s.h < 1 || s.w < 1 || s.c < 1) {
    throw DataError(spec.name, "synthetic shape " + s.str() + " must be positive");
  }
  if (spec.num_classes < 1) throw DataError(spec.name, "synthetic dataset needs >= 1 class");
  if (spec.size < 0) throw DataError(spec.name, "synthetic size must be >= 0");
  if (!(spec.noise >= 0.0)) throw DataError(spec.name, "synthetic noise must be >= 0");
  // In double: h * w * c of absurd dimensions would overflow int64. The class prototypes
  // count too (num_classes samples' worth).
  const double samples = double(std::max<int64_t>({spec.size, spec.num_classes, 1}));
  if (double(s.h) * s.w * s.c * samples > double(kMaxFloats)) {
    throw DataError(spec.name, "synthetic dataset of " + std::to_string(spec.size) + " x " +
                                   s.str() + " exceeds 2^30 floats");
  }
}

/// Profile of one blob along an axis of length n: a Gaussian, or constant 1 when n == 1.
std::vector<double> blob_profile(std::mt19937_64& rng, int n) {
  std::vector<double> profile(size_t(n), 1.0);
  if (n == 1) return profile;
  const double center = uniform(rng, 0.0, double(n));
  const double sigma = std::max(1.0, n / 8.0);
  for (int i = 0; i < n; ++i) {
    const double d = (i + 0.5 - center) / sigma;
    profile[size_t(i)] = std::exp(-0.5 * d * d);
  }
  return profile;
}

/// One class prototype in NHWC order, peak value 1.
std::vector<double> make_prototype(std::mt19937_64& rng, const TensorShape& s) {
  std::vector<double> proto(size_t(s.elements()), 0.0);
  for (int b = 0; b < kBlobsPerClass; ++b) {
    const std::vector<double> py = blob_profile(rng, s.h);
    const std::vector<double> px = blob_profile(rng, s.w);
    std::vector<double> intensity(size_t(s.c));
    for (double& v : intensity) v = uniform(rng, 0.0, 1.0);
    for (int i = 0; i < s.h; ++i)
      for (int j = 0; j < s.w; ++j)
        for (int c = 0; c < s.c; ++c)
          proto[size_t((i * s.w + j) * s.c + c)] +=
              py[size_t(i)] * px[size_t(j)] * intensity[size_t(c)];
  }
  const double peak = *std::max_element(proto.begin(), proto.end());
  if (peak > 0.0)
    for (double& v : proto) v /= peak;
  return proto;
}

/// Balanced labels (i mod classes) in a random order (Fisher-Yates).
std::vector<int32_t> shuffled_labels(std::mt19937_64& rng, int64_t size, int classes) {
  std::vector<int32_t> labels(static_cast<size_t>(size));
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = int32_t(i % size_t(classes));
  for (size_t i = labels.size(); i > 1; --i) std::swap(labels[i - 1], labels[rng() % i]);
  return labels;
}

/// Writes one sample: the prototype shifted by (dy, dx), scaled, noised and clamped.
void draw_sample(std::mt19937_64& rng, const std::vector<double>& proto, const SyntheticSpec& spec,
                 float* out) {
  const TensorShape& s = spec.shape;
  const int max_dy = s.h > 1 ? std::max(1, s.h / 10) : 0;
  const int max_dx = s.w > 1 ? std::max(1, s.w / 10) : 0;
  const int dy = uniform_int(rng, -max_dy, max_dy);
  const int dx = uniform_int(rng, -max_dx, max_dx);
  const double amplitude = uniform(rng, 0.8, 1.2);
  for (int i = 0; i < s.h; ++i) {
    for (int j = 0; j < s.w; ++j) {
      const int si = i - dy;
      const int sj = j - dx;
      const bool inside = si >= 0 && si < s.h && sj >= 0 && sj < s.w;
      for (int c = 0; c < s.c; ++c) {
        const double base = inside ? proto[size_t((si * s.w + sj) * s.c + c)] : 0.0;
        const double v = amplitude * base + spec.noise * normal(rng);
        out[(i * s.w + j) * s.c + c] = float(std::clamp(v, 0.0, 1.0));
      }
    }
  }
}

}  // namespace

Dataset make_synthetic_dataset(const SyntheticSpec& spec) {
  check_spec(spec);
  std::mt19937_64 pattern_rng(spec.pattern_seed);
  std::vector<std::vector<double>> prototypes;
  for (int k = 0; k < spec.num_classes; ++k)
    prototypes.push_back(make_prototype(pattern_rng, spec.shape));

  std::mt19937_64 rng(spec.sample_seed);
  Dataset data;
  data.name = spec.name;
  data.sample_shape = spec.shape;
  data.num_classes = spec.num_classes;
  data.y = shuffled_labels(rng, spec.size, spec.num_classes);
  data.x.resize(Eigen::Index(spec.size), Eigen::Index(spec.shape.elements()));
  for (Eigen::Index n = 0; n < data.x.rows(); ++n) {
    draw_sample(rng, prototypes[size_t(data.y[size_t(n)])], spec, data.x.row(n).data());
  }
  return data;
}

}  // namespace hwnas
