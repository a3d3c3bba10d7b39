// This file implements the report's plots of accuracy against costs: per target board,
// int8 validation accuracy against latency, peak RAM and flash (Pareto points, other
// feasible ones, trained ones that do not fit and baselines told apart, budgets as lines,
// each point linked to its trial-table row), with the networks rejected before training
// (rejected.jsonl) as crosses in a band below each plot, at their cost.
#pragma once

#include <string>

#include "search/report_data.hpp"

namespace hwnas {

/// <section id="fronts">: one block per target with three plots.
std::string fronts_section(const ReportData& data);

}  // namespace hwnas
