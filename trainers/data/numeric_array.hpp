// This file implements NumericArray: the contents of one dataset file (IDX or .npy) as its
// readers return them: an element type, a shape and the raw elements in host byte order.
// Both readers share it, and the conversions to a Dataset: its sample shape, features and
// labels, and the pairing of a features file with a labels file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "space/tensor_shape.hpp"
#include "trainers/data/dataset.hpp"

namespace hwnas {

/// The element types the dataset readers accept (IDX has no int64; .npy has them all).
enum class ElementType { kUint8, kInt8, kInt16, kInt32, kInt64, kFloat32, kFloat64 };

/// NumPy's name: "uint8", "int8", "int16", "int32", "int64", "float32" or "float64".
std::string element_type_name(ElementType type);
/// Bytes per element.
size_t element_size(ElementType type);
/// True for the five integer types.
bool is_integer(ElementType type);

struct NumericArray {
  ElementType type = ElementType::kUint8;
  std::vector<size_t> shape;   ///< shape[0] is the number of items
  std::vector<uint8_t> bytes;  ///< the elements in host byte order, row-major

  size_t item_count() const { return shape.empty() ? 0 : shape[0]; }
  /// Elements per item: the product of shape[1..] (1 for a 1-D array).
  size_t item_elements() const;
  size_t element_count() const { return item_count() * item_elements(); }
  /// Element `index` (row-major) converted to double, for any element type.
  double value(size_t index) const;
};

/// The array as a samples x features matrix: uint8 scaled to [0, 1], other types as they
/// are. @throws DataError naming `path`, the sample and the element of a value that is not
/// finite in float32 (NaN, infinity, a float64 beyond float32's range).
RowMatrix to_feature_matrix(const NumericArray& a, const std::string& path);

/// Every element as a class label. @throws DataError naming `path` for a floating-point
/// type or a label outside [0, max_label].
std::vector<int32_t> to_labels(const NumericArray& a, const std::string& path, int max_label);

/// The per-sample shape of an array of shape (N, F), (N, H, W) or (N, H, W, C): [1, 1, F],
/// [H, W, 1] or [H, W, C]. Requires 2 to 4 dimensions (each format words its own error for
/// fewer). @throws DataError naming `path` for a dimension above INT_MAX ("<what>
/// dimension 2 is too large", `what` naming the array: "image", "features").
TensorShape sample_shape_of(const std::vector<size_t>& shape, const std::string& path,
                            const std::string& what);

/// A features array of `sample_shape` samples and its labels as a Dataset (name and
/// num_classes left empty), features as to_feature_matrix makes them.
/// @throws DataError naming `labels_path` when the label count differs from the sample
///         count ("has 2 labels but <features_path> has 3 <samples>", `samples` naming the
///         items: "images", "samples"), else as to_feature_matrix.
Dataset to_dataset(const NumericArray& features, const std::string& features_path,
                   const TensorShape& sample_shape, std::vector<int32_t> labels,
                   const std::string& labels_path, const std::string& samples);

}  // namespace hwnas
