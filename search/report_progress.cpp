// This file implements the report's search-progress section (see report_progress.hpp).
#include "search/report_progress.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "search/report_html.hpp"
#include "search/report_hypervolume.hpp"
#include "search/report_series.hpp"
#include "search/report_svg.hpp"

namespace hwnas {

namespace {

// A unit for elapsed wall time that keeps the axis' numbers short.
struct TimeUnit {
  double seconds;
  const char* name;
};

TimeUnit time_unit(double longest_seconds) {
  if (longest_seconds > 3 * 3600.0) return {3600.0, "h"};
  if (longest_seconds > 3 * 60.0) return {60.0, "min"};
  return {1.0, "s"};
}

std::string best_line_keys(const ReportData& data) {
  std::string keys = "<p class=\"legend\">";
  for (size_t k = 0; k < data.targets.size(); ++k)
    keys += fmt::format(R"(<span class="key"><svg width="22" height="10"><line x1="0" x2="22" y1="5" y2="5" class="best s{}"/></svg> best that fits {}</span>)",
                        k % 4, escape_html(data.targets[k].mcu));
  return keys + "<span class=\"key\"><svg width=\"14\" height=\"14\"><circle cx=\"7\" cy=\"7\" r=\"3\" class=\"pe\"/></svg> "
                "one evaluation</span></p>\n";
}

// Every evaluation's int8 accuracy at its x, the best that fits each target as a step line,
// the stage changes as dotted lines. `x` in plotted units; `rule_offset` moves the stage
// lines off the first evaluation of a stage (half a step against evaluations).
std::string accuracy_plot(const ReportData& data, const std::vector<std::optional<double>>& x,
                          const std::string& x_label, double rule_offset, const std::string& label) {
  std::vector<double> xs, ys;
  for (size_t i = 0; i < data.trials.size(); ++i) {
    if (!x[i]) continue;
    xs.push_back(*x[i]);
    if (data.trials[i].val_int8 && *data.trials[i].val_int8 >= 0) ys.push_back(*data.trials[i].val_int8 * 100.0);
  }
  SvgPlot plot(2 * kPlotWidth, kPlotHeight, Span::of(xs, 0.0), Span::of(ys), x_label, "int8 val. accuracy (%)");
  for (const auto& [at, stage] : stage_changes(data, x))
    plot.rule(at - rule_offset, true, "stage", stage.empty() ? "?" : stage);
  for (size_t i = 0; i < data.trials.size(); ++i) {
    const Trial& t = data.trials[i];
    if (x[i] && t.val_int8 && *t.val_int8 >= 0)
      plot.point(*x[i], *t.val_int8 * 100.0, t.baseline ? "pb" : "pe", trial_caption(t), "#" + trial_anchor(t), 2.5);
  }
  for (size_t k = 0; k < data.targets.size(); ++k)
    plot.polyline(best_fitting_so_far(data, data.targets[k], x), "best s" + std::to_string(k % 4),
                  "best fitting " + data.targets[k].mcu);
  return plot.svg(label);
}

std::string wall_time_plot(const ReportData& data) {
  std::vector<std::optional<double>> elapsed = elapsed_seconds(data);
  double longest = 0;
  size_t timed = 0;
  for (const auto& e : elapsed)
    if (e) longest = std::max(longest, *e), ++timed;
  if (timed == 0)
    return "<p>Against wall time: - (no history line records when it finished: a run of an older version).</p>\n";
  const TimeUnit unit = time_unit(longest);
  for (auto& e : elapsed)
    if (e) *e /= unit.seconds;
  std::string out = accuracy_plot(data, elapsed, fmt::format("wall time since the first result ({})", unit.name), 0.0,
                                  "best int8 validation accuracy per target against wall time");
  out += "<p>Wall time from the first recorded result to each result (history.jsonl's <code>finished_at</code>); "
         "a stopped and resumed run's pause is part of it";
  if (timed < data.trials.size())
    out += fmt::format("; {} of the {} evaluations record no time and are left out", data.trials.size() - timed,
                       data.trials.size());
  return out + ".</p>\n";
}

std::string feasible_share_plot(const ReportData& data) {
  const Series share = feasible_share_series(data);
  if (share.empty())
    return "<p>Feasible share over the search: - (no search result records its proposal counts: a run of an older "
           "version, or none finished yet).</p>\n";
  std::vector<double> xs;
  for (const auto& [x, y] : share) xs.push_back(x);
  SvgPlot plot(kPlotWidth, kPlotHeight, Span::of(xs, 0.0), Span{0.0, 100.0}, "search candidates proposed",
               "feasible share (%)");
  plot.polyline(share, "best s0", "share of the draws that fit every target");
  for (const auto& [x, y] : share)
    plot.point(x, y, "pe", fmt::format("after candidate {}: {:.1f} % of the draws fit every target", int(x) - 1, y), "",
               2.5);
  return plot.svg("feasible share of the proposals against search candidates proposed");
}

std::string proposals_table(const ReportData& data) {
  std::string out = "<table class=\"small\"><tr><th>proposals</th><th>count</th></tr>\n";
  const auto row = [&](const char* what, std::optional<int64_t> v) {
    out += "<tr>" + cell(what) + cell(v ? show_count(double(*v)) : kMissing) + "</tr>\n";
  };
  row("accepted (fit every target)", data.accepted);
  row("duplicates (proposed before)", data.duplicates);
  row("rejected before training", data.rejected);
  std::optional<double> share;
  if (data.accepted && data.rejected)
    share = feasible_share(ProposalCounts{*data.accepted, *data.rejected, data.duplicates.value_or(0)});
  out += "<tr>" + cell("feasible share") + cell(share ? show_percent(share) + " %" : kMissing) + "</tr></table>\n";
  return out;
}

std::string fidelity_table(const ReportData& data) {
  // (stage, epochs, train samples) -> evaluations, failed ones, training seconds.
  std::map<std::tuple<int, std::string, double, double>, std::tuple<int, int, double>> groups;
  for (const Trial& t : data.trials) {
    auto& [count, failed, seconds] = groups[{t.rung, t.stage, t.epochs.value_or(-1), t.train_samples.value_or(-1)}];
    ++count;
    failed += t.status == "ok" ? 0 : 1;
    seconds += t.train_seconds.value_or(0.0);
  }
  std::string out = "<table class=\"small\">" +
                    header_row({"rung", "stage", "epochs", "train samples", "evaluations", "failed", "mean training s"}) +
                    "\n";
  for (const auto& [key, value] : groups) {
    const auto& [rung, stage, epochs, samples] = key;
    const auto& [count, failed, seconds] = value;
    const auto known = [](double v) { return v < 0 ? std::optional<double>() : std::optional<double>(v); };
    out += "<tr>" + cell(std::to_string(rung)) + cell(stage.empty() ? kMissing : stage) +
           cell(show(known(epochs), 0)) + cell(show_count(known(samples))) + cell(std::to_string(count)) +
           cell(std::to_string(failed)) + cell(show(seconds / count, 2)) + "</tr>\n";
  }
  return out + "</table>\n";
}

}  // namespace

std::string progress_section(const ReportData& data) {
  std::string out = "<section id=\"progress\"><h2>Search progress</h2>\n";
  out += "<h3>Against evaluations</h3>\n" +
         accuracy_plot(data, history_rows(data), "evaluation (history.jsonl line)", 0.5,
                       "best int8 validation accuracy per target against evaluations") +
         best_line_keys(data);
  out += "<h3>Against wall time</h3>\n" + wall_time_plot(data);
  out += "<p>The whole run took " +
         (data.wall_seconds ? show(*data.wall_seconds, 0) + " s (summary.json)" : std::string("- (no summary.json yet)")) +
         ".</p>\n";
  out += "<h3>Feasible share</h3>\n" + feasible_share_plot(data);
  out += "<p>After each search candidate: of all the networks drawn so far (for it and before it), the share that "
         "fit every target; a duplicate was feasible when first drawn and counts as such.</p>\n";
  out += "<h3>Hypervolume</h3>\n" + hypervolume_plot(data);
  out += "<h3>Proposals and fidelities</h3>\n<div class=\"plots\">" + proposals_table(data) + fidelity_table(data) +
         "</div>\n";
  return out + "</section>\n";
}

}  // namespace hwnas
