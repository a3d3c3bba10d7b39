// This file implements the small HTML helpers the report's sections share: how a value
// that may be missing is shown ("-"), table cells and headers, and links to table rows.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "search/report_data.hpp"

namespace hwnas {

/// What a missing value shows as.
inline constexpr const char* kMissing = "-";

/// `v` with `decimals` decimals, or "-".
std::string show(std::optional<double> v, int decimals);
/// An accuracy (a share) as a percentage with one decimal, or "-".
std::string show_percent(std::optional<double> v);
/// Bytes as KB (1024) with one decimal, or "-".
std::string show_kb(std::optional<double> bytes);
/// A count with thousands separated by a thin space, or "-".
std::string show_count(std::optional<double> v);

/// "<td>text</td>" with `text` escaped.
std::string cell(const std::string& text);
/// "<tr><th>..</th>...</tr>" for the header names, escaped.
std::string header_row(const std::vector<std::string>& names);

/// The anchor of a trial's row in the trial table ("trial-12") and of a Pareto model's section.
std::string trial_anchor(const Trial& t);
std::string model_anchor(const std::string& id);

/// The trial's one-line description used in tooltips: id, stage, fidelity, accuracy.
std::string trial_caption(const Trial& t);

/// The last trial (highest rung, latest line) of `id`, or nullptr.
const Trial* latest_trial(const ReportData& data, const std::string& id);

}  // namespace hwnas
