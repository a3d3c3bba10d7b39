// This file implements DatasetConfig, the dataset section of a run config after
// validation (see docs/config.md), and the loader that turns it into splits.
#pragma once

#include <cstdint>
#include <string>

#include "space/tensor_shape.hpp"
#include "trainers/data/dataset.hpp"

namespace hwnas {

enum class DatasetFormat { kIdx, kNpy, kCsv, kSynthetic };

struct DatasetConfig {
  DatasetFormat format = DatasetFormat::kIdx;
  std::string name = "fashion-mnist";
  // formats "idx" and "npy": absolute paths (the config loader resolves them against the
  // config's folder)
  std::string train_images, train_labels, test_images, test_labels;
  // format "csv": one file per split, features and label in each row
  std::string train_file, test_file;
  bool csv_header = true;          ///< the first row names the columns
  std::string csv_label_name;      ///< label column by header name, or, when empty,
  int64_t csv_label_index = -1;    ///< by 0-based index; -1: the last column
  // formats "npy" and "csv": the per-sample shape the file's samples are read as; all
  // zero keeps the file's own (npy: from the array's shape; csv: [1, 1, F])
  TensorShape sample_shape{0, 0, 0};
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
/// `validation_split` k > 0 draws the k-th other stratified validation set from the same
/// training samples (repeated hold-out): the limits and the test split stay those of k = 0.
/// @throws DataError for missing, truncated or inconsistent files.
DatasetSplits load_dataset(const DatasetConfig& config, uint64_t seed, int validation_split = 0);

/// What a search space needs to know about the data, without loading it.
struct DatasetShape {
  TensorShape sample_shape;
  int num_classes = 0;
};

/// Reads only what it needs: the features' header (IDX, NPY) and the labels; for CSV the
/// label column of every row (the features are counted, not parsed). The configured
/// `sample_shape` is checked against the data. @throws DataError like load_dataset.
DatasetShape probe_dataset(const DatasetConfig& config);

}  // namespace hwnas
