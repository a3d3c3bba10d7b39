// This file implements the feasibility test of the search: a candidate's costs on every
// target board (from the cost models, before any training) and whether they fit the
// target's budgets. ProposalSource rejects networks that do not fit before they are
// ever trained.
#pragma once

#include <string>
#include <vector>

#include "search/candidate.hpp"
#include "search/run_config.hpp"

namespace hwnas {

/// Bytes of the model itself (weights, biases, quantisation parameters, metadata): flash
/// without the runtime's and kernels' code.
int64_t model_bytes(const CostEstimate& e);
/// The value of a cost objective (minimised) in an estimate.
double objective_value(const CostEstimate& e, CostObjective o);
/// A target's budgets as reports show them.
nlohmann::json budgets_json(const TargetConfig& t);

/// True if `e` is within every budget of `t`, each reduced by (1 - safety_margin).
bool within_budgets(const CostEstimate& e, const TargetConfig& t);
/// The budgets of `t` that `e` exceeds ("latency 16.7 ms over the budget of 10 ms; ..."),
/// each reduced by (1 - safety_margin); "" when it fits.
std::string budget_violations(const CostEstimate& e, const TargetConfig& t);
/// The budget `b` of `t` before the safety margin, in the unit costs are measured in
/// (bytes, ms, uJ); 0 when `t` sets none (RAM and flash always have one).
double budget_limit(const TargetConfig& t, Budget b);
/// The target's config key that sets budget `b` ("max_latency_ms").
const char* budget_key(Budget b);
/// "" when, for every floor, the costs use at least its share of that budget (less the
/// safety margin) on some target that sets it; else what falls short, for the log
/// ("latency uses 38% of its budget, under the floor of 80%").
std::string budget_floor_shortfalls(const std::vector<TargetCost>& costs, const std::vector<TargetConfig>& targets,
                                    const std::vector<BudgetFloor>& floors);
/// Costs of `arch` on every target; fits means within (1 - safety_margin) x budget.
std::vector<TargetCost> cost_on_targets(const Architecture& arch, const std::vector<TargetConfig>& targets);
bool fits_all(const std::vector<TargetCost>& costs);

}  // namespace hwnas
