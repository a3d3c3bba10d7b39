// This file implements the search controller: the ask-and-tell loop between a strategy
// and an evaluator, the multi-fidelity stages after it, the budgets, the stop on
// signals, and the checkpoint.
//
// Determinism: candidate k is proposed right after the strategy has seen the results of
// candidates 0 .. k - search.parallel (results are shown to the strategy in index order,
// whatever order they finish in). So every proposal depends only on the seed and on
// earlier results, never on timing or thread count, and a resumed run proposes exactly
// what an uninterrupted one would have. The later stages select from complete rungs, so
// they are deterministic too.
//
// Stages (rungs): 0 is the search at search.fidelity; 1 .. R are the successive-halving
// promotions of search.promotions; R + 1 is the final retraining of the Pareto sets with
// the full recipe (skipped when rung R already used it, or without search.retrain_final).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "search/candidate.hpp"
#include "search/checkpoint.hpp"
#include "search/evaluator.hpp"
#include "search/history.hpp"
#include "search/ordered_results.hpp"
#include "search/progress_line.hpp"
#include "search/proposal_source.hpp"
#include "search/rejection_log.hpp"
#include "search/run_config.hpp"
#include "search/run_directory.hpp"
#include "search/strategy.hpp"

namespace hwnas {

struct SearchOutcome {
  std::vector<Candidate> evaluated;  ///< every evaluation, by (rung, index), resumed ones included
  int top_rung = 0;                  ///< the highest rung with results: what the reports rank
  int64_t rejected = 0;              ///< proposals that did not fit a target (never trained)
  int64_t duplicates = 0;            ///< proposals of networks already proposed
  bool interrupted = false;          ///< stopped by a signal or the wall-time budget: resumable
  std::string end_reason;            ///< why the search phase ended, or why the run stopped
};

class SearchController {
 public:
  /// `train_samples`: size of the training split (to tell whether a fidelity is the full recipe).
  SearchController(const RunConfig& config, const SearchSpace& space, RunDirectory& dir, Evaluator& evaluator,
                   int64_t train_samples);

  /// Continues from `checkpoint` with the run's history lines.
  /// @throws UserError when they do not belong together.
  void restore(const Checkpoint& checkpoint, const HistoryRecords& history);

  /// Runs until every stage is done, or a stop signal / the wall-time budget interrupts
  /// it (then in-flight candidates are cancelled and stay pending in the checkpoint).
  SearchOutcome run();

 private:
  Candidate make_candidate(int index, Genome genome, DecodedNetwork network, std::vector<TargetCost> costs,
                           int rung) const;
  /// Decoded and costed again from its genome (on resume).
  Candidate rebuild_candidate(int index, Genome genome, int rung) const;
  /// `c`'s network and costs at another rung.
  Candidate at_rung(const Candidate& c, int rung) const;
  FidelitySpec fidelity_of(int rung) const;
  int final_rung() const;
  Observation observation_of(const Candidate& c) const;
  void propose_next();
  void observe_in_order();
  void checkpoint_and_submit();
  bool run_search_phase();
  void start_stage(int rung);
  bool run_stage();
  bool wait_for_results(bool in_order);
  /// The next finished evaluation: a replayed one, else the evaluator's (waiting a moment).
  std::optional<Candidate> next_finished();
  void report(const Candidate& c);
  std::string interruption() const;
  std::vector<Candidate> entries_at(int rung) const;
  int top_rung() const;

  const RunConfig& m_config;
  const SearchSpace& m_space;
  RunDirectory& m_dir;
  Evaluator& m_evaluator;
  int64_t m_train_samples;
  RejectionLog m_rejections;  ///< rejected.jsonl: what the fit check rejects (a capped sample)
  std::unique_ptr<Strategy> m_strategy;
  /// The costs of networks the fit check accepted since the last proposal, by identity.
  std::map<std::string, std::vector<TargetCost>> m_fitting_costs;
  ProposalSource m_source;
  int m_phase = 0;  ///< 0: search; r: stage of rung r; final_rung() + 1: done
  int m_proposed = 0;
  OrderedResults m_results;              ///< search phase: finished results, shown to the strategy in order
  std::map<int, Candidate> m_pending;    ///< of the current phase, by index: not yet recorded as evaluated
  std::vector<int> m_to_submit;          ///< pending candidates not yet handed to the evaluator
  /// A resumed run's history: an evaluation it already holds (the checkpoint it resumed
  /// from was older than the history, e.g. the previous generation) is taken from it, not
  /// run again.
  HistoryRecords m_recorded;
  std::deque<Candidate> m_replayed;      ///< taken from m_recorded, waiting to be collected like results
  std::vector<Candidate> m_evaluated;    ///< every recorded evaluation
  std::string m_end_reason;
  std::chrono::steady_clock::time_point m_start;  ///< of this invocation (search.max_wall_minutes)
  ProgressLine m_progress;
  double m_best = -1.0;           ///< among observed candidates
  double m_best_finished = -1.0;  ///< among finished ones (progress line)
  std::string m_best_id;
};

}  // namespace hwnas
