// This file implements quantisation-aware training (QAT): fine-tuning the deployed network
// (batch norm folded, as the int8 runtime runs it) with its weights and activations
// fake-quantised to the int8 grids, so that it learns to live with the rounding and
// clipping of int8 inference (Jacob et al. 2018). See docs/quantization.md.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "space/architecture.hpp"
#include "trainers/data/dataset.hpp"
#include "trainers/qat/deployed_network.hpp"
#include "trainers/qat/fake_quantization.hpp"
#include "trainers/deploy/folded_model.hpp"
#include "trainers/training/network.hpp"
#include "trainers/deploy/quantize.hpp"
#include "trainers/training/trainer.hpp"
#include "trainers/training/training_options.hpp"

namespace hwnas {

/// Momentum of the moving average of the activation ranges, per training step (about
/// the last hundred batches count).
inline constexpr double kQatRangeMomentum = 0.99;

struct QatResult {
  /// The fine-tuning run (train_network's report); its accuracies are those of the
  /// fake-quantised network, not of the int8 model.
  TrainResult result;
  FoldedModel folded;               ///< the fine-tuned deployed float model
  std::vector<TensorRange> ranges;  ///< per tensor: the activation ranges it learned
};

/// The fake quantisation of a Network built from `deployed.arch`, as quantize() would
/// quantise `folded`: every kernel per output channel; the input and every op output
/// per tensor, starting from `ranges` (one per tensor of `folded`, e.g. calibrate()'s),
/// except the outputs int8 inference does not round (max pool and reshape keep their
/// input's values; the softmax's output is not what the loss reads), average pools on
/// their input's grid.
std::unique_ptr<FakeQuantization> make_fake_quantization(const DeployedArchitecture& deployed,
                                                         const FoldedModel& folded,
                                                         const std::vector<TensorRange>& ranges,
                                                         const Network& net, double momentum);

/// The recipe of the fine-tuning: `training`'s optimiser, batch size, weight decay,
/// label smoothing and augmentation for int8.qat_epochs epochs, cosine decay from
/// int8.qat_learning_rate to 0 without warm-up.
TrainingOptions qat_training_options(const TrainingOptions& training, const Int8Options& int8);

/// Fine-tunes `folded` (fold_model of `arch`) with fake quantisation on `train` for
/// int8.qat_epochs epochs, shuffled from `seed`; the activation ranges start at
/// `ranges` and follow their moving average. quantize_with_ranges(result.folded,
/// result.ranges) is the int8 model it was trained for. A diverging run is reported in
/// result.result (ok false), never thrown.
/// NOTE: the same arguments give the same result with any number of threads.
/// Requires a non-empty `train` of the model's input size and int8.qat_epochs >= 1.
/// @throws std::bad_alloc when the network does not fit in memory.
QatResult quantization_aware_training(const Architecture& arch, const FoldedModel& folded,
                                      const std::vector<TensorRange>& ranges,
                                      const Dataset& train, const Dataset& validation,
                                      const TrainingOptions& training, const Int8Options& int8,
                                      uint64_t seed);

}  // namespace hwnas
