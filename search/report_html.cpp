// This file implements the report's shared HTML helpers (see report_html.hpp).
#include "search/report_html.hpp"

#include <cmath>

#include <fmt/format.h>

#include "search/report_svg.hpp"

namespace hwnas {

std::string show(std::optional<double> v, int decimals) {
  if (!v || !std::isfinite(*v)) return kMissing;
  return fmt::format("{:.{}f}", *v, decimals);
}

std::string show_percent(std::optional<double> v) {
  // Histories mark "not measured" with -1 (e.g. val_accuracy_int8_qat without QAT).
  if (!v || *v < 0) return kMissing;
  return show(*v * 100.0, 1);
}

std::string show_kb(std::optional<double> bytes) { return bytes ? show(*bytes / 1024.0, 1) : kMissing; }

std::string show_count(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return kMissing;
  std::string digits = fmt::format("{:.0f}", std::abs(*v));
  for (int at = int(digits.size()) - 3; at > 0; at -= 3) digits.insert(size_t(at), "\u2009");
  return (*v < 0 ? "-" : "") + digits;
}

std::string cell(const std::string& text) { return "<td>" + escape_html(text) + "</td>"; }

std::string header_row(const std::vector<std::string>& names) {
  std::string row = "<tr>";
  for (const auto& n : names) row += "<th>" + escape_html(n) + "</th>";
  return row + "</tr>";
}

std::string trial_anchor(const Trial& t) { return "trial-" + std::to_string(t.row); }
std::string model_anchor(const std::string& id) { return "model-" + id; }

std::string trial_caption(const Trial& t) {
  std::string s = (t.id.empty() ? std::string("(no id)") : t.id) + " #" + (t.index ? std::to_string(*t.index) : "?");
  if (!t.stage.empty()) s += " " + t.stage;
  if (t.epochs) s += fmt::format(", {:.0f} ep", *t.epochs);
  s += ", int8 val " + show_percent(t.val_int8) + "%";
  if (t.baseline) s += ", baseline";
  return s;
}

const Trial* latest_trial(const ReportData& data, const std::string& id) {
  const Trial* latest = nullptr;
  for (const Trial& t : data.trials)
    if (t.id == id && (!latest || t.rung >= latest->rung)) latest = &t;
  return latest;
}

}  // namespace hwnas
