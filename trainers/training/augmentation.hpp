// This file implements random training-time augmentation of one sample: a shift by a
// few pixels and a left-right mirror (AugmentOptions), drawn from the training run's
// own generator so that a seed gives the same augmented epochs with any thread count.
#pragma once

#include <random>

#include "space/tensor_shape.hpp"
#include "trainers/training/training_options.hpp"

namespace hwnas {

/// Writes an augmented copy of `sample` (shape HxWxC, NHWC) to `out` (same size, not
/// aliasing `sample`). Draws, in this order: the vertical shift (images only), the
/// horizontal shift, the mirror. A 1-D input (H = 1) shifts along W only and is never
/// mirrored (a sensor window reversed in time is another signal).
/// Pixels shifted in from outside repeat the nearest edge pixel: the data are already
/// standardised, so a constant fill would be a value the images never have at their
/// border (Fashion-MNIST's black background is about -0.8 after standardisation, not 0).
void augment_sample(const float* sample, const TensorShape& shape, const AugmentOptions& options,
                    std::mt19937_64& rng, float* out);

}  // namespace hwnas
