// This file implements DeployGraph, the form of a network that an int8 runtime executes:
// batch norm folded into the convolution or dense layer before it, ReLU/ReLU6 fused into
// their producer (what the TF Lite converter does, and what our C exporter does), and the
// int8 tensors between the resulting operators. The memory planner, the flash, RAM and
// latency models all work on this graph, so that they agree on what "one op" is.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "space/architecture.hpp"

namespace hwnas {

/// What a runtime kernel does, at the granularity the cost models price.
enum class DeployKind {
  kConv,           ///< conv2d with a kernel larger than 1x1 (or strided): im2col + GEMM
  kPointwiseConv,  ///< 1x1 conv2d (any stride): a plain GEMM over the sampled pixels, no im2col
  kDepthwiseConv,
  kDense,
  kPool,           ///< avg/max pool with a window
  kGlobalPool,
  kAdd,
  kConcat,
  kReshape,        ///< flatten / reshape: a copy, or nothing where the runtime aliases it
  kSoftmax,
  kActivation,     ///< a ReLU that could not be fused into its producer
  kScale,          ///< a batch norm that could not be folded (per-channel multiply-add)
};
inline constexpr int kDeployKindCount = 12;

/// Stable spelling used in JSON and tables ("conv", "pointwise_conv", ...).
const char* deploy_kind_name(DeployKind kind);

struct DeployTensor {
  int64_t bytes = 0;           ///< int8 elements
  int producer = -1;           ///< op index; -1 for the network input
  std::vector<int> consumers;  ///< op indices, ascending
};

struct DeployOp {
  DeployKind kind = DeployKind::kConv;
  int first_layer = 0;  ///< IR index of the layer the op is built from
  int last_layer = 0;   ///< IR index of the last layer fused into it (its output is the op's)
  std::vector<int> inputs;  ///< tensor ids
  int output = 0;           ///< tensor id
  TensorShape in_shape;     ///< first input
  TensorShape out_shape;
  int kernel_h = 1, kernel_w = 1;
  bool average = false;  ///< kPool: average (CMSIS-NN needs a sum buffer) rather than max
  int64_t macs = 0;
  int64_t weights = 0;           ///< int8 weight values (flash)
  int64_t biases = 0;            ///< int32 biases (flash); one per output channel of MAC ops
  int64_t quant_channels = 0;    ///< channels with their own requantisation parameters
  int64_t input_bytes = 0;       ///< sum over inputs
  int64_t output_bytes = 0;
};

class DeployGraph {
 public:
  /// Lowers `arch` (which is valid by construction, so this cannot fail).
  explicit DeployGraph(const Architecture& arch);

  const std::vector<DeployOp>& ops() const { return m_ops; }
  const std::vector<DeployTensor>& tensors() const { return m_tensors; }
  int input_tensor() const { return 0; }
  int output_tensor() const { return m_ops.back().output; }
  /// The op IR layer `layer` ended up in (its own op, or the op it was fused into).
  int op_of_layer(size_t layer) const { return m_op_of_layer[layer]; }
  /// "conv1+bn+relu": the IR layers an op stands for.
  std::string op_label(const Architecture& arch, size_t op) const;

 private:
  bool try_fuse(const Architecture& arch, size_t layer, std::vector<int>& tensor_of_layer);
  void add_op(const Architecture& arch, size_t layer, std::vector<int>& tensor_of_layer);

  std::vector<DeployOp> m_ops;
  std::vector<DeployTensor> m_tensors;
  std::vector<int> m_op_of_layer;  ///< by IR layer index
};

}  // namespace hwnas
