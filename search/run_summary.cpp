// This file implements summary.json (see run_summary.hpp).
#include "search/run_summary.hpp"

#include <algorithm>

#include "search/pareto_report.hpp"

namespace hwnas {

nlohmann::json make_summary(const RunConfig& config, const RunSummary& totals,
                            const std::vector<const Candidate*>& evaluated, const nlohmann::json& extra) {
  std::vector<const Candidate*> ok;
  for (const Candidate* c : evaluated)
    if (c->scores.ok()) ok.push_back(c);
  // Rank by int8 validation accuracy; the index breaks ties so the order is deterministic.
  std::sort(ok.begin(), ok.end(), [](const Candidate* a, const Candidate* b) {
    const double sa = selection_accuracy(*a), sb = selection_accuracy(*b);
    return sa != sb ? sa > sb : a->index < b->index;
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
  j["stop_reason"] = totals.stop_reason;
  j["problems"] = totals.problems;
  j["strategy"] = strategy_name(config.search.strategy);
  j["best"] = ok.empty() ? nlohmann::json(nullptr) : candidate_brief(*ok.front());
  j["ranking"] = nlohmann::json::array();
  for (const Candidate* c : ok) j["ranking"].push_back(candidate_brief(*c));
  j["pareto"] = nlohmann::json::object();
  for (size_t t = 0; t < config.targets.size(); ++t) j["pareto"][config.targets[t].mcu.name] = target_front(ok, t, config.search);
  return j;
}

}  // namespace hwnas
