// This file implements the reader for IDX files, the format of MNIST and Fashion-MNIST,
// gzip-compressed or raw.
//
// Layout: two zero bytes, an element-type byte (0x08 ubyte, 0x09 sbyte, 0x0B int16,
// 0x0C int32, 0x0D float32, 0x0E float64), a dimension-count byte, that many big-endian
// uint32 dimensions, then the elements in big-endian, row-major order. The reader trusts
// nothing in the header: a corrupt or truncated file gives a one-line DataError, and the
// memory it allocates is bounded by the data actually present, never by what the header
// promises.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "trainers/data/numeric_array.hpp"

namespace hwnas {

enum class IdxType : uint8_t {
  kUbyte = 0x08,
  kSbyte = 0x09,
  kInt16 = 0x0B,
  kInt32 = 0x0C,
  kFloat32 = 0x0D,
  kFloat64 = 0x0E,
};

/// "ubyte", "sbyte", "int16", "int32", "float32" or "float64".
std::string idx_type_name(IdxType type);
/// The element type the array of an IDX file of this type holds.
ElementType element_type(IdxType type);

/// Files claiming more data than this are rejected before anything is read.
inline constexpr uint64_t kMaxIdxDataBytes = uint64_t(1) << 32;
/// Dimension counts accepted (N, N x L, N x H x W, N x H x W x C).
inline constexpr int kMaxIdxDims = 4;

/// The contents of one IDX file.
struct IdxArray : NumericArray {
  size_t header_items = 0;  ///< the item count the header states (more than shape[0] when limited)
};

/// An IDX file's header: its element type and dimensions.
struct IdxHeaderInfo {
  IdxType type = IdxType::kUbyte;
  std::vector<size_t> dims;
};

/// Reads only the header (decompressing its first bytes), checked as read_idx checks it:
/// what a caller compares before it reads, and allocates for, the data.
/// @throws DataError as read_idx for the header.
IdxHeaderInfo read_idx_header(const std::string& path);

/// Reads an IDX file, gzip-compressed or raw (detected from the content).
/// @param max_items 0 reads all items; otherwise at most the first `max_items` (the rest of
///        the file is then not read, so its truncation or trailing bytes go unnoticed).
/// @throws DataError ("<path>: <what>") if the file cannot be opened, the gzip stream is
///         corrupt, the header is invalid (bad magic, unknown element type, 0 or more than
///         kMaxIdxDims dimensions, a zero dimension, more than kMaxIdxDataBytes of data),
///         the data is shorter than the header promises, or bytes follow the data.
IdxArray read_idx(const std::string& path, size_t max_items = 0);

}  // namespace hwnas
