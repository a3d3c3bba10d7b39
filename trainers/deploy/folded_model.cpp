// This file implements fold_model (see folded_model.hpp): for every DeployOp, read the
// weights of its first layer out of the trained Network's flat vectors, move them to TF
// Lite's layout, and fold the batch norm and the activation that the DeployGraph fused.
#include "trainers/deploy/folded_model.hpp"

#include <cassert>
#include <cmath>

namespace hwnas {

namespace {

// A layer's named blocks as pointers into the trained vectors.
class LayerWeights {
 public:
  LayerWeights(const TrainedModel& model, int layer) : m_model(model), m_layer(layer) {}

  /// The block's values, or nullptr if the layer has no such block.
  const float* find(const std::string& name) const {
    for (const ParamBlock& b : m_model.blocks)
      if (b.layer == m_layer && b.name == name)
        return (b.trainable ? m_model.parameters.data() : m_model.state.data()) + b.offset;
    return nullptr;
  }
  const float* at(const std::string& name) const {
    const float* p = find(name);
    assert(p && "trained model lacks a block the architecture needs");
    return p;
  }

 private:
  const TrainedModel& m_model;
  int m_layer;
};

// Network keeps conv kernels as (patch x filters) with patch = (kh, kw, cin) and dense
// kernels as (inputs x units); TF Lite wants the output channel first.
std::vector<double> transpose_to_output_major(const float* w, int64_t rows, int64_t cols) {
  std::vector<double> out(size_t(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[size_t(c * rows + r)] = double(w[r * cols + c]);
  return out;
}

// Weights and bias of a MAC op's first layer, in TF Lite layout.
void load_mac_weights(const Layer& layer, const LayerWeights& lw, FoldedOp& op) {
  const int64_t cout = op.deploy.out_shape.c;
  const float* kernel = lw.at("kernel");
  if (op.deploy.kind == DeployKind::kDepthwiseConv)
    op.weights.assign(kernel, kernel + op.deploy.weights);
  else
    op.weights = transpose_to_output_major(kernel, op.deploy.weights / cout, cout);
  op.bias.assign(size_t(cout), 0.0);
  if (layer.use_bias) {
    const float* bias = lw.at("bias");
    op.bias.assign(bias, bias + cout);
  }
}

struct BatchNormFactors {
  std::vector<double> scale;  ///< gamma / sqrt(var + eps)
  std::vector<double> shift;  ///< beta - mean * scale
};

BatchNormFactors batch_norm_factors(const Layer& bn, const LayerWeights& lw, int channels) {
  const float *gamma = lw.at("gamma"), *beta = lw.at("beta");
  const float *mean = lw.at("moving_mean"), *var = lw.at("moving_variance");
  BatchNormFactors f;
  for (int c = 0; c < channels; ++c) {
    const double s = double(gamma[c]) / std::sqrt(double(var[c]) + bn.epsilon);
    f.scale.push_back(s);
    f.shift.push_back(double(beta[c]) - double(mean[c]) * s);
  }
  return f;
}

// w' = w * s, b' = b * s + shift (= (b - mean) * s + beta).
void fold_batch_norm(const BatchNormFactors& f, FoldedOp& op) {
  for (size_t i = 0; i < op.weights.size(); ++i)
    op.weights[i] *= f.scale[size_t(weight_channel(op, i))];
  for (size_t c = 0; c < op.bias.size(); ++c) op.bias[c] = op.bias[c] * f.scale[c] + f.shift[c];
}

Activation activation_of(OpKind kind) {
  return kind == OpKind::kReLU    ? Activation::kRelu
         : kind == OpKind::kReLU6 ? Activation::kRelu6
                                  : Activation::kNone;
}

// The layers fused into `op` after its first one, in execution order.
std::vector<int> fused_layers(const Architecture& arch, const DeployOp& op) {
  std::vector<int> chain;
  for (int l = op.last_layer; l != op.first_layer; l = arch.input_indices(size_t(l))[0])
    chain.insert(chain.begin(), l);
  return chain;
}

// The op without numbers: kind, tensors, window geometry and fused activation.
FoldedOp op_structure(const Architecture& arch, const DeployOp& d) {
  FoldedOp op;
  op.deploy = d;
  const Layer& first = arch.layer(size_t(d.first_layer));
  if (d.kind == DeployKind::kConv || d.kind == DeployKind::kPointwiseConv ||
      d.kind == DeployKind::kDepthwiseConv || d.kind == DeployKind::kPool)
    op.geometry = WindowGeometry::from(first, d.in_shape);
  op.depth_multiplier = first.depth_multiplier;
  op.activation = activation_of(first.op);
  for (int l : fused_layers(arch, d)) {
    const OpKind kind = arch.layer(size_t(l)).op;
    if (kind != OpKind::kBatchNorm) op.activation = activation_of(kind);
  }
  return op;
}

FoldedOp fold_op(const Architecture& arch, const TrainedModel& model, const DeployOp& d) {
  FoldedOp op = op_structure(arch, d);
  const Layer& first = arch.layer(size_t(d.first_layer));
  const LayerWeights weights(model, d.first_layer);
  if (d.weights > 0) load_mac_weights(first, weights, op);
  if (d.kind == DeployKind::kScale) {
    BatchNormFactors f = batch_norm_factors(first, weights, d.out_shape.c);
    op.weights = std::move(f.scale);
    op.bias = std::move(f.shift);
  }
  for (int l : fused_layers(arch, d)) {
    const Layer& layer = arch.layer(size_t(l));
    if (layer.op == OpKind::kBatchNorm)
      fold_batch_norm(batch_norm_factors(layer, LayerWeights(model, l), d.out_shape.c), op);
  }
  return op;
}

// fold_model and deployed_structure: `fold` makes each op.
template <typename FoldOp>
FoldedModel lower(const Architecture& arch, FoldOp fold) {
  const DeployGraph graph(arch);
  FoldedModel m;
  m.input_shape = arch.input_shape();
  m.tensor_shapes.push_back(arch.input_shape());
  for (const DeployOp& d : graph.ops()) {
    m.ops.push_back(fold(d));
    assert(d.output == int(m.tensor_shapes.size()));
    m.tensor_shapes.push_back(d.out_shape);
  }
  m.output_tensor = graph.output_tensor();
  const FoldedOp& last = m.ops.back();
  m.score_tensor =
      last.deploy.kind == DeployKind::kSoftmax ? last.deploy.inputs[0] : m.output_tensor;
  return m;
}

}  // namespace

int weight_channel(const FoldedOp& op, size_t index) {
  const auto cout = size_t(op.deploy.out_shape.c);
  if (op.deploy.kind == DeployKind::kConv || op.deploy.kind == DeployKind::kPointwiseConv ||
      op.deploy.kind == DeployKind::kDense)
    return int(index / (op.weights.size() / cout));
  return int(index % cout);
}

FoldedModel fold_model(const Architecture& arch, const TrainedModel& model) {
  return lower(arch, [&](const DeployOp& d) { return fold_op(arch, model, d); });
}

FoldedModel deployed_structure(const Architecture& arch) {
  return lower(arch, [&](const DeployOp& d) { return op_structure(arch, d); });
}

}  // namespace hwnas
