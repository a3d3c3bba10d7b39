// This file implements writing datasets as NumPy .npy files, so that a split the engine
// trained on can be loaded in Python exactly as it was (e.g. to train the same samples
// with another framework).
#pragma once

#include <string>

#include "trainers/data/dataset.hpp"

namespace hwnas {

/// Writes <dir>/<split>_x.npy (float32, N x H x W x C: NHWC, after normalisation, as
/// trained) and <dir>/<split>_y.npy (int32 labels). Creates `dir`.
/// @throws UserError on I/O errors.
void write_split_npy(const Dataset& data, const std::string& dir, const std::string& split);

}  // namespace hwnas
