// This file implements the report's plot sections: per target board, int8 validation
// accuracy against latency, peak RAM and flash (Pareto points, other feasible ones,
// trained ones that do not fit and baselines told apart, budgets as lines, each point
// linked to its trial-table row), and the search's progress (best int8 validation
// accuracy per target over the evaluations, by stage; feasible share; evaluations per
// fidelity).
#pragma once

#include <string>

#include "search/report_data.hpp"

namespace hwnas {

/// <section id="fronts">: one block per target with three plots.
std::string fronts_section(const ReportData& data);

/// <section id="progress">: the progress plot and the proposal and fidelity tables.
std::string progress_section(const ReportData& data);

}  // namespace hwnas
