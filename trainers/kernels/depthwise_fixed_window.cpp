// This file implements the fixed-window depthwise loops (see depthwise_fixed_window.hpp).
//
// Per block of L channels (16 with AVX-512, else 8; then 8; then single channels):
//   forward: the KH*KW weight vectors are loaded once, then each output pixel sums its
//            taps into one accumulator and stores it (KH*KW loads per pixel instead of
//            2 KH*KW);
//   weight gradient: KH*KW accumulators (plus one for the bias) collect every output
//            pixel's dY times the pixel's taps and are added to dW once per sample (one
//            load of dY and KH*KW of x per pixel, no stores).
// 5x5 with 16-float blocks needs 25 accumulators: AVX-512 has 32 registers.
#include "trainers/kernels/depthwise_fixed_window.hpp"

#include <algorithm>
#include <cstdint>

#include "trainers/kernels/simd_lanes.hpp"

namespace hwnas {

namespace {

#ifdef __AVX512F__
constexpr int kWideLanes = 16;
#else
constexpr int kWideLanes = 8;
#endif

int padded_h(const WindowGeometry& g) { return (g.out_h - 1) * g.stride_h + g.kernel_h; }
int padded_w(const WindowGeometry& g) { return (g.out_w - 1) * g.stride_w + g.kernel_w; }

template <int K>
struct TapOffsets {
  int64_t off[K * K];  // floats from a window's first element to tap (kh, kw)
  TapOffsets(int row_floats, int channels) {
    for (int kh = 0; kh < K; ++kh)
      for (int kw = 0; kw < K; ++kw) off[kh * K + kw] = int64_t(kh) * row_floats + int64_t(kw) * channels;
  }
};

template <int K>
void forward_k(const WindowGeometry& g, const float* padded, const float* w, const float* bias,
               float* y) {
  const int ch = g.channels;
  const int row_floats = padded_w(g) * ch;
  const TapOffsets<K> taps(row_floats, ch);
  for_lane_blocks<kWideLanes>(ch, [&]<int L>(int c) {
    Vec<L> wv[K * K];
    for (int t = 0; t < K * K; ++t) wv[t] = load_lanes<L>(w + int64_t(t) * ch + c);
    const Vec<L> b = bias ? load_lanes<L>(bias + c) : Vec<L>{};
    for (int oh = 0; oh < g.out_h; ++oh) {
      const float* row = padded + int64_t(oh) * g.stride_h * row_floats + c;
      float* out = y + int64_t(oh) * g.out_w * ch + c;
      for (int ow = 0; ow < g.out_w; ++ow) {
        const float* window = row + int64_t(ow) * g.stride_w * ch;
        Vec<L> acc = b;
        for (int t = 0; t < K * K; ++t) acc += load_lanes<L>(window + taps.off[t]) * wv[t];
        store_lanes<L>(out + int64_t(ow) * ch, acc);
      }
    }
  });
}

template <int K>
void weight_grad_k(const WindowGeometry& g, const float* padded, const float* dy, float* dw,
                   float* db) {
  const int ch = g.channels;
  const int row_floats = padded_w(g) * ch;
  const TapOffsets<K> taps(row_floats, ch);
  for_lane_blocks<kWideLanes>(ch, [&]<int L>(int c) {
    Vec<L> acc[K * K];
    for (int t = 0; t < K * K; ++t) acc[t] = Vec<L>{};
    Vec<L> bias_acc = {};
    for (int oh = 0; oh < g.out_h; ++oh) {
      const float* row = padded + int64_t(oh) * g.stride_h * row_floats + c;
      const float* grad_row = dy + int64_t(oh) * g.out_w * ch + c;
      for (int ow = 0; ow < g.out_w; ++ow) {
        const float* window = row + int64_t(ow) * g.stride_w * ch;
        const Vec<L> grad = load_lanes<L>(grad_row + int64_t(ow) * ch);
        bias_acc += grad;
        for (int t = 0; t < K * K; ++t) acc[t] += grad * load_lanes<L>(window + taps.off[t]);
      }
    }
    for (int t = 0; t < K * K; ++t) {
      float* d = dw + int64_t(t) * ch + c;
      store_lanes<L>(d, load_lanes<L>(d) + acc[t]);
    }
    if (db) store_lanes<L>(db + c, load_lanes<L>(db + c) + bias_acc);
  });
}

}  // namespace

bool fixed_window_supported(const WindowGeometry& g) {
  return g.kernel_h == g.kernel_w && (g.kernel_h == 3 || g.kernel_h == 5);
}

size_t padded_sample_floats(const WindowGeometry& g) {
  return size_t(padded_h(g)) * size_t(padded_w(g)) * size_t(g.channels);
}

void pad_sample(const WindowGeometry& g, const float* x, float* padded) {
  const int ph = padded_h(g), pw = padded_w(g), ch = g.channels;
  // Input columns [0, copy_w) land at padded columns [pad_left, pad_left + copy_w).
  const int copy_w = std::min(g.in_w, pw - g.pad_left);
  for (int r = 0; r < ph; ++r) {
    float* out = padded + int64_t(r) * pw * ch;
    const int ih = r - g.pad_top;
    if (ih < 0 || ih >= g.in_h) {
      std::fill(out, out + int64_t(pw) * ch, 0.0f);
      continue;
    }
    std::fill(out, out + int64_t(g.pad_left) * ch, 0.0f);
    const float* in = x + int64_t(ih) * g.in_w * ch;
    std::copy(in, in + int64_t(copy_w) * ch, out + int64_t(g.pad_left) * ch);
    std::fill(out + int64_t(g.pad_left + copy_w) * ch, out + int64_t(pw) * ch, 0.0f);
  }
}

void depthwise_forward_fixed(const WindowGeometry& g, const float* padded, const float* w,
                             const float* bias, float* y) {
  if (g.kernel_h == 3)
    forward_k<3>(g, padded, w, bias, y);
  else
    forward_k<5>(g, padded, w, bias, y);
}

void depthwise_weight_grad_fixed(const WindowGeometry& g, const float* padded, const float* dy,
                                 float* dw, float* db) {
  if (g.kernel_h == 3)
    weight_grad_k<3>(g, padded, dy, dw, db);
  else
    weight_grad_k<5>(g, padded, dy, dw, db);
}

}  // namespace hwnas
