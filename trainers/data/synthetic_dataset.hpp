// This file implements a small, deterministic, learnable synthetic classification
// dataset for tests and demos.
//
// Each class has a prototype: a few Gaussian blobs at random positions, each blob with
// its own random per-channel intensity, scaled so the prototype peaks at 1. A sample is
// its class prototype shifted by a small random offset (zero fill at the borders), times
// a random amplitude in [0.8, 1.2], plus Gaussian pixel noise, clamped to [0, 1]. The
// prototypes depend only on pattern_seed, so a train and a test set drawn with the same
// pattern_seed and different sample_seeds come from the same distribution, and a tiny CNN
// (or even a nearest-class-mean classifier) gets well above chance.
//
// Works for any shape: images (H, W, C), sensor windows (L, 1, K) and flat vectors
// (1, 1, C), where blobs degenerate to random per-channel patterns. Randomness comes from
// std::mt19937_64 with explicit seeds and hand-written distributions, so the data is the
// same on every platform and standard library.
#pragma once

#include <cstdint>
#include <string>

#include "space/tensor_shape.hpp"
#include "trainers/data/dataset.hpp"

namespace hwnas {

struct SyntheticSpec {
  std::string name = "synthetic";
  TensorShape shape{28, 28, 1};  ///< per-sample shape
  int num_classes = 10;
  int64_t size = 1000;        ///< number of samples; labels are balanced (i mod classes)
  uint64_t pattern_seed = 1;  ///< class prototypes: share it between train and test
  uint64_t sample_seed = 2;   ///< label order, shifts, amplitudes and noise
  double noise = 0.2;         ///< standard deviation of the pixel noise
};

/// Generates the dataset described by `spec`; the same spec gives the same bytes.
/// @throws DataError if the shape is not positive, num_classes < 1, size < 0, noise is
///         negative, or the data (or the class prototypes) would exceed 2^30 floats.
Dataset make_synthetic_dataset(const SyntheticSpec& spec);

}  // namespace hwnas
