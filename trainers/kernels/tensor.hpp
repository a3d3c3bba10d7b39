// This file implements the batch tensor types of the training engine: a batch of NHWC
// activations is a row-major float matrix with one row per sample (batch x H*W*C), so
// the rows of a chunk of samples are contiguous and can be viewed as a
// (samples*H*W x C) pixel matrix without copying.
#pragma once

#include <cstddef>
#include <vector>

// NOTE: GCC 12 false -W(maybe-)uninitialized warnings from Eigen on AVX-512 are
// disabled in CMakeLists.txt (GCC bug 105593).
#include <Eigen/Core>

namespace hwnas {

/// Row-major float matrix; one row per sample (the same type as RowMatrix in dataset.hpp).
using Tensor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using TensorMap = Eigen::Map<Tensor>;
using ConstTensorMap = Eigen::Map<const Tensor>;
using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

/// A growable float buffer that keeps its capacity, so per-chunk temporaries (im2col
/// columns, per-channel factors) are allocated once per thread, not once per call.
class ScratchBuffer {
 public:
  /// At least n floats; contents are unspecified. Invalidated by the next call.
  float* floats(size_t n) {
    if (m_data.size() < n) m_data.resize(n);
    return m_data.data();
  }

 private:
  std::vector<float, Eigen::aligned_allocator<float>> m_data;
};

/// Per-thread temporaries of the kernels. NOTE: one Scratch is used by one chunk task at
/// a time (the Network takes it from a tbb::enumerable_thread_specific).
struct Scratch {
  ScratchBuffer columns;       ///< im2col matrix of a chunk
  ScratchBuffer column_grads;  ///< its gradient
  ScratchBuffer small;         ///< per-channel factors
};

/// out[j] = sum over rows of m(r, j): the bias gradient of a (pixels x channels) matrix.
template <typename Derived>
void column_sums(const Eigen::MatrixBase<Derived>& m, float* out) {
  Eigen::Map<Eigen::RowVectorXf> sums(out, m.cols());
  sums.setZero();
  for (Eigen::Index r = 0; r < m.rows(); ++r) sums += m.row(r);
}

}  // namespace hwnas
