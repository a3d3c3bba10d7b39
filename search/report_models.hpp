// This file implements the report's section on the Pareto models: for each model on some
// target's front, its float and int8 accuracies, and per target its per-layer costs (op,
// output shape, MACs, parameters, latency, live activation bytes), the flash and RAM
// breakdowns and the arena plan drawn as a timeline (each buffer a rectangle over the
// operator steps it lives through, at its offset; the peak marked), all from
// models/<id>/cost_report.json; and links to its exported files.
#pragma once

#include <string>

#include "search/report_data.hpp"

namespace hwnas {

/// <section id="models">. `link_prefix` leads from the report's folder to the run
/// directory ("" when the report is in it), for the links to exported files.
std::string models_section(const ReportData& data, const std::string& link_prefix);

}  // namespace hwnas
