// This file implements bilinear dataset resizing (see dataset_resize.hpp).
#include "trainers/data/dataset_resize.hpp"

#include <algorithm>
#include <cmath>

namespace hwnas {

namespace {

/// For each output coordinate: the two source coordinates and the weight of the second.
struct Taps {
  std::vector<int> lo, hi;
  std::vector<float> frac;
};

Taps taps(int in, int out) {
  Taps t;
  const double scale = double(in) / out;
  for (int o = 0; o < out; ++o) {
    const double src = std::max(0.0, (o + 0.5) * scale - 0.5);  // half-pixel centres
    const int lo = std::min(int(std::floor(src)), in - 1);
    t.lo.push_back(lo);
    t.hi.push_back(std::min(lo + 1, in - 1));
    t.frac.push_back(float(src - lo));
  }
  return t;
}

}  // namespace

Dataset resize_dataset(const Dataset& data, int h, int w) {
  const TensorShape in = data.sample_shape;
  if (in.h == h && in.w == w) return data;
  Dataset out;
  out.name = data.name;
  out.num_classes = data.num_classes;
  out.y = data.y;
  out.sample_shape = {h, w, in.c};
  out.x.resize(data.x.rows(), Eigen::Index(out.sample_shape.elements()));
  const Taps rows = taps(in.h, h), cols = taps(in.w, w);
  const int c = in.c;
  for (Eigen::Index n = 0; n < data.x.rows(); ++n) {
    const float* src = data.x.row(n).data();
    float* dst = out.x.row(n).data();
    for (int y = 0; y < h; ++y) {
      const float fy = rows.frac[size_t(y)];
      const float* r0 = src + int64_t(rows.lo[size_t(y)]) * in.w * c;
      const float* r1 = src + int64_t(rows.hi[size_t(y)]) * in.w * c;
      for (int x = 0; x < w; ++x) {
        const float fx = cols.frac[size_t(x)];
        const int64_t a = int64_t(cols.lo[size_t(x)]) * c, b = int64_t(cols.hi[size_t(x)]) * c;
        float* o = dst + (int64_t(y) * w + x) * c;
        for (int k = 0; k < c; ++k) {
          const float top = r0[a + k] + fx * (r0[b + k] - r0[a + k]);
          const float bottom = r1[a + k] + fx * (r1[b + k] - r1[a + k]);
          o[k] = top + fy * (bottom - top);
        }
      }
    }
  }
  return out;
}

DatasetSplits resize_splits(const DatasetSplits& splits, int h, int w) {
  return {resize_dataset(splits.train, h, w), resize_dataset(splits.validation, h, w),
          resize_dataset(splits.test, h, w), splits.input_mean, splits.input_std};
}

}  // namespace hwnas
