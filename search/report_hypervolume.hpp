// This file implements the report's hypervolume curve: per target board, how much of the
// objective space the feasible evaluations so far dominate, after each stretch of the
// search. The objectives are those bench/search_quality scores a search by, all minimised
// and unitless: 1 - int8 validation accuracy, and latency, peak RAM and flash each over
// the target's budget (over the largest value seen when the target sets no budget),
// against the reference point 1 in every objective.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "search/report_data.hpp"

namespace hwnas {

/// (evaluations so far, hypervolume) at up to `samples` evenly spaced points of the
/// history, for `target`: the trials that fit it, with an int8 accuracy and its costs.
std::vector<std::pair<double, double>> hypervolume_curve(const ReportData& data, const ReportTarget& target,
                                                         int samples = 60);

/// The curves of every target as one SVG plot with its legend (HTML).
std::string hypervolume_plot(const ReportData& data);

}  // namespace hwnas
