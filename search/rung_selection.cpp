// This file implements select_for_rung (see rung_selection.hpp).
#include "search/rung_selection.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "search/pareto_report.hpp"
#include "search/retraining_order.hpp"
#include "search/target_budgets.hpp"

namespace hwnas {

namespace {

// The first `keep` of `pool` in retraining_order (rank, lowest error, hypervolume contribution).
std::vector<const Candidate*> best_for_retraining(const std::vector<const Candidate*>& pool, size_t keep,
                                                  const std::vector<CostObjective>& objectives) {
  std::vector<ObjectivePoint> points;
  for (const Candidate* c : pool) points.push_back(selection_objectives(*c, objectives));
  std::vector<const Candidate*> best;
  for (size_t i : retraining_order(points, keep)) best.push_back(pool[i]);
  return best;
}

}  // namespace

ObjectivePoint selection_objectives(const Candidate& c, const std::vector<CostObjective>& objectives) {
  ObjectivePoint p = {1.0 - std::max(selection_accuracy(c), 0.0)};
  for (const TargetCost& t : c.costs)
    for (CostObjective k : objectives) p.push_back(objective_value(t.costs, k));
  return p;
}

RungSelection select_for_rung(const std::vector<Candidate>& previous, int rung, const SearchConfig& s,
                              size_t targets) {
  std::vector<const Candidate*> pool;
  for (const Candidate& c : previous)
    if (reaches_accuracy_floor(c, s.min_accuracy)) pool.push_back(&c);
  RungSelection out;
  out.pool = pool.size();
  if (rung <= int(s.promotions.size())) {
    // Successive halving: the best 1/eta (retraining_order.hpp says in what order).
    out.chosen = best_for_retraining(pool, size_t(std::ceil(double(pool.size()) / s.promotion_eta)), s.objectives);
    return out;
  }
  // Final retraining: the union of every target's Pareto set (at most max_final of it).
  std::set<const Candidate*> in_front;
  for (size_t t = 0; t < targets; ++t)
    for (const Candidate* c : front_members(pool, t, s)) in_front.insert(c);
  for (const Candidate* c : pool)
    if (in_front.count(c)) out.chosen.push_back(c);
  if (s.max_final > 0 && out.chosen.size() > size_t(s.max_final))
    out.chosen = best_for_retraining(out.chosen, size_t(s.max_final), s.objectives);
  // A front smaller than max_final (one network when accuracy is the only objective)
  // leaves retrainings unspent; fill them from the next fronts. The rung ranks at low
  // fidelity: networks a few tenths behind its best often end ahead after the full recipe.
  if (s.max_final > 0 && out.chosen.size() < size_t(s.max_final)) {
    std::vector<const Candidate*> rest;
    for (const Candidate* c : pool)
      if (!in_front.count(c)) rest.push_back(c);
    for (const Candidate* c : best_for_retraining(rest, size_t(s.max_final) - out.chosen.size(), s.objectives))
      out.chosen.push_back(c);
  }
  return out;
}

}  // namespace hwnas
