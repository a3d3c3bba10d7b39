// This file implements Lanes, fixed-width float vectors for hand-blocked kernels (the
// depthwise convolution, the small GEMMs): W floats as one value, a GCC/Clang vector
// for W > 1, a plain float for W = 1, so a kernel template covers its vector blocks and
// its scalar tail with the same code. Register blocking then does not depend on the
// auto-vectoriser picking the right loop (it vectorised the depthwise tap loops with
// gathers instead). The compiler lowers a vector wider than the target's registers to
// several registers, so every width builds on every x86-64 (or other) target.
// NOTE: only used for locals, never passed by value across translation units, so there
// is no ABI to mismatch. Explicit specialisations: GCC drops vector_size on a size that
// depends on W.
#pragma once

#include <cstring>

namespace hwnas {

template <int W>
struct Lanes;
template <>
struct Lanes<16> {
  typedef float type __attribute__((vector_size(64)));
};
template <>
struct Lanes<8> {
  typedef float type __attribute__((vector_size(32)));
};
template <>
struct Lanes<1> {
  using type = float;
};
static_assert(sizeof(Lanes<16>::type) == 16 * sizeof(float));

template <int W>
using Vec = typename Lanes<W>::type;

/// Calls f.template operator()<W>(i) for blocks [i, i + W) covering [0, n): blocks of
/// Widest (16 or 8) floats, then of 8, then single floats.
template <int Widest, typename F>
void for_lane_blocks(int n, F&& f) {
  static_assert(Widest == 16 || Widest == 8);
  int i = 0;
  if constexpr (Widest == 16)
    for (; i + 16 <= n; i += 16) f.template operator()<16>(i);
  for (; i + 8 <= n; i += 8) f.template operator()<8>(i);
  for (; i < n; ++i) f.template operator()<1>(i);
}

/// W floats from p (any alignment).
template <int W>
inline typename Lanes<W>::type load_lanes(const float* p) {
  typename Lanes<W>::type v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

/// Stores W floats at p (any alignment).
template <int W>
inline void store_lanes(float* p, const typename Lanes<W>::type& v) {
  std::memcpy(p, &v, sizeof(v));
}

}  // namespace hwnas
