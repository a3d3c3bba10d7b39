// This file implements the matrix products of skinny row-major matrices that the
// convolutions of microcontroller-sized networks are made of: many rows (pixels of a
// chunk), few columns (8 to a few hundred channels).
//
// Eigen's general GEMM packs both operands into blocks and zero-fills the destination of
// an assignment before it accumulates into it. For a product with k and n of 32 to 64
// that overhead is as large as the arithmetic (a third of the GEMM time of a DS-CNN step
// went to packing and zero filling). These kernels read the operands in place: the
// small one (weights) stays in L1, the tall one streams once per column panel.
#pragma once

#include <cstdint>

namespace hwnas {

/// C (m x n) = A (m x k) * B (k x n) [+ bias row] or C += A * B (accumulate). All
/// row-major and dense (leading dimension = columns). bias (n floats) is added to every
/// row; nullptr: none. NOTE: each entry is summed over k in order, so results do not
/// depend on m or on how the caller splits the rows.
void gemm_nn(const float* a, const float* b, float* c, int64_t m, int k, int n,
             const float* bias, bool accumulate);

/// C (k x n) = A^T * B (or C += A^T * B with accumulate) for A (m x k) and B (m x n),
/// row-major: the sum over the m rows of the outer products a_r^T b_r, in row order.
void gemm_tn(const float* a, const float* b, float* c, int64_t m, int k, int n, bool accumulate);

/// T (n x k) = W^T for W (k x n), row-major.
void transpose(const float* w, int k, int n, float* t);

}  // namespace hwnas
