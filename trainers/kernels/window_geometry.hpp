// This file implements WindowGeometry, the sliding-window arithmetic shared by
// convolutions and pooling, with TensorFlow's padding rule.
#pragma once

#include <algorithm>
#include <cstdint>

#include "space/layer.hpp"

namespace hwnas {

/// Geometry of a windowed op over one NHWC sample.
///
/// TensorFlow's rule: "valid" has out = (in - k) / stride + 1 and no padding; "same" has
/// out = ceil(in / stride) and pads pad_total = max((out - 1) * stride + k - in, 0), of
/// which pad_total / 2 before (top/left) and the rest after.
struct WindowGeometry {
  int in_h = 1, in_w = 1, channels = 1;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int out_h = 1, out_w = 1;
  int pad_top = 0, pad_left = 0;

  static WindowGeometry from(const Layer& layer, const TensorShape& in) {
    WindowGeometry g;
    g.in_h = in.h, g.in_w = in.w, g.channels = in.c;
    g.kernel_h = layer.kernel_h, g.kernel_w = layer.kernel_w;
    g.stride_h = layer.stride_h, g.stride_w = layer.stride_w;
    g.out_h = output_size(in.h, g.kernel_h, g.stride_h, layer.padding);
    g.out_w = output_size(in.w, g.kernel_w, g.stride_w, layer.padding);
    if (layer.padding == Padding::kSame) {
      g.pad_top = std::max((g.out_h - 1) * g.stride_h + g.kernel_h - in.h, 0) / 2;
      g.pad_left = std::max((g.out_w - 1) * g.stride_w + g.kernel_w - in.w, 0) / 2;
    }
    return g;
  }

  static int output_size(int in, int k, int stride, Padding padding) {
    return padding == Padding::kSame ? (in + stride - 1) / stride : (in - k) / stride + 1;
  }

  int out_pixels() const { return out_h * out_w; }
  int in_pixels() const { return in_h * in_w; }
  /// First input row of output row oh (may be negative: padding).
  int in_row(int oh) const { return oh * stride_h - pad_top; }
  int in_col(int ow) const { return ow * stride_w - pad_left; }
  /// Kernel taps [begin, end) of a window starting at input row/col `start` that fall
  /// inside the input.
  int tap_begin(int start) const { return std::max(0, -start); }
  int tap_end_h(int start) const { return std::min(kernel_h, in_h - start); }
  int tap_end_w(int start) const { return std::min(kernel_w, in_w - start); }
  bool unpadded_pointwise() const {
    return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 &&
           pad_left == 0;
  }
};

// Calls f(out_pixel, first input pixel index of the window, kh0, kh1, kw0, kw1) for each
// output pixel of one sample; taps [kh0, kh1) x [kw0, kw1) are inside the input.
template <typename F>
void for_each_window(const WindowGeometry& g, F&& f) {
  for (int oh = 0; oh < g.out_h; ++oh) {
    const int ih0 = g.in_row(oh);
    const int kh0 = g.tap_begin(ih0), kh1 = g.tap_end_h(ih0);
    for (int ow = 0; ow < g.out_w; ++ow) {
      const int iw0 = g.in_col(ow);
      const int kw0 = g.tap_begin(iw0), kw1 = g.tap_end_w(iw0);
      f(int64_t(oh) * g.out_w + ow, int64_t(ih0) * g.in_w + iw0, kh0, kh1, kw0, kw1);
    }
  }
}

}  // namespace hwnas
