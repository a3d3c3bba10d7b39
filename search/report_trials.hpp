// This file implements the report's trial table: one row per evaluation in history.jsonl
// (id, stage, fidelity, float and int8 accuracies, size, and per target RAM, flash,
// latency with its interval, energy and whether it fits). Each row is the anchor the
// plots' points link to; the page's script sorts it by a clicked column.
#pragma once

#include <string>

#include "search/report_data.hpp"

namespace hwnas {

/// <section id="trials"> with the table.
std::string trials_section(const ReportData& data);

}  // namespace hwnas
