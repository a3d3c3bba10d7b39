// This file implements the training loop behind train_and_evaluate on an existing
// Network, for callers that need the trained network afterwards (quantisation, export).
#pragma once

#include <cstdint>

#include "trainers/data/dataset.hpp"
#include "trainers/training/network.hpp"
#include "trainers/training/trainer.hpp"
#include "trainers/training/training_options.hpp"

namespace hwnas {

/// TrainResult::failure of a run stopped through TrainingOptions::cancel.
inline constexpr const char* kCancelledFailure = "cancelled";

/// Fraction of `data` that `net` classifies correctly in inference mode, in batches of
/// net.max_batch(); 0 for an empty set. The top logit (first on ties) is the prediction.
double evaluate_accuracy(Network& net, const Dataset& data);

/// Trains `net` in place for options.epochs epochs of mini-batches (the last batch of an
/// epoch may be short), reshuffled every epoch from `shuffle_seed`, with the optimiser
/// and learning-rate schedule of `options`, then evaluates it on `validation` (and `test`
/// if non-null). on_epoch, if set, gets a report after every epoch (validation accuracy
/// included). A non-finite loss stops training and gives ok = false with the reason.
/// Requires net.max_batch() >= min(options.batch_size, train.size()), a non-empty train
/// set and labels in [0, number of logits).
TrainResult train_network(Network& net, const Dataset& train, const Dataset& validation,
                          const Dataset* test, const TrainingOptions& options,
                          uint64_t shuffle_seed, const EpochCallback& on_epoch = {});

}  // namespace hwnas
