// This file implements DatasetConfig, the dataset section of a run config after
// validation (see docs/config.md), and the loader that turns it into splits.
#pragma once

#include <cstdint>
#include <string>

#include "space/tensor_shape.hpp"
#include "trainers/dataset.hpp"

namespace hwnas {

enum class DatasetFormat { kIdx, kSynthetic };

struct DatasetConfig {
  DatasetFormat format = DatasetFormat::kIdx;
  std::string name = "fashion-mnist";
  // format "idx": absolute paths (the config loader resolves them against the config's folder)
  std::string train_images, train_labels, test_images, test_labels;
  // format "synthetic": a generated, learnable dataset for tests and demos
  TensorShape synthetic_shape{28, 28, 1};
  int synthetic_classes = 10;
  int64_t synthetic_train_size = 1000;
  int64_t synthetic_test_size = 200;
  // common
  int64_t train_limit = 0;           ///< 0: all; else a class-stratified subset of the train file
  int64_t test_limit = 0;            ///< 0: all; else a class-stratified subset of the test file
  double validation_fraction = 0.1;  ///< carved (stratified) out of the training samples
  bool normalize = true;             ///< per-channel standardisation with train-split statistics
};

/// Loads the data files and builds the three splits deterministically from `seed`.
/// @throws DataError for missing, truncated or inconsistent files.
DatasetSplits load_dataset(const DatasetConfig& config, uint64_t seed);

/// What a search space needs to know about the data, without loading it.
struct DatasetShape {
  TensorShape sample_shape;
  int num_classes = 0;
};

/// Reads only the image header and the labels. @throws DataError like load_dataset.
DatasetShape probe_dataset(const DatasetConfig& config);

}  // namespace hwnas
