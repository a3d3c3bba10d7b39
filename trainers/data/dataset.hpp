// This file implements Dataset, an in-memory labelled classification dataset, and the
// train/validation/test splits the search works with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "space/tensor_shape.hpp"

namespace hwnas {

/// Row-major float matrix; one row per sample.
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Labels read from NPY and CSV files must lie in [0, kMaxDatasetClasses): the class count
/// is the largest label + 1, and one stray label must not ask for a million-way classifier.
inline constexpr int kMaxDatasetClasses = 1000;

struct Dataset {
  std::string name;
  TensorShape sample_shape;  ///< per-sample NHWC shape
  int num_classes = 0;
  RowMatrix x;               ///< features (N x H*W*C), NHWC order within a row
  std::vector<int32_t> y;    ///< N labels in [0, num_classes)

  size_t size() const { return y.size(); }
  /// The samples at `indices`, in that order.
  Dataset subset(const std::vector<size_t>& indices) const;
  /// Samples per class (size num_classes).
  std::vector<size_t> class_counts() const;
};

/// `count` samples of `data` chosen at random from `seed`, in the classes' proportions
/// (largest remainder), in their original order; all of `data` when count is 0 or at least
/// its size. Low-fidelity evaluation in a search trains on such a subset.
Dataset stratified_subset(const Dataset& data, size_t count, uint64_t seed);

struct DatasetSplits {
  Dataset train;
  Dataset validation;  ///< used for selection
  Dataset test;        ///< only for reporting final models
  /// The per-channel standardisation applied to all three (dataset.normalize), with the
  /// training split's statistics: v = (x - input_mean[c]) / input_std[c]. A deployed model
  /// needs its inputs prepared the same way. Means 0 and deviations 1 when the data are
  /// taken as they are; empty only where nobody recorded it.
  std::vector<double> input_mean, input_std;
};

}  // namespace hwnas
