// This file implements the reader for CSV datasets: one sample per row, the features and
// an integer class label in columns, e.g. flattened sensor windows exported from pandas.
//
// Format: comma-separated, optional header row, fields optionally in double quotes ("" is
// a quote inside one), LF or CRLF line ends, a UTF-8 byte-order mark and blank lines
// ignored. Every row must have the same number of columns; every feature must be a finite
// number and every label an integer in [0, kMaxDatasetClasses). The first violation is a
// one-line DataError naming the file, the line and the column (both counted from 1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trainers/data/dataset.hpp"

namespace hwnas {

/// Features per row accepted (the columns minus the label).
inline constexpr size_t kMaxCsvFeatures = size_t(1) << 20;

struct CsvOptions {
  bool header = true;       ///< the first row names the columns
  std::string label_name;   ///< the label column by header name, or, when empty,
  int64_t label_index = -1; ///< by 0-based index; -1: the last column
};

/// Reads a CSV file into a Dataset of flat samples, shape [1, 1, F] with the features in
/// column order (num_classes is left 0). Memory grows with the rows actually present.
/// @throws DataError if the file cannot be opened, has no data rows, the label column is
///         unknown, a row's column count differs, a feature is empty, not a number or not
///         finite, or a label is not an integer in [0, kMaxDatasetClasses).
Dataset read_csv_dataset(const std::string& path, const CsvOptions& options);

/// The feature count and labels of a CSV file, for probing a dataset without keeping its
/// features (they are not parsed). @throws DataError like read_csv_dataset, except for
/// the checks of feature values.
struct CsvLabelScan {
  size_t features = 0;
  std::vector<int32_t> labels;
};
CsvLabelScan scan_csv_labels(const std::string& path, const CsvOptions& options);

}  // namespace hwnas
