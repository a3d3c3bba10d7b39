// This file implements summary.json: the run's totals, the best candidate and, per
// target, the Pareto set of (validation accuracy, RAM, flash).
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "search/candidate.hpp"
#include "search/run_search.hpp"

namespace hwnas {

nlohmann::json make_summary(const RunConfig& config, const RunSummary& totals,
                            const std::vector<const Candidate*>& evaluated, const nlohmann::json& extra);

}  // namespace hwnas
