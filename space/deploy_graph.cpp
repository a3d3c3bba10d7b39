// This file implements lowering an Architecture to its DeployGraph (see deploy_graph.hpp).
#include "space/deploy_graph.hpp"

#include <cassert>

namespace hwnas {

const char* deploy_kind_name(DeployKind kind) {
  switch (kind) {
    case DeployKind::kConv: return "conv";
    case DeployKind::kPointwiseConv: return "pointwise_conv";
    case DeployKind::kDepthwiseConv: return "depthwise_conv";
    case DeployKind::kDense: return "dense";
    case DeployKind::kPool: return "pool";
    case DeployKind::kGlobalPool: return "global_pool";
    case DeployKind::kAdd: return "add";
    case DeployKind::kConcat: return "concat";
    case DeployKind::kReshape: return "reshape";
    case DeployKind::kSoftmax: return "softmax";
    case DeployKind::kActivation: return "activation";
    case DeployKind::kScale: return "scale";
  }
  return "?";
}

namespace {

bool is_mac_kind(DeployKind k) {
  return k == DeployKind::kConv || k == DeployKind::kPointwiseConv || k == DeployKind::kDepthwiseConv ||
         k == DeployKind::kDense;
}

DeployKind kind_of(const Layer& l) {
  switch (l.op) {
    case OpKind::kConv2D:
      // CMSIS-NN runs every 1x1 convolution without an im2col buffer (arm_convolve_1x1_s8).
      return l.kernel_h == 1 && l.kernel_w == 1 ? DeployKind::kPointwiseConv : DeployKind::kConv;
    case OpKind::kDepthwiseConv2D: return DeployKind::kDepthwiseConv;
    case OpKind::kDense: return DeployKind::kDense;
    case OpKind::kAvgPool2D:
    case OpKind::kMaxPool2D: return DeployKind::kPool;
    case OpKind::kGlobalAvgPool: return DeployKind::kGlobalPool;
    case OpKind::kAdd: return DeployKind::kAdd;
    case OpKind::kConcat: return DeployKind::kConcat;
    case OpKind::kFlatten:
    case OpKind::kReshape: return DeployKind::kReshape;
    case OpKind::kSoftmax: return DeployKind::kSoftmax;
    case OpKind::kReLU:
    case OpKind::kReLU6: return DeployKind::kActivation;
    case OpKind::kBatchNorm: return DeployKind::kScale;
  }
  return DeployKind::kActivation;
}

// Weights and biases as the runtime stores them: batch norm folded, so every MAC op has
// one int32 bias per output channel whether or not the IR layer had one.
void set_parameters(DeployOp& op, const Layer& l) {
  const int64_t cin = op.in_shape.c, cout = op.out_shape.c;
  switch (op.kind) {
    case DeployKind::kConv:
    case DeployKind::kPointwiseConv: op.weights = int64_t(l.kernel_h) * l.kernel_w * cin * cout; break;
    case DeployKind::kDepthwiseConv: op.weights = int64_t(l.kernel_h) * l.kernel_w * cout; break;
    case DeployKind::kDense: op.weights = op.in_shape.elements() * cout; break;
    case DeployKind::kScale: op.quant_channels = cout; return;  // per-channel multiplier and offset
    default: return;
  }
  op.biases = cout;
  op.quant_channels = cout;
}

}  // namespace

DeployGraph::DeployGraph(const Architecture& arch) {
  m_tensors.push_back({arch.input_shape().elements(), -1, {}});
  std::vector<int> tensor_of_layer(arch.size(), -1);
  m_op_of_layer.assign(arch.size(), -1);
  for (size_t i = 0; i < arch.size(); ++i)
    if (!try_fuse(arch, i, tensor_of_layer)) add_op(arch, i, tensor_of_layer);
  for (size_t o = 0; o < m_ops.size(); ++o)
    for (int t : m_ops[o].inputs) m_tensors[size_t(t)].consumers.push_back(int(o));
}

// Folds a batch norm into the MAC op right before it, or fuses a ReLU into its producer,
// when the producer's pre-activation output is read by nothing else.
bool DeployGraph::try_fuse(const Architecture& arch, size_t i, std::vector<int>& tensor_of_layer) {
  const Layer& l = arch.layer(i);
  const bool is_bn = l.op == OpKind::kBatchNorm;
  const bool is_act = l.op == OpKind::kReLU || l.op == OpKind::kReLU6;
  if (!is_bn && !is_act) return false;
  const int p = arch.input_indices(i)[0];
  if (p == Architecture::kNetworkInput || arch.consumers(size_t(p)).size() != 1) return false;
  DeployOp& op = m_ops[size_t(m_tensors[size_t(tensor_of_layer[size_t(p)])].producer)];
  if (op.last_layer != p) return false;
  const OpKind last = arch.layer(size_t(op.last_layer)).op;
  const bool activated = last == OpKind::kReLU || last == OpKind::kReLU6;
  if (activated) return false;
  if (is_bn && (!is_mac_kind(op.kind) || op.last_layer != op.first_layer)) return false;
  // TF Lite has no fused activation on RESHAPE, SOFTMAX or MEAN (global average pooling).
  if (is_act && (op.kind == DeployKind::kReshape || op.kind == DeployKind::kSoftmax ||
                 op.kind == DeployKind::kGlobalPool))
    return false;
  op.last_layer = int(i);
  tensor_of_layer[i] = op.output;
  m_op_of_layer[i] = m_tensors[size_t(op.output)].producer;
  return true;
}

void DeployGraph::add_op(const Architecture& arch, size_t i, std::vector<int>& tensor_of_layer) {
  const Layer& l = arch.layer(i);
  DeployOp op;
  op.kind = kind_of(l);
  op.first_layer = op.last_layer = int(i);
  for (int p : arch.input_indices(i)) {
    const int t = p == Architecture::kNetworkInput ? 0 : tensor_of_layer[size_t(p)];
    op.inputs.push_back(t);
    op.input_bytes += m_tensors[size_t(t)].bytes;
  }
  const auto input_shapes = arch.input_shapes(i);
  op.in_shape = input_shapes[0];
  op.out_shape = l.output_shape;
  if (op.kind != DeployKind::kDense) {
    op.kernel_h = l.kernel_h;
    op.kernel_w = l.kernel_w;
  }
  op.average = l.op == OpKind::kAvgPool2D;
  op.macs = arch.stats(i).macs;
  op.output_bytes = l.output_shape.elements();
  set_parameters(op, l);
  op.output = int(m_tensors.size());
  m_tensors.push_back({op.output_bytes, int(m_ops.size()), {}});
  tensor_of_layer[i] = op.output;
  m_op_of_layer[i] = int(m_ops.size());
  m_ops.push_back(std::move(op));
}

std::string DeployGraph::op_label(const Architecture& arch, size_t o) const {
  const DeployOp& op = m_ops[o];
  std::string label = arch.layer(size_t(op.first_layer)).name;
  // Fused layers are the producer chain that ends at last_layer.
  std::vector<int> chain;
  for (int l = op.last_layer; l != op.first_layer; l = arch.input_indices(size_t(l))[0]) chain.push_back(l);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) label += "+" + arch.layer(size_t(*it)).name;
  return label;
}

}  // namespace hwnas
