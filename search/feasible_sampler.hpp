// This file implements feasibility-first sampling: candidates are drawn from the space,
// deduplicated by identity, costed for every target and rejected before any training
// when they do not fit. Rejections are counted; a space with (almost) no feasible
// member is an error rather than an endless loop.
#pragma once

#include <random>
#include <set>
#include <vector>

#include "search/candidate.hpp"
#include "search/run_config.hpp"

namespace hwnas {

/// True if `e` is within every budget of `t`, each reduced by (1 - safety_margin).
bool within_budgets(const CostEstimate& e, const TargetConfig& t);
/// Costs of `arch` on every target; fits means within (1 - safety_margin) x budget.
std::vector<TargetCost> cost_on_targets(const Architecture& arch, const std::vector<TargetConfig>& targets);
bool fits_all(const std::vector<TargetCost>& costs);

struct SamplingOutcome {
  std::vector<Candidate> candidates;
  int rejected = 0;
  int duplicates = 0;
};

/// Draws `count` distinct feasible candidates (fewer if the space has fewer distinct
/// members). Candidate seeds derive from `run_seed` and the candidate index.
/// @throws UserError when `max_rejections` samples in a row are infeasible.
SamplingOutcome sample_feasible(const SearchSpace& space, const std::vector<TargetConfig>& targets,
                                int count, int max_rejections, uint64_t run_seed);

}  // namespace hwnas
