// This file implements Candidate, one sampled network on its way through the search,
// and its history.jsonl record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "estimators/cost_model.hpp"
#include "search/evaluation_result.hpp"
#include "search/proposal_counts.hpp"
#include "search/run_config.hpp"
#include "space/architecture.hpp"
#include "space/search_space.hpp"

namespace hwnas {

/// A candidate's costs on one target board under its runtime, and whether it fits the
/// target's budgets (each reduced by the safety margin).
struct TargetCost {
  std::string mcu;
  std::string runtime;
  CostEstimate costs;
  bool fits = false;
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
  EvaluationScores scores;  ///< once evaluated
  /// Multi-fidelity rung: 0 for the search's evaluation, 1.. for successive-halving
  /// promotions and the final retraining (a candidate has one evaluation per rung).
  int rung = 0;
  std::string stage = "search";  ///< "search", "promotion" or "final"
  /// Search candidates: the proposal source's counts right after it was proposed (its own
  /// draws included). Proposals are deterministic, so a resumed run has the same values.
  std::optional<ProposalCounts> proposals;
  /// When its evaluation was recorded: UTC, ISO 8601 with milliseconds (history_timestamp).
  std::string finished_at;
};

/// One history.jsonl line.
nlohmann::json candidate_record(const Candidate& c);
/// Per target board: runtime, flash, model and RAM bytes, latency, energy and whether it
/// fits, as history.jsonl's "costs" (and rejected.jsonl's) write them.
nlohmann::json costs_json(const std::vector<TargetCost>& costs);
/// {epochs, train_samples, learning_rate}, as history.jsonl and pareto.json write it.
nlohmann::json fidelity_json(const FidelitySpec& f);
/// The inverse for what evaluation produced: fills c's rung, stage, fidelity, scores,
/// proposal counts and finish time from its history line (on resume). @throws nlohmann::json::exception when malformed.
void restore_results(const nlohmann::json& record, Candidate& c);

/// What selection ranks candidates by (EvaluationScores::selection_accuracy).
inline double selection_accuracy(const Candidate& c) { return c.scores.selection_accuracy(); }
/// Whether `c` trained and reaches the accuracy floor `min_accuracy` (search.min_accuracy):
/// the candidates that may be promoted, retrained and reported.
bool reaches_accuracy_floor(const Candidate& c, double min_accuracy);

}  // namespace hwnas
