// This file implements the reader for NumPy .npy files (what `np.save` writes), and the
// mapping of a features file and a labels file onto a Dataset.
//
// Layout: the magic "\x93NUMPY", a major and a minor version byte (1.0, 2.0 or 3.0), the
// header length (uint16 little-endian for 1.0, uint32 for 2.0 and 3.0), the header (a
// Python dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (60000,
// 28, 28), }), then the elements, row-major. The reader trusts nothing in the header: the
// data size it promises is checked against the real file size before anything is
// allocated, and every problem is a one-line DataError naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "space/tensor_shape.hpp"
#include "trainers/data/dataset.hpp"
#include "trainers/data/numeric_array.hpp"

namespace hwnas {

/// Files whose header promises more data than this are rejected before anything is read.
inline constexpr uint64_t kMaxNpyDataBytes = uint64_t(1) << 32;
/// Headers longer than this are rejected (np.save writes well under 1 KiB).
inline constexpr uint32_t kMaxNpyHeaderBytes = 1u << 16;
/// Dimension counts accepted: labels (N) or (N, 1), features (N, F) to (N, H, W, C).
inline constexpr int kMaxNpyDims = 4;

/// What the header of a .npy file says, after it was checked against the file.
struct NpyHeader {
  ElementType type = ElementType::kUint8;
  bool big_endian = false;
  std::vector<size_t> shape;  ///< at least one dimension, none zero
  uint64_t data_offset = 0;   ///< where the elements start
  uint64_t data_bytes = 0;    ///< product of shape times the element size
};

/// The contents of one .npy file.
using NpyArray = NumericArray;

/// Reads and checks the header only.
/// @throws DataError if the file cannot be opened, is not a .npy file (bad magic, an .npz
///         archive), has an unknown version, a malformed header, an unsupported dtype,
///         fortran_order True, a scalar or more than kMaxNpyDims dimensions, a zero
///         dimension, more than kMaxNpyDataBytes of data, or a size that differs from what
///         the header promises (truncated data or trailing bytes).
NpyHeader read_npy_header(const std::string& path);

/// Reads a whole .npy file. @throws DataError as read_npy_header.
NpyArray read_npy(const std::string& path);

/// The per-sample shape of a features array of shape `shape`: (N, F) -> [1, 1, F],
/// (N, H, W) -> [H, W, 1], (N, H, W, C) -> [H, W, C].
/// @throws DataError for a 1-D array or a dimension above INT_MAX.
TensorShape npy_sample_shape(const std::vector<size_t>& shape, const std::string& path);

/// Reads a labels file: shape (N) or (N, 1), an integer dtype, values in
/// [0, kMaxDatasetClasses). @throws DataError naming the first offending label.
std::vector<int32_t> read_npy_labels(const std::string& path);

/// Reads a features file and its labels file into a Dataset (num_classes left 0). uint8
/// features are scaled to [0, 1], as IDX images are; other dtypes are taken as they are.
/// @throws DataError for the reasons above, non-finite float features, or a label count
///         that differs from the sample count.
Dataset read_npy_dataset(const std::string& features_path, const std::string& labels_path);

}  // namespace hwnas
