// This file implements the per-target Pareto archive and pareto.json (see pareto_report.hpp).
#include "search/pareto_report.hpp"

#include <algorithm>

#include "search/pareto.hpp"

namespace hwnas {

nlohmann::json candidate_brief(const Candidate& c) {
  nlohmann::json j = {{"id", c.identity},
                      {"index", c.index},
                      {"val_accuracy", c.result.validation_accuracy},
                      {"test_accuracy", c.result.test_accuracy},
                      {"params", c.arch.total_params()},
                      {"macs", c.arch.total_macs()}};
  if (c.int8.ok) {
    j["val_accuracy_int8"] = c.int8.val_int8;
    j["test_accuracy_int8"] = c.int8.test_int8;
  }
  return j;
}

nlohmann::json target_front(const std::vector<const Candidate*>& evaluated, size_t target) {
  std::vector<const Candidate*> eligible;
  for (const Candidate* c : evaluated)
    if (selection_accuracy(*c) >= 0 && c->costs[target].fits) eligible.push_back(c);
  std::vector<ObjectivePoint> points;
  for (const Candidate* c : eligible) {
    const CostEstimate& e = c->costs[target].costs;
    points.push_back({-selection_accuracy(*c), double(e.ram.total()), double(e.flash.total()), e.latency_ms,
                      std::max(e.energy_uj, 0.0)});
  }
  std::vector<const Candidate*> front;
  for (size_t i : pareto_front(points)) front.push_back(eligible[i]);
  std::sort(front.begin(), front.end(), [](const Candidate* a, const Candidate* b) {
    const double sa = selection_accuracy(*a), sb = selection_accuracy(*b);
    return sa != sb ? sa > sb : a->index < b->index;
  });
  nlohmann::json out = nlohmann::json::array();
  for (const Candidate* c : front) {
    const CostEstimate& e = c->costs[target].costs;
    nlohmann::json entry = candidate_brief(*c);
    entry["ram_bytes"] = e.ram.total();
    entry["flash_bytes"] = e.flash.total();
    entry["latency_ms"] = e.latency_ms;
    entry["energy_uj"] = e.energy_uj < 0 ? nlohmann::json(nullptr) : nlohmann::json(e.energy_uj);
    entry["fidelity"] = {{"epochs", c->fidelity.epochs}, {"train_samples", c->fidelity.train_samples}};
    entry["model_dir"] = "models/" + c->identity;
    out.push_back(std::move(entry));
  }
  return out;
}

nlohmann::json pareto_report(const RunConfig& config, const std::vector<Candidate>& evaluated) {
  std::vector<const Candidate*> all;
  for (const Candidate& c : evaluated) all.push_back(&c);
  nlohmann::json targets = nlohmann::json::array();
  for (size_t t = 0; t < config.targets.size(); ++t) {
    const TargetConfig& target = config.targets[t];
    targets.push_back({{"mcu", target.mcu.name},
                       {"runtime", target.cost.profile.name},
                       {"budgets",
                        {{"max_ram_kb", target.max_ram_kb},
                         {"max_flash_kb", target.max_flash_kb},
                         {"max_latency_ms", target.max_latency_ms},
                         {"max_energy_uj", target.max_energy_uj},
                         {"safety_margin", target.safety_margin}}},
                       {"objectives", {"max val_accuracy_int8", "min ram_bytes", "min flash_bytes", "min latency_ms",
                                       "min energy_uj"}},
                       {"front", target_front(all, t)}});
  }
  return {{"evaluated", evaluated.size()}, {"targets", targets}};
}

void write_pareto_report(const RunDirectory& dir, const RunConfig& config, const std::vector<Candidate>& evaluated) {
  dir.write_json("pareto.json", pareto_report(config, evaluated));
}

}  // namespace hwnas
