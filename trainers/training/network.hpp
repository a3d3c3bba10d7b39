// This file implements Network, the executable form of an Architecture for training:
// one kernel per layer, whole-batch activation and gradient tensors, flat parameter and
// gradient vectors for the optimisers, and data-parallel execution over fixed-size
// chunks of each batch.
#pragma once

#include <tbb/enumerable_thread_specific.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "space/architecture.hpp"
#include "trainers/kernels/op_kernel.hpp"
#include "trainers/kernels/tensor.hpp"
#include "trainers/model/trained_model.hpp"

namespace hwnas {

struct NetworkOptions {
  /// Samples per parallel task. Fixed by the caller, never by the thread count, so the
  /// arithmetic (and thus every result) is the same with any number of threads.
  int chunk_rows = 16;
  /// Also compute dL/d(network input) (for gradient checks); off for training.
  bool input_gradient = false;
  /// Fold each ReLU / ReLU6 into the kernel before it where that kernel can take it
  /// (batch norm) and nothing else reads that kernel's output. Same results up to float
  /// rounding order; fewer passes over memory. Off: every layer runs its own kernel.
  bool fuse_activations = true;
};

/// Optional hooks into a Network's passes; quantisation-aware training (trainers/qat/qat.hpp)
/// uses them to fake-quantise weights and activations. Without hooks (the default) a
/// Network runs exactly as if they did not exist, at the cost of one pointer test per step.
/// NOTE: after_forward and before_backward are called concurrently for different chunks
/// of a batch; they may only write the chunk's rows (and data of their own indexed by
/// the chunk). begin_forward runs on the calling thread. A layer whose activation was
/// fused into it (NetworkOptions::fuse_activations) has no output of its own: the hooks
/// see the activation's output, under the activation's layer index.
class NetworkHooks {
 public:
  virtual ~NetworkHooks() = default;
  /// At the start of every forward(), before any layer runs: fills `effective`, the
  /// parameters the kernels compute with (same size as `params`), from the trainable
  /// `params`, and may rewrite the first `batch` rows of `input`. Gradients are taken at
  /// `effective` and applied by the optimiser to `params` (a straight-through estimator).
  virtual void begin_forward(int batch, Mode mode, const Eigen::VectorXf& params,
                             Eigen::VectorXf& effective, Tensor& input) = 0;
  /// After layer `layer` computed the chunk's rows of its output (both modes); may
  /// rewrite them before any later layer reads them.
  virtual void after_forward(int layer, const Chunk& chunk, Mode mode, Tensor& output) = 0;
  /// Before layer `layer` back-propagates the chunk, whose rows of dL/d output are then
  /// complete; may rewrite them.
  virtual void before_backward(int layer, const Chunk& chunk, Tensor& output_grad) = 0;
};

/// Executes an Architecture's layers in their listed order (a valid schedule of the DAG).
///
/// Forward and backward run as a sequence of segments. Within a segment, every chunk of
/// the batch (chunk_rows samples, the last may be shorter) is one TBB task that runs all
/// of the segment's layer steps on its rows; a segment ends where a kernel needs a
/// batch-wide reduction (batch norm), which then runs on the calling thread. Parameter
/// gradients are assigned per chunk into separate slots and summed in chunk order; a
/// tensor consumed by several layers gets the sum of their gradients (the first writer
/// in backward order clears the chunk's rows, the others add).
/// NOTE: results are bit-identical for any number of threads. Runs in the caller's TBB
/// arena. One Network must not be used by two threads at once.
///
/// If the last layer is softmax, the loss is meant to be fused with it: logits() is the
/// softmax's input and backward() starts there (the softmax kernel's backward is skipped).
class Network {
 public:
  /// Builds the kernels (from KernelRegistry::builtin()), allocates tensors for batches of
  /// up to max_batch samples and initialises the parameters from `seed`.
  Network(const Architecture& arch, int max_batch, uint64_t seed,
          const NetworkOptions& options = {});
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  const Architecture& architecture() const { return m_arch; }
  int max_batch() const { return m_max_batch; }
  int chunk_rows() const { return m_options.chunk_rows; }

  /// The input batch to fill before forward(): max_batch x input elements.
  Tensor& input() { return m_input; }
  /// Runs every layer on the first `batch` rows of input().
  void forward(int batch, Mode mode);
  /// The last layer's output (rows beyond the batch are stale).
  const Tensor& output() const { return m_outputs.back(); }
  /// True when the last layer is softmax and the loss is fused with it.
  bool fuses_softmax() const { return m_fused_softmax; }
  /// What the loss reads: the softmax's input if fused, else output().
  const Tensor& logits() const;
  /// dL/d logits() for the first `batch` rows; the caller fills it before backward().
  Tensor& logits_grad();
  /// Back-propagates logits_grad() through the last training-mode forward; leaves the
  /// batch's summed parameter gradients in gradients().
  void backward();
  /// dL/d input() (only with NetworkOptions::input_gradient).
  const Tensor& input_grad() const { return m_input_grad; }

  /// Trainable parameters, all layers, in layer order (see blocks()).
  Eigen::VectorXf& parameters() { return m_params; }
  const Eigen::VectorXf& parameters() const { return m_params; }
  /// dL/d parameters() of the last backward().
  const Eigen::VectorXf& gradients() const { return m_grads; }
  /// Non-trainable state (batch-norm moving statistics).
  Eigen::VectorXf& state() { return m_state; }
  const Eigen::VectorXf& state() const { return m_state; }
  const std::vector<ParamBlock>& blocks() const { return m_blocks; }
  const OpKernel& kernel(size_t layer) const { return *m_kernels[layer]; }
  /// Activation layers folded into the kernel before them (NetworkOptions::fuse_activations).
  int fused_activations() const;

  /// Installs `hooks` (not owned, must outlive their use; nullptr removes them). While
  /// hooks are installed the kernels read a separate copy of the parameters that
  /// NetworkHooks::begin_forward rewrites at every forward().
  void set_hooks(NetworkHooks* hooks);

 private:
  struct Step {
    int layer = -1;
    int phase = 0;
  };
  /// Steps run per chunk in one parallel pass, then the optional reduction `finish`.
  struct Segment {
    std::vector<Step> steps;
    Step finish;  ///< layer -1: none
  };

  void build_kernels(uint64_t seed);
  void fuse_activations();
  void bind_parameters(float* params);
  void allocate_tensors();
  void bind_tensors();
  void mark_first_writers();
  std::vector<Segment> build_plan(bool backward, Mode mode) const;
  void run_plan(const std::vector<Segment>& plan, bool backward, Mode mode);
  void run_step(const Step& step, const Chunk& chunk, bool backward, Mode mode);
  void sum_chunk_gradients(int num_chunks);
  int num_chunks(int batch) const;
  Chunk make_chunk(int index, Scratch* scratch) const;

  Architecture m_arch;
  NetworkOptions m_options;
  int m_max_batch;
  int m_batch = 0;  ///< rows of the last forward()
  bool m_fused_softmax = false;
  int m_logits_layer = Architecture::kNetworkInput;
  std::vector<std::unique_ptr<OpKernel>> m_kernels;
  std::vector<ParamBlock> m_blocks;
  std::vector<int64_t> m_param_offset;  ///< per layer, into m_params
  std::vector<int64_t> m_state_offset;  ///< per layer, into m_state; -1: no state
  std::vector<char> m_needs_grad;       ///< per layer: dL/d output is needed
  /// Per layer: the layer whose output (and output gradient) its kernel writes: itself,
  /// or the activation fused into it.
  std::vector<int> m_writes_output_of;
  std::vector<char> m_fused_away;  ///< per layer: an activation run by its input's kernel
  /// Per layer and input: zero the gradient's chunk rows before the backward step.
  std::vector<std::vector<char>> m_clears_grad;

  Tensor m_input;                      ///< (max_batch x input elements)
  Tensor m_input_grad;                 ///< (max_batch x input elements) or empty
  std::vector<Tensor> m_outputs;       ///< per layer (max_batch x output elements)
  std::vector<Tensor> m_output_grads;  ///< per layer (max_batch x output elements) or empty
  std::vector<LayerTensors> m_tensors;

  Eigen::VectorXf m_params;  ///< (P) trainable parameters
  Eigen::VectorXf m_grads;   ///< (P) their gradients
  Eigen::VectorXf m_state;   ///< (S) moving statistics
  NetworkHooks* m_hooks = nullptr;
  Eigen::VectorXf m_effective_params;  ///< (P) what the kernels read while hooks are set
  Tensor m_chunk_grads;      ///< (max chunks x P) per-chunk gradient slots
  tbb::enumerable_thread_specific<Scratch> m_scratch;

  std::vector<Segment> m_forward_training, m_forward_inference, m_backward;
};

}  // namespace hwnas
