// This file implements the deployed network as a trainable Architecture (see
// deployed_network.hpp).
#include "trainers/qat/deployed_network.hpp"

#include <cassert>
#include <string>

#include "space/deploy_graph.hpp"

namespace hwnas {

namespace {

bool has_weights(DeployKind kind) {
  return kind == DeployKind::kConv || kind == DeployKind::kPointwiseConv ||
         kind == DeployKind::kDepthwiseConv || kind == DeployKind::kDense ||
         kind == DeployKind::kScale;
}

// Conv and dense weights are output-major in a FoldedModel, input-major in a Network.
bool output_major(DeployKind kind) {
  return kind == DeployKind::kConv || kind == DeployKind::kPointwiseConv ||
         kind == DeployKind::kDense;
}

bool is_activation(OpKind op) { return op == OpKind::kReLU || op == OpKind::kReLU6; }

// The IR layer that computes deploy op `d` before its fused activation.
Layer op_layer_definition(const Architecture& original, const DeployOp& d) {
  const Layer& first = original.layer(size_t(d.first_layer));
  if (d.kind == DeployKind::kScale) {
    Layer scale;
    scale.name = first.name;
    scale.op = OpKind::kDepthwiseConv2D;
    scale.padding = Padding::kValid;
    return scale;  // 1x1, stride 1, multiplier 1, with bias: the defaults
  }
  Layer l = first;
  if (has_weights(d.kind)) l.use_bias = true;
  return l;
}

// The trainable block `name` of layer `layer`.
const ParamBlock& find_block(const std::vector<ParamBlock>& blocks, int layer,
                             const std::string& name) {
  for (const ParamBlock& b : blocks)
    if (b.layer == layer && b.name == name) return b;
  assert(false && "deployed network lacks a kernel or bias block");
  return blocks.front();
}

}  // namespace

DeployedArchitecture deployed_architecture(const Architecture& original) {
  const DeployGraph graph(original);
  std::vector<Layer> layers;
  std::vector<std::string> tensor_name = {kInputName};
  DeployedArchitecture d{original, {Architecture::kNetworkInput}, {}};
  for (const DeployOp& op : graph.ops()) {
    Layer l = op_layer_definition(original, op);
    l.inputs.clear();
    for (int t : op.inputs) l.inputs.push_back(tensor_name[size_t(t)]);
    d.op_layer.push_back(int(layers.size()));
    layers.push_back(l);
    const Layer& last = original.layer(size_t(op.last_layer));
    if (op.last_layer != op.first_layer && is_activation(last.op)) {
      Layer act;
      act.name = last.name;
      act.op = last.op;
      act.inputs = {l.name};
      layers.push_back(act);
    }
    assert(op.output == int(tensor_name.size()));
    tensor_name.push_back(layers.back().name);
    d.tensor_layer.push_back(int(layers.size()) - 1);
  }
  d.arch = Architecture(original.name() + "_deployed", original.input_shape(), std::move(layers));
  return d;
}

void load_folded_weights(const FoldedModel& folded, const DeployedArchitecture& deployed,
                         const std::vector<ParamBlock>& blocks, Eigen::VectorXf& params) {
  for (size_t o = 0; o < folded.ops.size(); ++o) {
    const FoldedOp& op = folded.ops[o];
    if (!has_weights(op.deploy.kind)) continue;
    const int layer = deployed.op_layer[o];
    const ParamBlock& kernel = find_block(blocks, layer, "kernel");
    const ParamBlock& bias = find_block(blocks, layer, "bias");
    assert(size_t(kernel.size) == op.weights.size() && size_t(bias.size) == op.bias.size());
    const auto cout = int64_t(op.bias.size());
    const int64_t rows = kernel.size / cout;  // Network layout: (rows x cout)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cout; ++c) {
        const size_t from = output_major(op.deploy.kind) ? size_t(c * rows + r) : size_t(r * cout + c);
        params[kernel.offset + r * cout + c] = float(op.weights[from]);
      }
    for (int64_t c = 0; c < cout; ++c) params[bias.offset + c] = float(op.bias[size_t(c)]);
  }
}

FoldedModel read_folded_weights(const FoldedModel& folded, const DeployedArchitecture& deployed,
                                const std::vector<ParamBlock>& blocks,
                                const Eigen::VectorXf& params) {
  FoldedModel out = folded;
  for (size_t o = 0; o < out.ops.size(); ++o) {
    FoldedOp& op = out.ops[o];
    if (!has_weights(op.deploy.kind)) continue;
    const int layer = deployed.op_layer[o];
    const ParamBlock& kernel = find_block(blocks, layer, "kernel");
    const ParamBlock& bias = find_block(blocks, layer, "bias");
    const auto cout = int64_t(op.bias.size());
    const int64_t rows = kernel.size / cout;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cout; ++c) {
        const size_t to = output_major(op.deploy.kind) ? size_t(c * rows + r) : size_t(r * cout + c);
        op.weights[to] = double(params[kernel.offset + r * cout + c]);
      }
    for (int64_t c = 0; c < cout; ++c) op.bias[size_t(c)] = double(params[bias.offset + c]);
  }
  return out;
}

}  // namespace hwnas
