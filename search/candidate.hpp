// This file implements Candidate, one sampled network on its way through the search,
// and its history.jsonl record.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "estimators/cost_model.hpp"
#include "search/int8_scoring.hpp"
#include "search/run_config.hpp"
#include "space/architecture.hpp"
#include "space/search_space.hpp"
#include "trainers/trainer.hpp"

namespace hwnas {

/// A candidate's costs on one target board under its runtime, and whether it fits the
/// target's budgets (each reduced by the safety margin).
struct TargetCost {
  std::string mcu;
  std::string runtime;
  CostEstimate costs;
  bool fits = false;
};

/// One of several trainings of a candidate from different seeds (search.final_seeds).
struct SeedRun {
  uint64_t seed = 0;
  TrainResult result;
  Int8Scores int8;
};

struct Candidate {
  int index = 0;            ///< order of sampling, 0-based
  Genome genome;
  std::string identity;     ///< architecture_identity of the decoded network
  uint64_t seed = 0;        ///< training seed, derived from (run seed, index)
  Architecture arch;
  std::vector<TargetCost> costs;
  /// Its rung's fidelity with the defaults filled in; once trained, train_samples is the
  /// number of samples it actually trained on.
  FidelitySpec fidelity;
  TrainResult result;
  Int8Scores int8;  ///< the quantised network's accuracy (when result.ok)
  /// Multi-fidelity rung: 0 for the search's evaluation, 1.. for successive-halving
  /// promotions and the final retraining (a candidate has one evaluation per rung).
  int rung = 0;
  std::string stage = "search";  ///< "search", "promotion" or "final"
  /// With several trainings (search.final_seeds > 1): each one's scores. `result` and
  /// `int8` then hold the means of the accuracies (and the deployed training's other
  /// fields); the saved weights are those of seed_runs[deployed_seed_run].
  std::vector<SeedRun> seed_runs;
  int deployed_seed_run = -1;
};

/// Fills c.result and c.int8 from several trainings: accuracies and losses averaged, time
/// summed, the rest from the training with the best int8 validation accuracy (the one
/// deployed, returned). A failed training fails the candidate (its failure is kept).
size_t combine_seed_runs(Candidate& c, std::vector<SeedRun> runs);

/// One history.jsonl line.
nlohmann::json candidate_record(const Candidate& c);
/// {epochs, train_samples, learning_rate}, as history.jsonl and pareto.json write it.
nlohmann::json fidelity_json(const FidelitySpec& f);
/// The inverse for what evaluation produced: fills c's fidelity, result and int8 scores
/// from its history line (on resume). @throws nlohmann::json::exception when malformed.
void restore_results(const nlohmann::json& record, Candidate& c);

/// What selection ranks candidates by: the int8 model's validation accuracy; -1 when the
/// network failed to train or to quantise.
double selection_accuracy(const Candidate& c);
/// Whether `c` trained and reaches the accuracy floor `min_accuracy` (search.min_accuracy):
/// the candidates that may be promoted, retrained and reported.
bool reaches_accuracy_floor(const Candidate& c, double min_accuracy);

}  // namespace hwnas
