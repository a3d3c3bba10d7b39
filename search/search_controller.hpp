// This file implements the search controller: the ask-and-tell loop between a strategy
// and an evaluator, with its budgets, its stop on signals, and its checkpoint.
//
// Determinism: candidate k is proposed right after the strategy has seen the results of
// candidates 0 .. k - search.parallel (results are shown to the strategy in index order,
// whatever order they finish in). So every proposal depends only on the seed and on
// earlier results, never on timing or thread count, and a resumed run proposes exactly
// what an uninterrupted one would have.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "search/candidate.hpp"
#include "search/checkpoint.hpp"
#include "search/evaluator.hpp"
#include "search/proposal_source.hpp"
#include "search/run_config.hpp"
#include "search/run_directory.hpp"
#include "search/strategy.hpp"

namespace hwnas {

struct SearchOutcome {
  std::vector<Candidate> evaluated;  ///< every finished candidate, by index (resumed ones included)
  int64_t rejected = 0;              ///< proposals that did not fit a target (never trained)
  int64_t duplicates = 0;            ///< proposals of networks already proposed
  bool interrupted = false;          ///< stopped by a signal or the wall-time budget: resumable
  std::string end_reason;            ///< why the run ended or stopped
};

class SearchController {
 public:
  SearchController(const RunConfig& config, const SearchSpace& space, RunDirectory& dir, Evaluator& evaluator);

  /// Continues from `checkpoint`; `history` holds the run's history.jsonl lines by index.
  /// @throws UserError when they do not belong together.
  void restore(const Checkpoint& checkpoint, const std::map<int, nlohmann::json>& history);

  /// Runs until the budget is spent, the space is exhausted, the target accuracy is
  /// reached, or a stop signal / the wall-time budget interrupts it (then in-flight
  /// candidates are cancelled and stay pending in the checkpoint).
  SearchOutcome run();

 private:
  Candidate make_candidate(int index, Genome genome) const;
  Observation observation_of(const Candidate& c) const;
  void propose_next();
  void observe_in_order();
  void checkpoint_and_submit();
  void report(const Candidate& c);
  std::string interruption() const;

  const RunConfig& m_config;
  const SearchSpace& m_space;
  RunDirectory& m_dir;
  Evaluator& m_evaluator;
  std::unique_ptr<Strategy> m_strategy;
  ProposalSource m_source;
  int m_proposed = 0;
  int m_observed = 0;
  std::map<int, Candidate> m_pending;    ///< proposed, not yet observed (in flight or finished)
  std::vector<int> m_to_submit;          ///< pending candidates not yet handed to the evaluator
  std::map<int, Candidate> m_finished;   ///< finished, waiting for earlier ones to be observed
  std::vector<Candidate> m_evaluated;    ///< observed, by index
  std::string m_end_reason;
  std::chrono::steady_clock::time_point m_start;
  int m_finished_here = 0;  ///< evaluations finished in this invocation (for the ETA)
  double m_best = -1.0;           ///< among observed candidates
  double m_best_finished = -1.0;  ///< among finished ones (progress line)
  std::string m_best_id;
};

}  // namespace hwnas
