// This file implements the per-target Pareto archive of a search and pareto.json: for
// every target board, the evaluated candidates that fit it and that no other fitting
// candidate beats in int8 validation accuracy and the search's cost objectives
// (search.objectives: latency, RAM and flash by default). Rewritten atomically after
// every result.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "search/candidate.hpp"
#include "search/run_config.hpp"
#include "search/run_directory.hpp"

namespace hwnas {

/// The front of target `target` (an index into config.targets) among `evaluated` over
/// int8 validation accuracy and the cost objectives (search.objectives) on that target,
/// by descending int8 validation accuracy (then index). Only candidates that fit the
/// target and reach search.min_accuracy take part.
std::vector<const Candidate*> front_members(const std::vector<const Candidate*>& evaluated, size_t target,
                                           const SearchConfig& search);
/// front_members as pareto.json writes it: one entry per candidate (id, index, accuracies,
/// every cost).
nlohmann::json target_front(const std::vector<const Candidate*>& evaluated, size_t target,
                            const SearchConfig& search);

/// {"targets": [{mcu, runtime, budgets, objectives, front}]} for every target.
nlohmann::json pareto_report(const RunConfig& config, const std::vector<Candidate>& evaluated);

/// Writes pareto_report() to <run dir>/pareto.json.
void write_pareto_report(const RunDirectory& dir, const RunConfig& config, const std::vector<Candidate>& evaluated);

/// The brief form of a candidate used by reports (id, index, float and int8 accuracies).
nlohmann::json candidate_brief(const Candidate& c);

}  // namespace hwnas
