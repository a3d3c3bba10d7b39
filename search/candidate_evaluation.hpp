// This file implements the step a search spends its time on: evaluating one candidate.
// Train the network at its fidelity from its seed, quantise it to int8 (with QAT when
// quantisation costs too much) and score both. It is a function of its inputs that writes
// nothing: the thread-pool evaluator, `nas-run train` and (later) an MPI worker call it,
// and the caller records the result.
#pragma once

#include <atomic>
#include <cstdint>

#include "search/evaluation_result.hpp"
#include "search/run_config.hpp"
#include "search/training_data.hpp"
#include "space/architecture.hpp"
#include "trainers/training/trainer.hpp"

namespace hwnas {

/// What to evaluate: small enough to send to another process.
struct EvaluationRequest {
  Architecture arch;
  /// epochs; train_samples (0: the whole training split); learning_rate (0: the recipe's).
  FidelitySpec fidelity;
  uint64_t seed = 0;  ///< the first training's seed (weight init, shuffling, QAT)
  /// Independent trainings (search.final_seeds for a final model): training k > 0 starts
  /// from seed stream kSeedRunStream of `seed` and holds out validation split k.
  int trainings = 1;
  /// The first training's validation split (`nas-run train --split`); 0 for the search.
  int validation_split = 0;
};

/// The config sections an evaluation follows.
struct EvaluationRecipe {
  TrainingOptions training;
  Int8Options int8;
};

/// Evaluates `request` on `data`. Stops early, with status kCancelled, when `cancel`
/// becomes true. `on_epoch` (optional) hears the first training's epochs. A failure of
/// the candidate (a NaN loss, a shape that cannot be built, any exception of its own) is
/// reported in the result, never thrown.
/// @throws EnvironmentError or std::bad_alloc (is_environment_failure): the machine failed.
/// NOTE: the same request gives the same result with any number of threads.
EvaluationResult evaluate_candidate(const EvaluationRequest& request, const EvaluationRecipe& recipe,
                                    TrainingData& data, const std::atomic<bool>* cancel = nullptr,
                                    const EpochCallback& on_epoch = {});

/// The result of an evaluation that failed for `failure` before it produced scores.
EvaluationResult failed_evaluation(const std::string& failure);

/// Fills `scores` from several trainings: accuracies and losses averaged, time summed, the
/// rest from the training with the best int8 validation accuracy (the one deployed,
/// returned). A failed training fails the candidate (its failure is kept).
size_t combine_seed_runs(EvaluationScores& scores, std::vector<SeedRun> runs);

}  // namespace hwnas
