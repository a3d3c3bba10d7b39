// This file implements augment_sample (see augmentation.hpp).
#include "trainers/training/augmentation.hpp"

#include <algorithm>
#include <cstring>

#include "trainers/training/train_random.hpp"

namespace hwnas {

namespace {

// Uniform in [-max_shift, max_shift].
int draw_shift(int max_shift, std::mt19937_64& rng) {
  if (max_shift <= 0) return 0;
  return int(uniform_index(rng, uint64_t(2 * max_shift + 1))) - max_shift;
}

}  // namespace

void augment_sample(const float* sample, const TensorShape& shape, const AugmentOptions& options,
                    std::mt19937_64& rng, float* out) {
  const bool image = shape.h > 1;
  const int dy = image ? draw_shift(options.max_shift, rng) : 0;
  const int dx = draw_shift(options.max_shift, rng);
  const bool flip = image && options.horizontal_flip && (rng() & 1) != 0;
  const int h = shape.h, w = shape.w, c = shape.c;
  const size_t pixel_bytes = size_t(c) * sizeof(float);
  for (int y = 0; y < h; ++y) {
    const int sy = std::clamp(y - dy, 0, h - 1);
    for (int x = 0; x < w; ++x) {
      const int shifted = std::clamp(x - dx, 0, w - 1);
      const int sx = flip ? w - 1 - shifted : shifted;
      std::memcpy(out + (int64_t(y) * w + x) * c, sample + (int64_t(sy) * w + sx) * c, pixel_bytes);
    }
  }
}

}  // namespace hwnas
