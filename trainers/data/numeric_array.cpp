// This file implements NumericArray, the element-type helpers and the conversions to a
// Dataset (see numeric_array.hpp).
#include "trainers/data/numeric_array.hpp"

#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

#include "util/errors.hpp"

namespace hwnas {

namespace {

template <typename T>
T load(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof value);  // elements need not be aligned
  return value;
}

}  // namespace

std::string element_type_name(ElementType type) {
  switch (type) {
    case ElementType::kUint8: return "uint8";
    case ElementType::kInt8: return "int8";
    case ElementType::kInt16: return "int16";
    case ElementType::kInt32: return "int32";
    case ElementType::kInt64: return "int64";
    case ElementType::kFloat32: return "float32";
    case ElementType::kFloat64: return "float64";
  }
  return "unknown";
}

size_t element_size(ElementType type) {
  switch (type) {
    case ElementType::kUint8:
    case ElementType::kInt8: return 1;
    case ElementType::kInt16: return 2;
    case ElementType::kInt32:
    case ElementType::kFloat32: return 4;
    case ElementType::kInt64:
    case ElementType::kFloat64: return 8;
  }
  return 1;
}

bool is_integer(ElementType type) { return type != ElementType::kFloat32 && type != ElementType::kFloat64; }

size_t NumericArray::item_elements() const {
  size_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i) n *= shape[i];
  return n;
}

double NumericArray::value(size_t index) const {
  assert(index < element_count());
  const uint8_t* p = bytes.data() + index * element_size(type);
  switch (type) {
    case ElementType::kUint8: return *p;
    case ElementType::kInt8: return load<int8_t>(p);
    case ElementType::kInt16: return load<int16_t>(p);
    case ElementType::kInt32: return load<int32_t>(p);
    case ElementType::kInt64: return double(load<int64_t>(p));
    case ElementType::kFloat32: return load<float>(p);
    case ElementType::kFloat64: return load<double>(p);
  }
  return 0.0;
}

RowMatrix to_feature_matrix(const NumericArray& a, const std::string& path) {
  RowMatrix x(Eigen::Index(a.item_count()), Eigen::Index(a.item_elements()));
  float* out = x.data();
  const size_t n = a.element_count();
  if (a.type == ElementType::kUint8) {
    for (size_t i = 0; i < n; ++i) out[i] = float(a.bytes[i]) * (1.0f / 255.0f);
    return x;
  }
  for (size_t i = 0; i < n; ++i) {
    out[i] = float(a.value(i));
    if (!std::isfinite(out[i])) {
      const size_t per = a.item_elements();
      char found[32];
      std::snprintf(found, sizeof found, "%g", a.value(i));
      throw DataError(path, "sample " + std::to_string(i / per) + ", element " + std::to_string(i % per) + " is " +
                                found + ", expected a finite number (in float32 range)");
    }
  }
  return x;
}

std::vector<int32_t> to_labels(const NumericArray& a, const std::string& path, int max_label) {
  if (!is_integer(a.type))
    throw DataError(path, "labels have dtype " + element_type_name(a.type) + ", expected an integer dtype");
  std::vector<int32_t> y(a.element_count());
  for (size_t i = 0; i < y.size(); ++i) {
    const double v = a.value(i);
    if (v < 0 || v > max_label) {
      // Printed from the double: an int64 label near 2^63 does not convert back to int64.
      char found[32];
      std::snprintf(found, sizeof found, "%.0f", v);
      throw DataError(path, "label " + std::to_string(i) + " is " + found + ", expected 0 to " + std::to_string(max_label));
    }
    y[i] = int32_t(v);
  }
  return y;
}

TensorShape sample_shape_of(const std::vector<size_t>& shape, const std::string& path,
                            const std::string& what) {
  assert(shape.size() >= 2 && shape.size() <= 4);
  for (size_t i = 1; i < shape.size(); ++i) {
    if (shape[i] > size_t(std::numeric_limits<int>::max())) {
      throw DataError(path, what + " dimension " + std::to_string(i) + " is too large");
    }
  }
  if (shape.size() == 2) return TensorShape{1, 1, int(shape[1])};
  return TensorShape{int(shape[1]), int(shape[2]), shape.size() == 4 ? int(shape[3]) : 1};
}

Dataset to_dataset(const NumericArray& features, const std::string& features_path,
                   const TensorShape& sample_shape, std::vector<int32_t> labels,
                   const std::string& labels_path, const std::string& samples) {
  if (labels.size() != features.item_count()) {
    throw DataError(labels_path, "has " + std::to_string(labels.size()) + " labels but " +
                                     features_path + " has " +
                                     std::to_string(features.item_count()) + " " + samples);
  }
  Dataset data;
  data.sample_shape = sample_shape;
  data.y = std::move(labels);
  data.x = to_feature_matrix(features, features_path);
  return data;
}

}  // namespace hwnas
