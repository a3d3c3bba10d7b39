// This file implements Layer, one typed node of the architecture IR.
#pragma once

#include <string>
#include <vector>

#include "space/op_kind.hpp"
#include "space/tensor_shape.hpp"

namespace hwnas {

/// Name by which layers refer to the network input.
inline constexpr const char* kInputName = "input";

/// One node of the network DAG. Only the attributes of the layer's op are meaningful
/// (see OpInfo::attributes); the others keep their defaults so that equality and the
/// JSON round trip are exact.
struct Layer {
  std::string name;
  OpKind op = OpKind::kReLU;
  std::vector<std::string> inputs;  ///< producer layer names, or kInputName

  // conv2d / depthwise_conv2d / pools
  int filters = 0;           ///< conv2d output channels
  int kernel_h = 1, kernel_w = 1;  ///< conv kernel or pool window
  int stride_h = 1, stride_w = 1;
  Padding padding = Padding::kSame;
  bool use_bias = true;      ///< conv2d, depthwise_conv2d, dense
  int depth_multiplier = 1;  ///< depthwise_conv2d
  // dense
  int units = 0;
  // batch_norm
  double epsilon = 1e-3;
  // reshape
  TensorShape target_shape;

  // Filled by shape inference (not serialised).
  TensorShape output_shape;

  /// Equality of the definition (name, op, inputs, attributes); ignores inferred shapes.
  bool same_definition(const Layer& other) const;
};

}  // namespace hwnas
