// This file implements the merge of several runs' Pareto sets into one, for a job array
// of independent searches (other seeds, other targets): per target board and runtime,
// every front entry of every run, and the ones no other entry dominates over the runs'
// objectives. Each entry keeps the run directory its files are in, so `nas-run export
// RUN_DIR --ids ID` deploys it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hwnas {

/// {"runs": [...], "targets": [{mcu, runtime, objectives, runs, front: [entry + run_dir]}]}.
/// A network in several runs' fronts counts once, with its most accurate result.
/// @throws UserError naming a run without pareto.json, or runs whose fronts of one target
/// rank by different objectives.
nlohmann::json merge_fronts(const std::vector<std::string>& run_dirs);

}  // namespace hwnas
