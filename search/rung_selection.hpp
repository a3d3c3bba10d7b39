// This file implements multi-fidelity selection: which candidates of a rung the next rung
// trains more. A successive-halving promotion takes the best 1/promotion_eta; the final
// retraining takes the union of every target's Pareto set (at most search.max_final of
// it, filled up from the next fronts when the sets are smaller). "Best" is the order of
// retraining_order.hpp over the candidates' selection objectives.
#pragma once

#include <cstddef>
#include <vector>

#include "search/candidate.hpp"
#include "search/pareto.hpp"
#include "search/run_config.hpp"

namespace hwnas {

/// What selection minimises for `c`: its error 1 - selection accuracy (1 when it failed),
/// then each target's cost objectives (search.objectives) in target order.
ObjectivePoint selection_objectives(const Candidate& c, const std::vector<CostObjective>& objectives);

struct RungSelection {
  std::vector<const Candidate*> chosen;  ///< best first (a run stopped mid-rung trained the best)
  size_t pool = 0;  ///< candidates of the previous rung that reach search.min_accuracy
};

/// The candidates of `previous` (the evaluations of rung `rung` - 1, costed on `targets`
/// boards) that rung `rung` evaluates: a promotion for rung <= search.promotions.size(),
/// else the final retraining. The pointers point into `previous`.
RungSelection select_for_rung(const std::vector<Candidate>& previous, int rung, const SearchConfig& search,
                              size_t targets);

}  // namespace hwnas
