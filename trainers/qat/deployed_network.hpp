// This file implements the deployed network as a trainable Architecture: one layer per
// DeployOp of the DeployGraph (space/deploy_graph.hpp), batch norm folded away, each MAC
// op with a bias, fused activations as separate ReLU/ReLU6 layers after it, and the
// conversion of FoldedModel weights to and from a Network's parameter vector. Fine-tuning
// this network (quantisation-aware training, trainers/qat/qat.hpp) trains exactly what the
// int8 runtime executes.
#pragma once

#include <vector>

#include <Eigen/Core>

#include "space/architecture.hpp"
#include "trainers/deploy/folded_model.hpp"
#include "trainers/training/network.hpp"

namespace hwnas {

struct DeployedArchitecture {
  /// The deployed ops as IR layers, in DeployGraph order:
  ///  - conv / pointwise / depthwise / dense: the original layer with use_bias = true;
  ///  - scale (an unfoldable batch norm): a 1x1 depthwise conv with bias, multiplier 1;
  ///  - every other op: its original layer;
  ///  followed by the op's fused ReLU/ReLU6 (named like the original activation layer).
  Architecture arch;
  /// Per deploy tensor (0: the network input): the layer of `arch` that outputs it
  /// (Architecture::kNetworkInput for tensor 0).
  std::vector<int> tensor_layer;
  /// Per deploy op: the layer of `arch` that holds its weights (its first layer).
  std::vector<int> op_layer;
};

/// The deployed form of `original`, whose layer attributes (padding, pool type, reshape
/// target) it reuses.
DeployedArchitecture deployed_architecture(const Architecture& original);

/// Writes the weights and biases of `folded` (fold_model of the same original
/// architecture) into `params`, laid out as `blocks` (Network::blocks() of a Network
/// built from deployed.arch): conv and dense kernels back from TF Lite's output-major
/// layouts to the Network's (patch x filters) and (inputs x units).
void load_folded_weights(const FoldedModel& folded, const DeployedArchitecture& deployed,
                         const std::vector<ParamBlock>& blocks, Eigen::VectorXf& params);

/// `folded` with the weights and biases of its ops replaced by those in `params`
/// (the inverse of load_folded_weights).
FoldedModel read_folded_weights(const FoldedModel& folded, const DeployedArchitecture& deployed,
                                const std::vector<ParamBlock>& blocks,
                                const Eigen::VectorXf& params);

}  // namespace hwnas
