// This file implements OpKernel, the interface every trainable op implements: forward
// and backward over one chunk of a batch, plus optional batch-wide reductions between
// phases (batch norm statistics), and the declarations of its parameters.
//
// The Network owns one kernel per layer and calls it from several threads at once, one
// chunk per call. A kernel therefore only writes the chunk's rows of its output and of
// its input gradients, the chunk's slot of the parameter gradients, and state indexed by
// the chunk; everything else it reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trainers/kernels/tensor.hpp"

namespace hwnas {

enum class Mode { kTraining, kInference };

enum class ParamInit { kZeros, kOnes, kHeNormal, kGlorotUniform };

/// One parameter tensor (or state tensor) of a kernel, flattened.
struct ParamSpec {
  std::string name;  ///< "kernel", "bias", "gamma", "beta", "moving_mean", ...
  int64_t size = 0;
  ParamInit init = ParamInit::kZeros;
  bool trainable = true;  ///< false: state the kernel updates itself (moving statistics)
  bool decay = false;     ///< weight decay applies (weights, not biases or BN parameters)
  int64_t fan_in = 0;     ///< for He/Glorot initialisation
  int64_t fan_out = 0;
};

/// The whole-batch tensors of one layer, bound once by the Network.
struct LayerTensors {
  std::vector<const Tensor*> inputs;  ///< one per input, batch x input elements
  Tensor* output = nullptr;           ///< batch x output elements
  /// dL/d input, one per input; nullptr: no gradient needed. Kernels ADD into them,
  /// except where overwrite_grads says to assign.
  std::vector<Tensor*> input_grads;
  /// Per input: this layer is the first to write that gradient in the backward pass
  /// (a tensor with several consumers sums their gradients), so the kernel must
  /// ASSIGN it. Only set for kernels whose assigns_input_grads() is true; for the
  /// others the Network zeroes the chunk's rows before their backward.
  std::vector<char> overwrite_grads;
  const Tensor* output_grad = nullptr;  ///< dL/d output
};

/// The slice of the batch one task processes.
struct Chunk {
  int index = 0;  ///< 0 for the first rows of the batch
  int row0 = 0;   ///< first sample
  int rows = 0;   ///< samples
  /// This chunk's gradient slot of the layer's trainable parameters, in param_specs()
  /// order; kernels ASSIGN it (the Network sums the slots in chunk order).
  float* param_grads = nullptr;
  Scratch* scratch = nullptr;
};

/// Interface of a layer's forward/backward computation (MiniDNN's Layer, split by chunk).
class OpKernel {
 public:
  virtual ~OpKernel() = default;

  /// Trainable parameters and state, in storage order. Default: none.
  virtual std::vector<ParamSpec> param_specs() const { return {}; }
  /// Points the kernel at its trainable parameters and its state (each contiguous, in
  /// param_specs() order, trainable and state specs in separate arrays).
  virtual void bind(float* params, float* state) {
    (void)params;
    (void)state;
  }
  /// Folds a following activation y = clamp(x, lo, hi) into this kernel if it can: its
  /// output is then the activation's output and its output gradient the activation's
  /// (the Network checks that the activation alone reads this output). Called before
  /// reserve(). Default: cannot.
  virtual bool fuse_clamp(float lo, float hi) {
    (void)lo, (void)hi;
    return false;
  }
  /// Called once before any pass, with the largest batch and chunk count to expect.
  virtual void reserve(int max_batch, int max_chunks) {
    (void)max_batch;
    (void)max_chunks;
  }

  /// Passes over the chunks that forward() needs. Between pass p and p+1 the Network
  /// calls finish_forward_phase(p) once, on one thread, after all chunks are done.
  virtual int forward_phases(Mode mode) const {
    (void)mode;
    return 1;
  }
  virtual void forward(const LayerTensors& t, const Chunk& chunk, Mode mode, int phase) = 0;
  virtual void finish_forward_phase(int phase, int num_chunks, Mode mode) {
    (void)phase, (void)num_chunks, (void)mode;
  }

  /// True if backward() honours LayerTensors::overwrite_grads (saves the Network a pass
  /// that zeroes the gradient first).
  virtual bool assigns_input_grads() const { return false; }

  /// Same protocol for the backward pass (always after a training-mode forward).
  virtual int backward_phases() const { return 1; }
  virtual void backward(const LayerTensors& t, const Chunk& chunk, int phase) = 0;
  virtual void finish_backward_phase(int phase, int num_chunks) { (void)phase, (void)num_chunks; }
};

/// The chunk's rows of a batch tensor as a flat array.
inline ArrayMap chunk_array(Tensor& t, const Chunk& c) {
  return ArrayMap(t.data() + int64_t(c.row0) * t.cols(), int64_t(c.rows) * t.cols());
}
inline ConstArrayMap chunk_array(const Tensor& t, const Chunk& c) {
  return ConstArrayMap(t.data() + int64_t(c.row0) * t.cols(), int64_t(c.rows) * t.cols());
}
/// The chunk's rows of a batch tensor as a (rows*pixels x channels) pixel matrix.
inline TensorMap chunk_pixels(Tensor& t, const Chunk& c, int channels) {
  return TensorMap(t.data() + int64_t(c.row0) * t.cols(), int64_t(c.rows) * t.cols() / channels,
                   channels);
}
inline ConstTensorMap chunk_pixels(const Tensor& t, const Chunk& c, int channels) {
  return ConstTensorMap(t.data() + int64_t(c.row0) * t.cols(),
                        int64_t(c.rows) * t.cols() / channels, channels);
}
/// dst = value if `overwrite` (first writer), else dst += value.
template <typename Dst, typename Src>
void write_grad(Dst&& dst, const Src& value, bool overwrite) {
  if (overwrite)
    dst = value;
  else
    dst += value;
}

/// Pointer to the first element of sample `row` (absolute row index).
inline float* row_ptr(Tensor& t, int row) { return t.data() + int64_t(row) * t.cols(); }
inline const float* row_ptr(const Tensor& t, int row) { return t.data() + int64_t(row) * t.cols(); }

}  // namespace hwnas
