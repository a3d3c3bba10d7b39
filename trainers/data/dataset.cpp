// This file implements the Dataset helpers: subsets by index and per-class counts.
#include "trainers/data/dataset.hpp"

#include <cassert>

namespace hwnas {

Dataset Dataset::subset(const std::vector<size_t>& indices) const {
  Dataset out;
  out.name = name;
  out.sample_shape = sample_shape;
  out.num_classes = num_classes;
  out.x.resize(Eigen::Index(indices.size()), x.cols());
  out.y.reserve(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    assert(indices[i] < size());
    out.x.row(Eigen::Index(i)) = x.row(Eigen::Index(indices[i]));
    out.y.push_back(y[indices[i]]);
  }
  return out;
}

std::vector<size_t> Dataset::class_counts() const {
  std::vector<size_t> counts(size_t(num_classes > 0 ? num_classes : 0), 0);
  for (int32_t label : y) {
    assert(label >= 0 && label < num_classes);
    if (label >= 0 && label < num_classes) ++counts[size_t(label)];
  }
  return counts;
}

}  // namespace hwnas
