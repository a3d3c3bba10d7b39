// This file implements the per-target Pareto archive and pareto.json (see pareto_report.hpp).
#include "search/pareto_report.hpp"

#include <algorithm>

#include "search/pareto.hpp"
#include "search/target_budgets.hpp"

namespace hwnas {

nlohmann::json candidate_brief(const Candidate& c) {
  nlohmann::json j = {{"id", c.identity},
                      {"index", c.index},
                      {"params", c.arch.total_params()},
                      {"macs", c.arch.total_macs()}};
  // The accuracies under the names history.jsonl gives them (EvaluationScores' JSON).
  const nlohmann::json scores = c.scores;
  for (const char* key : {"val_accuracy", "test_accuracy", "val_accuracy_int8", "test_accuracy_int8"})
    if (scores.contains(key)) j[key] = scores[key];
  // With search.final_seeds > 1 the accuracies above are means over these trainings.
  if (!c.scores.seed_runs.empty()) {
    j["trainings"] = c.scores.seed_runs.size();
    j["deployed_test_accuracy_int8"] = c.scores.seed_runs[size_t(c.scores.deployed_seed_run)].int8.test_int8;
  }
  return j;
}

std::vector<const Candidate*> front_members(const std::vector<const Candidate*>& evaluated, size_t target,
                                           const SearchConfig& search) {
  std::vector<const Candidate*> eligible;
  for (const Candidate* c : evaluated)
    if (reaches_accuracy_floor(*c, search.min_accuracy) && c->costs[target].fits)
      eligible.push_back(c);
  std::vector<ObjectivePoint> points;
  for (const Candidate* c : eligible) {
    ObjectivePoint p = {-selection_accuracy(*c)};
    for (CostObjective o : search.objectives) p.push_back(objective_value(c->costs[target].costs, o));
    points.push_back(std::move(p));
  }
  std::vector<const Candidate*> front;
  for (size_t i : pareto_front(points)) front.push_back(eligible[i]);
  std::sort(front.begin(), front.end(), [](const Candidate* a, const Candidate* b) {
    const double sa = selection_accuracy(*a), sb = selection_accuracy(*b);
    return sa != sb ? sa > sb : a->index < b->index;
  });
  return front;
}

nlohmann::json target_front(const std::vector<const Candidate*>& evaluated, size_t target,
                            const SearchConfig& search) {
  nlohmann::json out = nlohmann::json::array();
  for (const Candidate* c : front_members(evaluated, target, search)) {
    const CostEstimate& e = c->costs[target].costs;
    nlohmann::json entry = candidate_brief(*c);
    entry["ram_bytes"] = e.ram.total();
    entry["flash_bytes"] = e.flash.total();
    entry["model_bytes"] = model_bytes(e);
    entry["latency_ms"] = e.latency_ms;
    entry["energy_uj"] = e.energy_uj < 0 ? nlohmann::json(nullptr) : nlohmann::json(e.energy_uj);
    entry["fidelity"] = fidelity_json(c->fidelity);
    entry["model_dir"] = "models/" + c->identity;
    out.push_back(std::move(entry));
  }
  return out;
}

namespace {

nlohmann::json objective_names(const std::vector<CostObjective>& objectives) {
  nlohmann::json names = {"max val_accuracy_int8"};
  for (CostObjective o : objectives)
    names.push_back(o == CostObjective::kLatency ? "min latency_ms"
                    : o == CostObjective::kRam   ? "min ram_bytes"
                    : o == CostObjective::kFlash ? "min flash_bytes"
                                                 : "min energy_uj");
  return names;
}

}  // namespace

nlohmann::json pareto_report(const RunConfig& config, const std::vector<Candidate>& evaluated) {
  std::vector<const Candidate*> all;
  for (const Candidate& c : evaluated) all.push_back(&c);
  nlohmann::json targets = nlohmann::json::array();
  for (size_t t = 0; t < config.targets.size(); ++t) {
    const TargetConfig& target = config.targets[t];
    targets.push_back({{"mcu", target.mcu.name},
                       {"runtime", target.cost.profile.name},
                       {"budgets", budgets_json(target)},
                       {"objectives", objective_names(config.search.objectives)},
                       {"front", target_front(all, t, config.search)}});
  }
  return {{"evaluated", evaluated.size()}, {"targets", targets}};
}

void write_pareto_report(const RunDirectory& dir, const RunConfig& config, const std::vector<Candidate>& evaluated) {
  dir.write_json("pareto.json", pareto_report(config, evaluated));
}

}  // namespace hwnas
