// This file implements im2col and col2im_add (see im2col.hpp).
//
// Both walk the patch matrix tap by tap: for tap column kw, the output columns whose tap
// falls inside the input form one range [first, last), computed once per call; for each
// output row and tap row kh, the input pixels these columns read are evenly spaced
// (stride_w apart) in one input row. The inner loop then moves c floats per output pixel
// with no bounds test, which keeps the c = 1 first layer cheap too (per-pixel runs of
// 3 floats would cost more in loop overhead than in copying).
#include "trainers/kernels/im2col.hpp"

#include <algorithm>
#include <cstdint>

namespace hwnas {

namespace {

int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int ceil_div(int a, int b) { return -floor_div(-a, b); }

// Output columns [first, last) whose tap kw lies inside the input row.
struct ColumnRange {
  int first, last;
};

ColumnRange valid_columns(const WindowGeometry& g, int kw) {
  // iw = ow * stride - pad_left + kw must satisfy 0 <= iw < in_w.
  const int first = std::min(g.out_w, std::max(0, ceil_div(g.pad_left - kw, g.stride_w)));
  const int last = std::min(g.out_w, floor_div(g.in_w - 1 + g.pad_left - kw, g.stride_w) + 1);
  return {first, std::max(first, last)};
}

// cols[ow * patch + j] = 0 for ow in [first, last), j < c.
void zero_taps(float* cols, int64_t patch, int first, int last, int c) {
  for (int ow = first; ow < last; ++ow)
    for (int j = 0; j < c; ++j) cols[ow * patch + j] = 0.0f;
}

// One tap of one output row, columns r: the column of output ow holds (or, with kAdd,
// is added back to) input floats row[offset + ow * step + j], j < c.
template <bool kAdd>
void move_taps(float* __restrict cols, float* __restrict row, int64_t offset, int64_t patch,
               ColumnRange r, int64_t step, int c) {
  if (c == 1) {
    for (int ow = r.first; ow < r.last; ++ow) {
      if constexpr (kAdd)
        row[offset + ow * step] += cols[ow * patch];
      else
        cols[ow * patch] = row[offset + ow * step];
    }
    return;
  }
  for (int ow = r.first; ow < r.last; ++ow) {
    float* __restrict col = cols + ow * patch;
    float* __restrict px = row + (offset + ow * step);
    for (int j = 0; j < c; ++j) {
      if constexpr (kAdd)
        px[j] += col[j];
      else
        col[j] = px[j];
    }
  }
}

}  // namespace

void im2col(const float* x, const WindowGeometry& g, float* columns) {
  const int c = g.channels;
  const int64_t patch = int64_t(g.kernel_h) * g.kernel_w * c;
  for (int kw = 0; kw < g.kernel_w; ++kw) {
    const ColumnRange r = valid_columns(g, kw);
    const int64_t offset = int64_t(kw - g.pad_left) * c;  // of column 0, may be negative
    for (int oh = 0; oh < g.out_h; ++oh)
      for (int kh = 0; kh < g.kernel_h; ++kh) {
        float* cols = columns + int64_t(oh) * g.out_w * patch + int64_t(kh * g.kernel_w + kw) * c;
        const int ih = g.in_row(oh) + kh;
        if (ih < 0 || ih >= g.in_h) {
          zero_taps(cols, patch, 0, g.out_w, c);
          continue;
        }
        zero_taps(cols, patch, 0, r.first, c);
        float* row = const_cast<float*>(x) + int64_t(ih) * g.in_w * c;  // only read
        move_taps<false>(cols, row, offset, patch, r, int64_t(g.stride_w) * c, c);
        zero_taps(cols, patch, r.last, g.out_w, c);
      }
  }
}

void col2im_add(const float* column_grads, const WindowGeometry& g, float* dx) {
  const int c = g.channels;
  const int64_t patch = int64_t(g.kernel_h) * g.kernel_w * c;
  for (int kw = 0; kw < g.kernel_w; ++kw) {
    const ColumnRange r = valid_columns(g, kw);
    const int64_t offset = int64_t(kw - g.pad_left) * c;
    for (int oh = 0; oh < g.out_h; ++oh)
      for (int kh = 0; kh < g.kernel_h; ++kh) {
        const int ih = g.in_row(oh) + kh;
        if (ih < 0 || ih >= g.in_h) continue;
        // Only read: move_taps<true> writes the input side.
        float* cols = const_cast<float*>(column_grads) + int64_t(oh) * g.out_w * patch +
                      int64_t(kh * g.kernel_w + kw) * c;
        move_taps<true>(cols, dx + int64_t(ih) * g.in_w * c, offset, patch, r,
                        int64_t(g.stride_w) * c, c);
      }
  }
}

}  // namespace hwnas
