// This file implements the feasibility test (see target_budgets.hpp).
#include "search/target_budgets.hpp"

#include <algorithm>
#include <cstdio>

namespace hwnas {

int64_t model_bytes(const CostEstimate& e) {
  return e.flash.weights + e.flash.biases + e.flash.quant_params + e.flash.model_metadata;
}

nlohmann::json budgets_json(const TargetConfig& t) {
  return {{"max_ram_kb", t.max_ram_kb},         {"max_flash_kb", t.max_flash_kb},
          {"max_latency_ms", t.max_latency_ms}, {"max_energy_uj", t.max_energy_uj},
          {"max_model_kb", t.max_model_kb},     {"safety_margin", t.safety_margin}};
}

double objective_value(const CostEstimate& e, CostObjective o) {
  switch (o) {
    case CostObjective::kLatency: return e.latency_ms;
    case CostObjective::kRam: return double(e.ram.total());
    case CostObjective::kFlash: return double(e.flash.total());
    case CostObjective::kEnergy: return std::max(e.energy_uj, 0.0);
  }
  return 0.0;
}

namespace {

// Each budget as messages and configs name it, in the order budget_violations lists them.
struct BudgetText {
  Budget budget;
  const char* shown;  ///< in messages
  const char* unit;
  const char* key;    ///< the target's config key
};
constexpr BudgetText kBudgetTexts[] = {{Budget::kFlash, "flash", "B", "max_flash_kb"},
                                       {Budget::kRam, "RAM", "B", "max_ram_kb"},
                                       {Budget::kLatency, "latency", "ms", "max_latency_ms"},
                                       {Budget::kEnergy, "energy", "uJ", "max_energy_uj"},
                                       {Budget::kModel, "model", "B", "max_model_kb"}};

const BudgetText& text_of(Budget b) {
  for (const BudgetText& t : kBudgetTexts)
    if (t.budget == b) return t;
  return kBudgetTexts[0];
}

// With latency_bound "upper" the latency and energy budgets hold for the interval's upper
// end: the network fits even if it runs as slowly as the model's errors allow.
double budget_cost(const CostEstimate& e, Budget b, const TargetConfig& t) {
  const double upper = t.latency_upper_bound && e.latency_ms > 0 ? e.latency_high_ms / e.latency_ms : 1.0;
  switch (b) {
    case Budget::kRam: return double(e.ram.total());
    case Budget::kFlash: return double(e.flash.total());
    case Budget::kLatency: return e.latency_ms * upper;
    case Budget::kEnergy: return e.energy_uj * upper;
    case Budget::kModel: return double(model_bytes(e));
  }
  return 0;
}

}  // namespace

double budget_limit(const TargetConfig& t, Budget b) {
  switch (b) {
    case Budget::kRam: return t.max_ram_kb * 1024.0;
    case Budget::kFlash: return t.max_flash_kb * 1024.0;
    case Budget::kLatency: return t.max_latency_ms;
    case Budget::kEnergy: return t.max_energy_uj;
    case Budget::kModel: return t.max_model_kb * 1024.0;
  }
  return 0;
}

const char* budget_key(Budget b) { return text_of(b).key; }

std::string budget_violations(const CostEstimate& e, const TargetConfig& t) {
  std::string out;
  for (const BudgetText& b : kBudgetTexts) {
    const double limit = budget_limit(t, b.budget) * (1.0 - t.safety_margin), cost = budget_cost(e, b.budget, t);
    if (budget_limit(t, b.budget) <= 0 || cost <= limit) continue;
    char text[160];
    const bool upper = t.latency_upper_bound && (b.budget == Budget::kLatency || b.budget == Budget::kEnergy);
    std::snprintf(text, sizeof text, "%s%s %.6g %s%s over the budget of %.6g %s", out.empty() ? "" : "; ", b.shown, cost,
                  b.unit, upper ? " (upper bound)" : "", limit, b.unit);
    out += text;
  }
  return out;
}

std::string budget_floor_shortfalls(const std::vector<TargetCost>& costs, const std::vector<TargetConfig>& targets,
                                    const std::vector<BudgetFloor>& floors) {
  std::string out;
  for (const BudgetFloor& f : floors) {
    double best = 0;  // the largest share used on a target that sets the budget
    for (size_t i = 0; i < costs.size() && i < targets.size(); ++i) {
      const double limit = budget_limit(targets[i], f.budget) * (1.0 - targets[i].safety_margin);
      if (limit > 0) best = std::max(best, budget_cost(costs[i].costs, f.budget, targets[i]) / limit);
    }
    if (best >= f.share) continue;
    char text[160];
    std::snprintf(text, sizeof text, "%s%s uses %.0f%% of its budget, under the floor of %.0f%%", out.empty() ? "" : "; ",
                  budget_names()[size_t(f.budget)].c_str(), 100.0 * best, 100.0 * f.share);
    out += text;
  }
  return out;
}

bool within_budgets(const CostEstimate& e, const TargetConfig& t) { return budget_violations(e, t).empty(); }

std::vector<TargetCost> cost_on_targets(const Architecture& arch, const std::vector<TargetConfig>& targets) {
  std::vector<TargetCost> costs;
  for (const auto& t : targets) {
    const CostEstimate e = estimate_costs(arch, t.cost);
    costs.push_back({t.mcu.name, t.cost.profile.name, e, within_budgets(e, t)});
  }
  return costs;
}

bool fits_all(const std::vector<TargetCost>& costs) {
  for (const auto& c : costs)
    if (!c.fits) return false;
  return true;
}

}  // namespace hwnas
