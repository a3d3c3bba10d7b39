// This file implements FoldedModel, the float form of a trained network as an int8
// runtime executes it: one op per DeployOp of the DeployGraph (space/deploy_graph.hpp),
// batch norm folded into the weights and bias of the MAC op before it, ReLU/ReLU6 fused
// as the op's activation, weights in TF Lite's layouts. Quantisation starts from it, and
// the float reference (float_reference.hpp) runs it.
#pragma once

#include <vector>

#include "space/architecture.hpp"
#include "space/deploy_graph.hpp"
#include "trainers/model/trained_model.hpp"
#include "trainers/kernels/window_geometry.hpp"

namespace hwnas {

/// The activation an op applies to its result (TF Lite's fused activation).
enum class Activation { kNone, kRelu, kRelu6 };

/// One deployed op in float. Weight layouts (TF Lite's):
///  - kConv, kPointwiseConv: [out channel][kernel row][kernel col][in channel] (OHWI)
///  - kDepthwiseConv:        [kernel row][kernel col][in channel * multiplier + m]
///  - kDense:                [unit][input element] (input flattened in NHWC order)
///  - kScale:                [channel] (a batch norm that could not be folded)
/// `bias` has one value per output channel for these kinds (0 where the layer had none).
struct FoldedOp {
  DeployOp deploy;          ///< kind, tensors and shapes
  WindowGeometry geometry;  ///< conv, depthwise and pool ops, over deploy.in_shape
  int depth_multiplier = 1;
  Activation activation = Activation::kNone;
  std::vector<double> weights;
  std::vector<double> bias;
};

struct FoldedModel {
  TensorShape input_shape;
  std::vector<TensorShape> tensor_shapes;  ///< per DeployGraph tensor (0: the input)
  std::vector<FoldedOp> ops;               ///< in DeployGraph order (a valid schedule)
  int output_tensor = 0;
  /// The tensor whose argmax is the prediction: the softmax's input when the network
  /// ends in softmax (monotone, and free of the 1/256 ties of an int8 softmax output).
  int score_tensor = 0;
};

/// Lowers `arch` with its trained weights (layout of Network::blocks()) to a FoldedModel.
/// Batch norm after conv/depthwise/dense (fused by the DeployGraph) folds as
///   w' = w * gamma / sqrt(var + eps),  b' = (b - mean) * gamma / sqrt(var + eps) + beta
/// per output channel; any other batch norm becomes a kScale op with
///   scale = gamma / sqrt(var + eps),   shift = beta - mean * scale.
/// Requires `model` to hold weights for `arch` (as train_model or snapshot_model give).
FoldedModel fold_model(const Architecture& arch, const TrainedModel& model);

/// fold_model without the numbers (weights and bias empty): the ops, tensors, window
/// geometry and fused activations `arch` deploys as. A saved int8 model
/// (quantized_model_io.hpp) stores only numbers and takes its structure from here.
FoldedModel deployed_structure(const Architecture& arch);

/// Output channel of element `index` of op.weights (per-channel quantisation groups).
int weight_channel(const FoldedOp& op, size_t index);

}  // namespace hwnas
