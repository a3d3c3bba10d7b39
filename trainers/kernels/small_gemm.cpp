// This file implements the small GEMMs (see small_gemm.hpp).
//
// Both products walk the columns of the result in panels of V vectors of L floats and
// compute R rows of a panel at a time in R x V vector accumulators, which stay in
// registers for the whole reduction and are stored once:
//   gemm_nn: for each k, V loads of B's row k, R broadcasts of A[r, k], R x V FMAs;
//   gemm_tn: for each row r of A and B, V loads of B's row r, R broadcasts of A[r, k],
//            R x V FMAs (R rows of the result are R columns of A).
// The widest panel fills the register file: 4 x 4 accumulators of 16 floats with
// AVX-512 (32 registers), 4 x 1 with 16 registers, where each 16-float value takes two
// AVX2 registers. Narrower panels (16, then 8, then single floats) cover the rest of
// the columns, and single rows the rest of the rows.
#include "trainers/kernels/small_gemm.hpp"

#include "trainers/kernels/simd_lanes.hpp"

namespace hwnas {

namespace {

#ifdef __AVX512F__
constexpr int kMaxVectors = 4;  // of 16 floats per panel
#else
constexpr int kMaxVectors = 1;
#endif
constexpr int kRows = 4;

// C rows [r0, r0 + R), columns [j, j + V*L) of A * B (see gemm_nn).
template <int R, int L, int V>
inline void nn_block(const float* __restrict a, const float* __restrict b, float* __restrict c,
                     int64_t r0, int k, int n, int j, const float* bias, bool accumulate) {
  Vec<L> acc[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) {
      float* out = c + (r0 + r) * n + j + v * L;
      acc[r][v] = accumulate ? load_lanes<L>(out) : Vec<L>{};
      if (bias) acc[r][v] += load_lanes<L>(bias + j + v * L);
    }
  const float* arow = a + r0 * k;
  for (int kk = 0; kk < k; ++kk) {
    Vec<L> bv[V];
    for (int v = 0; v < V; ++v) bv[v] = load_lanes<L>(b + int64_t(kk) * n + j + v * L);
    for (int r = 0; r < R; ++r) {
      const float s = arow[int64_t(r) * k + kk];
      for (int v = 0; v < V; ++v) acc[r][v] += s * bv[v];
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) store_lanes<L>(c + (r0 + r) * n + j + v * L, acc[r][v]);
}

template <int L, int V>
void nn_panel(const float* a, const float* b, float* c, int64_t m, int k, int n, int j,
              const float* bias, bool accumulate) {
  int64_t r = 0;
  for (; r + kRows <= m; r += kRows) nn_block<kRows, L, V>(a, b, c, r, k, n, j, bias, accumulate);
  for (; r < m; ++r) nn_block<1, L, V>(a, b, c, r, k, n, j, bias, accumulate);
}

// C rows [k0, k0 + R), columns [j, j + V*L) of A^T * B (see gemm_tn).
template <int R, int L, int V>
inline void tn_block(const float* __restrict a, const float* __restrict b, float* __restrict c,
                     int64_t m, int k, int n, int k0, int j, bool accumulate) {
  Vec<L> acc[R][V];
  for (int i = 0; i < R; ++i)
    for (int v = 0; v < V; ++v)
      acc[i][v] = accumulate ? load_lanes<L>(c + int64_t(k0 + i) * n + j + v * L) : Vec<L>{};
  for (int64_t r = 0; r < m; ++r) {
    Vec<L> bv[V];
    for (int v = 0; v < V; ++v) bv[v] = load_lanes<L>(b + r * n + j + v * L);
    for (int i = 0; i < R; ++i) {
      const float s = a[r * k + k0 + i];
      for (int v = 0; v < V; ++v) acc[i][v] += s * bv[v];
    }
  }
  for (int i = 0; i < R; ++i)
    for (int v = 0; v < V; ++v) store_lanes<L>(c + int64_t(k0 + i) * n + j + v * L, acc[i][v]);
}

template <int L, int V>
void tn_panel(const float* a, const float* b, float* c, int64_t m, int k, int n, int j,
              bool accumulate) {
  int k0 = 0;
  for (; k0 + kRows <= k; k0 += kRows) tn_block<kRows, L, V>(a, b, c, m, k, n, k0, j, accumulate);
  for (; k0 < k; ++k0) tn_block<1, L, V>(a, b, c, m, k, n, k0, j, accumulate);
}

// Calls panel.template operator()<L, V>(j) for column panels covering [0, n): the widest
// first, then 3 .. 1 vectors of 16, one of 8, single columns.
template <typename Panel>
void for_column_panels(int n, Panel&& panel) {
  int j = 0;
  for (; j + kMaxVectors * 16 <= n; j += kMaxVectors * 16) panel.template operator()<16, kMaxVectors>(j);
  if constexpr (kMaxVectors > 3)
    if (j + 48 <= n) panel.template operator()<16, 3>(j), j += 48;
  if constexpr (kMaxVectors > 2)
    if (j + 32 <= n) panel.template operator()<16, 2>(j), j += 32;
  if constexpr (kMaxVectors > 1)
    if (j + 16 <= n) panel.template operator()<16, 1>(j), j += 16;
  if (j + 8 <= n) panel.template operator()<8, 1>(j), j += 8;
  for (; j < n; ++j) panel.template operator()<1, 1>(j);
}

}  // namespace

void gemm_nn(const float* a, const float* b, float* c, int64_t m, int k, int n,
             const float* bias, bool accumulate) {
  for_column_panels(n, [&]<int L, int V>(int j) {
    nn_panel<L, V>(a, b, c, m, k, n, j, bias, accumulate);
  });
}

void gemm_tn(const float* a, const float* b, float* c, int64_t m, int k, int n, bool accumulate) {
  for_column_panels(n, [&]<int L, int V>(int j) { tn_panel<L, V>(a, b, c, m, k, n, j, accumulate); });
}

void transpose(const float* w, int k, int n, float* t) {
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < n; ++j) t[int64_t(j) * k + i] = w[int64_t(i) * n + j];
}

}  // namespace hwnas
