// This file implements the layer builders of the kernel and quantisation tests: one call
// per layer with its geometry.
#pragma once

#include <string>

#include "space/layer.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

inline Layer conv(const std::string& name, const std::string& in, int filters, int k, int stride = 1,
                  Padding padding = Padding::kSame, bool bias = true) {
  Layer l = make_test_layer(name, OpKind::kConv2D, {in});
  l.filters = filters;
  l.kernel_h = l.kernel_w = k;
  l.stride_h = l.stride_w = stride;
  l.padding = padding;
  l.use_bias = bias;
  return l;
}

inline Layer depthwise(const std::string& name, const std::string& in, int k, int stride, Padding padding,
                int multiplier) {
  Layer l = make_test_layer(name, OpKind::kDepthwiseConv2D, {in});
  l.kernel_h = l.kernel_w = k;
  l.stride_h = l.stride_w = stride;
  l.padding = padding;
  l.depth_multiplier = multiplier;
  return l;
}

inline Layer pool(const std::string& name, OpKind op, const std::string& in, int k, int stride,
                  Padding padding = Padding::kValid) {
  Layer l = make_test_layer(name, op, {in});
  l.kernel_h = l.kernel_w = k;
  l.stride_h = l.stride_w = stride;
  l.padding = padding;
  return l;
}

inline Layer dense(const std::string& name, const std::string& in, int units, bool bias = true) {
  Layer l = make_test_layer(name, OpKind::kDense, {in});
  l.units = units;
  l.use_bias = bias;
  return l;
}

}  // namespace hwnas::test
