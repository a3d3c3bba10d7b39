// This file implements the depthwise-convolution loops for square 3x3 and 5x5 kernels
// with depth multiplier 1 (the DS-CNN and MobileNet case) on a zero-padded copy of a
// sample: every output pixel then has a full window, so the taps are a compile-time
// loop and a block of channels keeps its KH*KW weights (forward) or KH*KW weight
// gradients (backward) in registers across all pixels of the sample. The general
// per-pixel loops of DepthwiseConv2DKernel load and store those per pixel and tap.
#pragma once

#include <cstddef>

#include "trainers/kernels/window_geometry.hpp"

namespace hwnas {

/// Whether the fixed-window loops cover this geometry (3x3 or 5x5 kernel, one input
/// channel per output channel: the caller checks the multiplier).
bool fixed_window_supported(const WindowGeometry& g);

/// Floats of the padded copy of one sample: ((out_h - 1) * stride_h + KH) rows of
/// ((out_w - 1) * stride_w + KW) pixels of `channels`.
size_t padded_sample_floats(const WindowGeometry& g);

/// Writes x (in_h x in_w x channels) into `padded` with zeros where windows reach past
/// the input (TensorFlow's padding: pad_top rows and pad_left columns before).
void pad_sample(const WindowGeometry& g, const float* x, float* padded);

/// y (out_h x out_w x channels) = depthwise convolution of the padded sample with
/// w (KH*KW x channels) [+ bias (channels) if non-null].
void depthwise_forward_fixed(const WindowGeometry& g, const float* padded, const float* w,
                             const float* bias, float* y);

/// dw (KH*KW x channels) += the sample's weight gradient for output gradient dy;
/// db (channels) += its column sums if non-null.
void depthwise_weight_grad_fixed(const WindowGeometry& g, const float* padded, const float* dy,
                                 float* dw, float* db);

}  // namespace hwnas
