// This file implements the report's search-progress section: the best int8 validation
// accuracy per target against evaluations and against wall time, by stage (search,
// promotions, final); the feasible share of the proposals as the search went; the
// hypervolume over the evaluations (report_hypervolume.hpp); the proposal totals and the
// evaluations per fidelity. The series come from report_series.hpp.
#pragma once

#include <string>

#include "search/report_data.hpp"

namespace hwnas {

/// <section id="progress">: the progress plots and the proposal and fidelity tables.
std::string progress_section(const ReportData& data);

}  // namespace hwnas
