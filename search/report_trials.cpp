// This file implements the report's trial table (see report_trials.hpp).
#include "search/report_trials.hpp"

#include <fmt/format.h>

#include "search/report_html.hpp"
#include "search/report_svg.hpp"

namespace hwnas {

namespace {

// The columns of each target, after the common ones.
constexpr int kTargetColumns = 5;

// Columns the script sorts as text (ids look like numbers: "6fed1378...").
const char* text_sorted(const std::string& name) {
  return name == "id" || name == "stage" || name == "status" || name == "fits" ? " data-kind=\"text\"" : "";
}

std::string header(const ReportData& data) {
  // data-col: the column a header sorts (the two header rows do not say it by position).
  std::string first = "<tr>";
  int column = 0;
  for (const char* name : {"#", "id", "stage", "rung", "epochs", "samples", "status", "val %", "int8 val %",
                           "int8 test %", "params", "MACs"})
    first += fmt::format("<th rowspan=\"2\" data-col=\"{}\"{}>{}</th>", column++, text_sorted(name), name);
  std::string second = "<tr>";
  for (const ReportTarget& t : data.targets) {
    first += fmt::format("<th colspan=\"{}\" class=\"grp\">{}</th>", kTargetColumns, escape_html(t.mcu));
    for (const char* name : {"RAM KB", "flash KB", "latency ms", "energy \u00b5J", "fits"})
      second += fmt::format("<th data-col=\"{}\"{}>{}</th>", column++, text_sorted(name), name);
  }
  return "<thead>" + first + "</tr>\n" + second + "</tr></thead>\n";
}

std::string latency_text(const TrialCost& c) {
  std::string s = show(c.latency_ms, 2);
  if (c.latency_low_ms && c.latency_high_ms) s += " (" + show(c.latency_low_ms, 2) + "\u2013" + show(c.latency_high_ms, 2) + ")";
  return s;
}

std::string row(const ReportData& data, const Trial& t) {
  std::string r = fmt::format("<tr id=\"{}\"{}>", trial_anchor(t), t.baseline ? " class=\"base\"" : "");
  r += cell(t.index ? std::to_string(*t.index) : kMissing);
  // A Pareto model's id links to its details.
  const std::string id = escape_html(t.id.empty() ? kMissing : t.id) + (t.baseline ? " (baseline)" : "");
  r += data.models.count(t.id) ? fmt::format("<td><a href=\"#{}\">{}</a></td>", model_anchor(t.id), id)
                               : "<td>" + id + "</td>";
  r += cell(t.stage.empty() ? kMissing : t.stage) + cell(std::to_string(t.rung)) + cell(show(t.epochs, 0)) +
       cell(show_count(t.train_samples)) + cell(t.status.empty() ? kMissing : t.status) + cell(show_percent(t.val_float)) +
       cell(show_percent(t.val_int8)) + cell(show_percent(t.test_int8)) + cell(show_count(t.params)) +
       cell(show_count(t.macs));
  for (const ReportTarget& target : data.targets) {
    const auto it = t.costs.find(target.mcu);
    if (it == t.costs.end()) {
      for (int k = 0; k < kTargetColumns; ++k) r += cell(kMissing);
      continue;
    }
    const TrialCost& c = it->second;
    r += cell(show_kb(c.ram_bytes)) + cell(show_kb(c.flash_bytes)) + cell(latency_text(c)) + cell(show(c.energy_uj, 1)) +
         cell(c.fits ? (*c.fits ? "yes" : "no") : kMissing);
  }
  return r + "</tr>\n";
}

}  // namespace

std::string trials_section(const ReportData& data) {
  std::string out = fmt::format(
      "<section id=\"trials\"><h2>Trials</h2>\n<p>{} evaluations (one row per history.jsonl line; a candidate "
      "promoted or retrained has a row per rung). Accuracies are percentages; the int8 test accuracy is reported, "
      "never used to select. Click a column header to sort (with JavaScript on).</p>\n",
      data.trials.size());
  out += "<div class=\"scroll\"><table class=\"trials sortable\">\n" + header(data) + "<tbody>\n";
  for (const Trial& t : data.trials) out += row(data, t);
  return out + "</tbody></table></div></section>\n";
}

}  // namespace hwnas
