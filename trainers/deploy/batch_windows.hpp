// This file implements the two window loops the batch runners' policies share (see
// batch_runner.hpp): im2col rows of a whole batch, the left-hand side of a convolution's
// matrix product, and the taps of a depthwise convolution over one sample, channels
// innermost. Each takes the policy's view of an input value (float32 as it is, int8 less
// its zero point), so that the loops are written once and their arithmetic stays the
// policy's.
//
// NOTE: the lambdas they are given must be made in the policies' anonymous namespaces,
// not in BatchOps' members: there they have external linkage, GCC then kept for_each_window out
// of line, the captured zero point could alias the int32 accumulators, and the int8
// depthwise loop ran about 1.5x slower.
#pragma once

#include <algorithm>
#include <cstdint>

#include "trainers/kernels/window_geometry.hpp"

namespace hwnas {

/// im2col rows [r0, r1) of a batch of NHWC samples `x` (row r: sample r / P, output pixel
/// r % P) as convert(x), 0 for padding taps; `cols` is (r1 - r0) x K row-major, taps in
/// (kh, kw, c) order.
template <typename T, typename In, typename Convert>
void im2col_batch_rows(const WindowGeometry& g, const In* x, int64_t r0, int64_t r1, Convert convert,
                       T* cols) {
  const int64_t pixels = g.out_pixels(), in_size = int64_t(g.in_pixels()) * g.channels;
  const int c = g.channels;
  for (int64_t r = r0; r < r1; ++r) {
    const In* sample = x + (r / pixels) * in_size;
    const int p = int(r % pixels), ih0 = g.in_row(p / g.out_w), iw0 = g.in_col(p % g.out_w);
    for (int kh = 0; kh < g.kernel_h; ++kh) {
      const int ih = ih0 + kh;
      for (int kw = 0; kw < g.kernel_w; ++kw, cols += c) {
        const int iw = iw0 + kw;
        if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) {
          std::fill(cols, cols + c, T(0));
          continue;
        }
        const In* in = sample + (int64_t(ih) * g.in_w + iw) * c;
        for (int j = 0; j < c; ++j) cols[j] = convert(in[j]);
      }
    }
  }
}

/// A depthwise convolution of one NHWC sample `x` with `cm` output channels (depth
/// multiplier m) and weights [kh * kw][cm]: for each output pixel, start(pixel) returns its
/// cm accumulators holding their first value, every tap inside the input adds
/// weight * convert(input), and finish(pixel, accumulators) takes the result. Taps over
/// padding are skipped (they add 0).
template <typename Acc, typename In, typename Convert, typename Start, typename Finish>
void depthwise_windows(const WindowGeometry& g, int cm, int m, const Acc* weights, const In* x,
                       Convert convert, Start start, Finish finish) {
  const int c = g.channels;
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    Acc* a = start(pixel);
    for (int kh = kh0; kh < kh1; ++kh)
      for (int kw = kw0; kw < kw1; ++kw) {
        const Acc* w = weights + (kh * g.kernel_w + kw) * cm;
        const In* xin = x + (in0 + int64_t(kh) * g.in_w + kw) * c;
        if (m == 1)
          for (int j = 0; j < cm; ++j) a[j] += w[j] * convert(xin[j]);
        else
          for (int j = 0; j < cm; ++j) a[j] += w[j] * convert(xin[j / m]);
      }
    finish(pixel, a);
  });
}

}  // namespace hwnas
