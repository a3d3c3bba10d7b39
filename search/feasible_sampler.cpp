// This file implements the feasibility test (see feasible_sampler.hpp).
#include "search/feasible_sampler.hpp"

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

std::string budget_violations(const CostEstimate& e, const TargetConfig& t) {
  const double usable = 1.0 - t.safety_margin;
  std::string out;
  const auto check = [&](bool over, const std::string& what, double value, double budget, const char* unit) {
    if (!over) return;
    char text[160];
    std::snprintf(text, sizeof text, "%s%s %.6g %s over the budget of %.6g %s", out.empty() ? "" : "; ", what.c_str(),
                  value, unit, budget, unit);
    out += text;
  };
  const double flash = double(e.flash.total()), ram = double(e.ram.total()), model = double(model_bytes(e));
  check(flash > usable * t.max_flash_kb * 1024.0, "flash", flash, usable * t.max_flash_kb * 1024.0, "B");
  check(ram > usable * t.max_ram_kb * 1024.0, "RAM", ram, usable * t.max_ram_kb * 1024.0, "B");
  check(t.max_latency_ms > 0 && e.latency_ms > usable * t.max_latency_ms, "latency", e.latency_ms,
        usable * t.max_latency_ms, "ms");
  check(t.max_energy_uj > 0 && e.energy_uj > usable * t.max_energy_uj, "energy", e.energy_uj,
        usable * t.max_energy_uj, "uJ");
  check(t.max_model_kb > 0 && model > usable * t.max_model_kb * 1024.0, "model", model,
        usable * t.max_model_kb * 1024.0, "B");
  return out;
}

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

namespace {

double budget_cost(const CostEstimate& e, Budget b) {
  switch (b) {
    case Budget::kRam: return double(e.ram.total());
    case Budget::kFlash: return double(e.flash.total());
    case Budget::kLatency: return e.latency_ms;
    case Budget::kEnergy: return e.energy_uj;
    case Budget::kModel: return double(model_bytes(e));
  }
  return 0;
}

}  // namespace

std::string budget_floor_shortfalls(const std::vector<TargetCost>& costs, const std::vector<TargetConfig>& targets,
                                    const std::vector<BudgetFloor>& floors) {
  std::string out;
  for (const BudgetFloor& f : floors) {
    double best = 0;  // the largest share used on a target that sets the budget
    for (size_t i = 0; i < costs.size() && i < targets.size(); ++i) {
      const double limit = budget_limit(targets[i], f.budget) * (1.0 - targets[i].safety_margin);
      if (limit > 0) best = std::max(best, budget_cost(costs[i].costs, f.budget) / limit);
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
