// This file implements resizing a dataset's samples, for search spaces that choose the
// input resolution (on a microcontroller the resolution drives peak RAM; the camera or
// sensor pipeline delivers whatever resolution the chosen network takes).
#pragma once

#include "trainers/data/dataset.hpp"

namespace hwnas {

/// Bilinear resize of every sample to h x w with half-pixel centres (TensorFlow's
/// resize_bilinear with half_pixel_centers, PyTorch's align_corners=False). Channels
/// and labels are unchanged. Returns a copy when the size already matches.
Dataset resize_dataset(const Dataset& data, int h, int w);

DatasetSplits resize_splits(const DatasetSplits& splits, int h, int w);

}  // namespace hwnas
