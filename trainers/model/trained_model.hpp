// This file implements the value a training hands to what comes after it (quantisation,
// QAT, export): the trained weights, the blocks that name their slices, and how the
// training went. It sits below both training/ and deploy/, so that deploying a model
// never reaches the training network.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace hwnas {

/// One named parameter or state tensor of a layer: a slice of the trainable parameters
/// or of the state (moving statistics), laid out as the training Network lays them out.
struct ParamBlock {
  int layer = 0;     ///< index in the architecture
  std::string name;  ///< "kernel", "bias", "gamma", "beta", "moving_mean", ...
  int64_t offset = 0;
  int64_t size = 0;
  bool trainable = true;
  bool decay = false;  ///< weight decay applies
};

struct TrainResult {
  bool ok = false;
  std::string failure;          ///< why not ok (e.g. "loss became NaN at epoch 1")
  double train_loss = 0.0;      ///< last epoch mean
  double train_accuracy = 0.0;  ///< last epoch
  double validation_accuracy = 0.0;
  double test_accuracy = -1.0;  ///< -1 when no test set was given
  double seconds = 0.0;
  double images_per_second = 0.0;
  int64_t steps = 0;
};

/// A trained network's weights, laid out as the training Network lays them out (its
/// blocks()), for what comes after training: quantisation and export.
struct TrainedModel {
  TrainResult result;
  std::vector<ParamBlock> blocks;  ///< names the slices of parameters and state
  Eigen::VectorXf parameters;      ///< (P) trainable parameters
  Eigen::VectorXf state;           ///< (S) batch-norm moving statistics
};

}  // namespace hwnas
