// This file implements the history record of a candidate (see candidate.hpp).
#include "search/candidate.hpp"

#include <algorithm>

#include "search/target_budgets.hpp"

namespace hwnas {

nlohmann::json costs_json(const std::vector<TargetCost>& costs) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& c : costs)
    j[c.mcu] = {{"runtime", c.runtime},
                {"flash_bytes", c.costs.flash.total()},
                {"model_bytes", model_bytes(c.costs)},
                {"ram_bytes", c.costs.ram.total()},
                {"latency_ms", c.costs.latency_ms},
                {"energy_uj", c.costs.energy_uj < 0 ? nlohmann::json(nullptr) : nlohmann::json(c.costs.energy_uj)},
                {"fits", c.fits}};
  return j;
}

nlohmann::json candidate_record(const Candidate& c) {
  nlohmann::json j = c.scores;
  j["index"] = c.index;
  j["id"] = c.identity;
  j["genome"] = c.genome;
  j["seed"] = c.seed;
  j["params"] = c.arch.total_params();
  j["macs"] = c.arch.total_macs();
  j["layers"] = c.arch.size();
  j["costs"] = costs_json(c.costs);
  j["rung"] = c.rung;
  j["stage"] = c.stage;
  j["fidelity"] = fidelity_json(c.fidelity);
  if (c.proposals) j["proposals_so_far"] = *c.proposals;
  if (!c.finished_at.empty()) j["finished_at"] = c.finished_at;
  return j;
}

nlohmann::json fidelity_json(const FidelitySpec& f) {
  return {{"epochs", f.epochs}, {"train_samples", f.train_samples}, {"learning_rate", f.learning_rate}};
}

void restore_results(const nlohmann::json& record, Candidate& c) {
  c.rung = record.value("rung", 0);
  c.stage = record.value("stage", "search");
  const auto& fidelity = record.at("fidelity");
  // Histories written before fidelities had their own learning rate hold none: 0.
  c.fidelity = {fidelity.at("epochs").get<int>(), fidelity.at("train_samples").get<int64_t>(),
                fidelity.value("learning_rate", 0.0)};
  c.scores = record.get<EvaluationScores>();
  // Histories written before these fields existed have neither.
  if (record.contains("proposals_so_far")) c.proposals = record["proposals_so_far"].get<ProposalCounts>();
  c.finished_at = record.value("finished_at", "");
}

bool reaches_accuracy_floor(const Candidate& c, double min_accuracy) {
  return selection_accuracy(c) >= std::max(0.0, min_accuracy);
}

}  // namespace hwnas
