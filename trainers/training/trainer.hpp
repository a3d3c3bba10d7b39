// This file implements the trainer's entry point: train one architecture on a dataset
// with a recipe and a seed, and score it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "space/architecture.hpp"
#include "trainers/data/dataset.hpp"
#include "trainers/model/trained_model.hpp"
#include "trainers/training/network.hpp"
#include "trainers/training/training_options.hpp"

namespace hwnas {

struct EpochReport {
  int epoch = 0;            ///< 1-based
  int epochs = 0;
  double train_loss = 0.0;  ///< mean over the epoch
  double train_accuracy = 0.0;
  double validation_accuracy = 0.0;
  double images_per_second = 0.0;
};

using EpochCallback = std::function<void(const EpochReport&)>;

/// Checks that the samples of `data` (the `split` set, named in the message) have the
/// architecture's input size and its number of classes. @throws UserError.
void check_data_fits(const Architecture& arch, const Dataset& data, const char* split);

/// Trains `arch` from a fresh initialisation drawn from `seed` and evaluates it on the
/// validation set (and on `test` if non-null). Failures of the candidate (NaN loss) are
/// reported in TrainResult, never thrown.
/// NOTE: runs in the caller's TBB arena; results are identical for a given seed whatever
/// the number of threads (fixed-size gradient chunks reduced in a fixed order).
TrainResult train_and_evaluate(const Architecture& arch, const Dataset& train,
                               const Dataset& validation, const Dataset* test,
                               const TrainingOptions& options, uint64_t seed,
                               const EpochCallback& on_epoch = {});

/// The weights of `net` as they are now (result left at its defaults).
TrainedModel snapshot_model(const Network& net);

/// train_and_evaluate that also returns the trained weights: those at the end of training,
/// also when result.ok is false; none when the training set is empty or the network did
/// not fit in memory. Same training, same result for the same arguments.
TrainedModel train_model(const Architecture& arch, const Dataset& train, const Dataset& validation,
                         const Dataset* test, const TrainingOptions& options, uint64_t seed,
                         const EpochCallback& on_epoch = {});

}  // namespace hwnas
