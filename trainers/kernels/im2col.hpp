// This file implements im2col and its adjoint for NHWC samples, the data movement that
// turns a convolution into one matrix product.
#pragma once

#include "trainers/kernels/window_geometry.hpp"

namespace hwnas {

/// Writes the patch matrix of one sample: (out_h*out_w) x (kernel_h*kernel_w*channels),
/// row-major, taps in (kh, kw, c) order (TensorFlow's HWIO kernel layout), zeros where
/// the window covers padding.
void im2col(const float* x, const WindowGeometry& g, float* columns);

/// Adds a patch-matrix gradient back into one sample's input gradient (the adjoint of
/// im2col: overlapping windows accumulate).
void col2im_add(const float* column_grads, const WindowGeometry& g, float* dx);

}  // namespace hwnas
