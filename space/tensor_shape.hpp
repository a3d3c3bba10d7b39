// This file implements TensorShape, the per-sample NHWC shape of an activation tensor.
#pragma once

#include <cstdint>
#include <string>

namespace hwnas {

/// Shape of one sample's activation, NHWC without the batch dimension. Flat vectors are
/// (1, 1, C); a 1-D sensor window of L steps and K channels is (L, 1, K).
struct TensorShape {
  int h = 1;
  int w = 1;
  int c = 1;

  int64_t elements() const { return int64_t(h) * w * c; }
  bool is_flat() const { return h == 1 && w == 1; }
  std::string str() const {
    return "[" + std::to_string(h) + ", " + std::to_string(w) + ", " + std::to_string(c) + "]";
  }
  friend bool operator==(const TensorShape&, const TensorShape&) = default;
};

}  // namespace hwnas
