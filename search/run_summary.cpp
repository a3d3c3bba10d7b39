// This file implements summary.json (see run_summary.hpp).
#include "search/run_summary.hpp"

#include <algorithm>

#include "search/pareto.hpp"

namespace hwnas {

namespace {

nlohmann::json brief(const Candidate& c) {
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

// Pareto set on one target: maximise validation accuracy, minimise RAM, flash and latency.
nlohmann::json target_front(const std::vector<const Candidate*>& ok, size_t target) {
  std::vector<std::vector<double>> points;
  for (const Candidate* c : ok) {
    const CostEstimate& e = c->costs[target].costs;
    points.push_back({-c->result.validation_accuracy, double(e.ram.total()), double(e.flash.total()), e.latency_ms});
  }
  nlohmann::json front = nlohmann::json::array();
  for (size_t i : pareto_front(points)) {
    const CostEstimate& e = ok[i]->costs[target].costs;
    nlohmann::json entry = brief(*ok[i]);
    entry["ram_bytes"] = e.ram.total();
    entry["flash_bytes"] = e.flash.total();
    entry["latency_ms"] = e.latency_ms;
    entry["energy_uj"] = e.energy_uj < 0 ? nlohmann::json(nullptr) : nlohmann::json(e.energy_uj);
    front.push_back(entry);
  }
  return front;
}

}  // namespace

nlohmann::json make_summary(const RunConfig& config, const RunSummary& totals,
                            const std::vector<const Candidate*>& evaluated, const nlohmann::json& extra) {
  std::vector<const Candidate*> ok;
  for (const Candidate* c : evaluated)
    if (c->result.ok) ok.push_back(c);
  // Rank by validation accuracy; the index breaks ties so the order is deterministic.
  std::sort(ok.begin(), ok.end(), [](const Candidate* a, const Candidate* b) {
    if (a->result.validation_accuracy != b->result.validation_accuracy)
      return a->result.validation_accuracy > b->result.validation_accuracy;
    return a->index < b->index;
  });
  nlohmann::json j = extra;
  j["run_dir"] = totals.run_dir;
  j["config"] = config.path;
  j["seed"] = config.search.seed;
  j["evaluated"] = totals.evaluated;
  j["failed"] = totals.failed;
  j["rejected_before_training"] = totals.rejected;
  j["duplicates"] = totals.duplicates;
  j["stopped_early"] = totals.stopped_early;
  if (totals.stopped_early) j["stop_reason"] = totals.stop_reason;
  j["best"] = ok.empty() ? nlohmann::json(nullptr) : brief(*ok.front());
  j["ranking"] = nlohmann::json::array();
  for (const Candidate* c : ok) j["ranking"].push_back(brief(*c));
  j["pareto"] = nlohmann::json::object();
  for (size_t t = 0; t < config.targets.size(); ++t) j["pareto"][config.targets[t].mcu.name] = target_front(ok, t);
  return j;
}

}  // namespace hwnas
