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

double budget_use(const CostEstimate& e, const TargetConfig& t) {
  const double usable = 1.0 - t.safety_margin;
  double use = std::max(double(e.flash.total()) / (usable * t.max_flash_kb * 1024.0),
                        double(e.ram.total()) / (usable * t.max_ram_kb * 1024.0));
  if (t.max_latency_ms > 0) use = std::max(use, e.latency_ms / (usable * t.max_latency_ms));
  if (t.max_energy_uj > 0) use = std::max(use, e.energy_uj / (usable * t.max_energy_uj));
  if (t.max_model_kb > 0) use = std::max(use, double(model_bytes(e)) / (usable * t.max_model_kb * 1024.0));
  return use;
}

double budget_use(const std::vector<TargetCost>& costs, const std::vector<TargetConfig>& targets) {
  double use = 0;
  for (size_t i = 0; i < costs.size() && i < targets.size(); ++i) use = std::max(use, budget_use(costs[i].costs, targets[i]));
  return use;
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
