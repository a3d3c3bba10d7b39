// This file implements the strategy interface of the search controller (ask and tell):
// a strategy proposes the next network to evaluate and learns from every finished
// evaluation, in candidate order. Four strategies implement it: random search (the
// baseline), regularised (aging) evolution (Real et al. 2019), steady-state NSGA-II
// (Deb et al. 2002) and local search (local_search.cpp). All randomness comes from the
// ProposalSource's generator and every strategy can save and restore its whole state,
// so a checkpointed run resumes exactly.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/pareto.hpp"
#include "search/proposal_source.hpp"
#include "search/run_config.hpp"

namespace hwnas {

/// What a strategy learns from one finished evaluation.
struct Observation {
  int index = 0;
  Genome genome;
  bool ok = false;        ///< trained and quantised; false: the network failed to train
  double accuracy = 0.0;  ///< validation accuracy of the int8 model (selection never sees test)
  /// Minimised objectives: 1 - accuracy, then the configured costs of every target.
  ObjectivePoint objectives;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  /// The next network to evaluate (feasible on every target and never seen before).
  /// @throws SpaceExhausted when no unseen feasible network is left to propose.
  virtual Proposal propose(ProposalSource& source) = 0;
  /// Called once per evaluation, in candidate-index order.
  virtual void observe(const Observation& o) = 0;
  virtual nlohmann::json state() const = 0;
  /// Restores what state() saved. @throws UserError on a malformed state.
  virtual void restore(const nlohmann::json& state) = 0;
};

/// The strategy `search` names, with its parameters.
std::unique_ptr<Strategy> make_strategy(const SearchConfig& search);
/// Hill climbing with restarts (local_search.cpp).
std::unique_ptr<Strategy> make_local_search();

/// One member of an evolving population, as strategies store and checkpoint it.
struct Member {
  int index = 0;
  Genome genome;
  bool ok = false;
  double accuracy = 0.0;
  ObjectivePoint objectives;
};
nlohmann::json member_json(const Member& m);
Member member_from_json(const nlohmann::json& j);
Member member_of(const Observation& o);

}  // namespace hwnas
