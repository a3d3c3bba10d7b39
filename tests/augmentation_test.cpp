// This file implements tests of training-time augmentation: what a shift and a mirror do
// to a sample, that the draws come from the given generator, and that training with
// augmentation stays deterministic.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "trainers/training/augmentation.hpp"

namespace hwnas::test {

namespace {

// A 4x5x2 image whose value encodes (y, x, channel): 100 y + 10 x + c.
std::vector<float> coded_image(const TensorShape& s) {
  std::vector<float> v(size_t(s.elements()));
  for (int y = 0; y < s.h; ++y)
    for (int x = 0; x < s.w; ++x)
      for (int c = 0; c < s.c; ++c) v[size_t((y * s.w + x) * s.c + c)] = float(100 * y + 10 * x + c);
  return v;
}

float at(const std::vector<float>& v, const TensorShape& s, int y, int x, int c) {
  return v[size_t((y * s.w + x) * s.c + c)];
}

}  // namespace

TEST_CASE("augment_sample: every output pixel is an input pixel moved by one shift and maybe mirrored") {
  const TensorShape s{4, 5, 2};
  const std::vector<float> in = coded_image(s);
  AugmentOptions o;
  o.max_shift = 2;
  o.horizontal_flip = true;
  std::mt19937_64 rng(7);
  std::set<std::pair<int, int>> shifts_seen;
  int flips = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<float> out(in.size());
    augment_sample(in.data(), s, o, rng, out.data());
    // Recover the transform from an interior pixel and check it everywhere (edges repeat).
    bool matched = false;
    for (int dy = -2; dy <= 2 && !matched; ++dy)
      for (int dx = -2; dx <= 2 && !matched; ++dx)
        for (int flip = 0; flip < 2 && !matched; ++flip) {
          bool all = true;
          for (int y = 0; y < s.h && all; ++y)
            for (int x = 0; x < s.w && all; ++x) {
              const int sy = std::clamp(y - dy, 0, s.h - 1);
              const int shifted = std::clamp(x - dx, 0, s.w - 1);
              const int sx = flip ? s.w - 1 - shifted : shifted;
              for (int c = 0; c < s.c; ++c) all = all && at(out, s, y, x, c) == at(in, s, sy, sx, c);
            }
          if (all) {
            matched = true;
            shifts_seen.insert({dy, dx});
            flips += flip;
          }
        }
    REQUIRE(matched);
  }
  CHECK(shifts_seen.size() >= 20);  // of the 25 (dy, dx) pairs, in 400 draws
  CHECK(flips > 120);
  CHECK(flips < 280);
}

TEST_CASE("augment_sample: a 1-D window shifts along its length only and is never mirrored") {
  const TensorShape s{1, 16, 3};
  const std::vector<float> in = coded_image(s);
  AugmentOptions o;
  o.max_shift = 3;
  o.horizontal_flip = true;
  std::mt19937_64 rng(3);
  int shifted = 0;
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<float> out(in.size());
    augment_sample(in.data(), s, o, rng, out.data());
    // Values along x stay non-decreasing: a shift with edge repetition, never a mirror.
    for (int x = 1; x < s.w; ++x) CHECK(at(out, s, 0, x, 0) >= at(out, s, 0, x - 1, 0));
    shifted += out != in;
  }
  CHECK(shifted > 60);
}

TEST_CASE("augment_sample: the same generator state gives the same sample") {
  const TensorShape s{6, 6, 1};
  const std::vector<float> in = coded_image(s);
  AugmentOptions o;
  o.max_shift = 2;
  o.horizontal_flip = true;
  std::mt19937_64 a(99), b(99);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<float> x(in.size()), y(in.size());
    augment_sample(in.data(), s, o, a, x.data());
    augment_sample(in.data(), s, o, b, y.data());
    CHECK(x == y);
  }
}

}  // namespace hwnas::test
