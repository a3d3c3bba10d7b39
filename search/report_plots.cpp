// This file implements the report's plot sections (see report_plots.hpp).
#include "search/report_plots.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "search/rejection_log.hpp"
#include "search/report_html.hpp"
#include "search/report_svg.hpp"

namespace hwnas {

namespace {

// One cost axis of the front plots.
struct CostAxis {
  const char* name;   ///< in titles
  const char* label;  ///< the axis title, with its unit
  double scale;       ///< data value / scale = plotted value (bytes to KB)
  std::optional<double> TrialCost::*value;
  std::optional<double> ReportTarget::*budget;
};

const CostAxis kCostAxes[] = {
    {"latency", "latency (ms)", 1.0, &TrialCost::latency_ms, &ReportTarget::max_latency_ms},
    {"peak RAM", "peak RAM (KB)", 1024.0, &TrialCost::ram_bytes, &ReportTarget::max_ram_bytes},
    {"flash", "flash (KB)", 1024.0, &TrialCost::flash_bytes, &ReportTarget::max_flash_bytes},
};

// Whether `t` is the evaluation pareto.json names on `target`'s front (the same id and,
// when the front gives it, the same accuracy: an earlier rung of the model is not).
bool on_front(const Trial& t, const ReportTarget& target) {
  for (const auto& [id, accuracy] : target.front)
    if (id == t.id && (!accuracy || !t.val_int8 || std::abs(*accuracy - *t.val_int8) < 1e-9)) return true;
  return false;
}

// The trials a target's plots show: trained to an int8 accuracy, with this target's costs.
std::vector<const Trial*> plotted(const ReportData& data, const ReportTarget& target) {
  std::vector<const Trial*> out;
  for (const Trial& t : data.trials)
    if (t.val_int8 && *t.val_int8 >= 0 && t.costs.count(target.mcu)) out.push_back(&t);
  return out;
}

std::string point_class(const Trial& t, const ReportTarget& target) {
  if (on_front(t, target)) return "pp";
  const auto& fits = t.costs.at(target.mcu).fits;
  return fits && !*fits ? "pn" : "pf";
}

// The rejected networks drawn per plot at most: a page stays small however many a run logs.
constexpr size_t kMaxRejectedDrawn = 250;

// The networks of rejected.jsonl that have a value on `axis` for `target`, up to kMaxRejectedDrawn.
std::vector<std::pair<const RejectedNetwork*, double>> rejected_on(const ReportData& data, const ReportTarget& target,
                                                                    const CostAxis& axis) {
  std::vector<std::pair<const RejectedNetwork*, double>> out;
  for (const RejectedNetwork& n : data.rejected_networks) {
    const auto cost = n.costs.find(target.mcu);
    if (cost == n.costs.end() || !(cost->second.*axis.value)) continue;
    out.emplace_back(&n, *(cost->second.*axis.value) / axis.scale);
    if (out.size() == kMaxRejectedDrawn) break;
  }
  return out;
}

// Rejected networks have no accuracy: crosses in a band below the plot, at their cost.
void draw_rejected(SvgPlot& plot, const std::vector<std::pair<const RejectedNetwork*, double>>& rejected,
                   const CostAxis& axis) {
  size_t beyond = 0;
  for (const auto& [n, x] : rejected) {
    const bool off = x > plot.x_span().hi;
    beyond += off ? 1 : 0;
    plot.strip_mark(x, "pr",
                    fmt::format("rejected before training: {}, {} {}{}; {}", n->id, axis.name, short_number(x),
                                off ? " (beyond the axis)" : "", n->reason.empty() ? "no reason recorded" : n->reason),
                    "rejected");
  }
  if (beyond > 0) plot.note(fmt::format("{} rejected beyond the axis", beyond));
}

std::string cost_plot(const ReportData& data, const ReportTarget& target, const std::vector<const Trial*>& trials,
                      const CostAxis& axis) {
  std::vector<double> xs, ys;
  for (const Trial* t : trials)
    if (const auto v = t->costs.at(target.mcu).*axis.value) {
      xs.push_back(*v / axis.scale);
      ys.push_back(*t->val_int8 * 100.0);
    }
  const auto rejected = rejected_on(data, target, axis);
  const std::optional<double> budget = target.*axis.budget;
  const std::optional<double> limit =
      budget ? std::optional<double>(*budget * (1.0 - target.safety_margin) / axis.scale) : std::nullopt;
  // A budget far beyond every point would squeeze them into a corner: then it is a note.
  const double data_max = xs.empty() ? 0.0 : *std::max_element(xs.begin(), xs.end());
  const bool budget_drawn = limit && (xs.empty() || *limit <= 2.5 * data_max);
  // The rejected networks widen the axis as far as the budget may (2.5 times the rest),
  // so that they show how far beyond the budget they are; farther ones sit at its end.
  const double reach = 2.5 * std::max(data_max, budget_drawn ? *limit : 0.0);
  for (const auto& [n, value] : rejected)
    if (reach <= 0 || value <= reach) xs.push_back(value);
  Span x = Span::of(xs, budget_drawn ? limit : std::nullopt);
  x.lo = std::min(x.lo, 0.0);
  SvgPlot plot(kPlotWidth, kPlotHeight, x, Span::of(ys), axis.label, "int8 val. accuracy (%)");
  draw_rejected(plot, rejected, axis);
  if (budget_drawn)
    plot.rule(*limit, true, "budget", fmt::format("budget {}", short_number(*limit)));
  else if (limit)
    plot.note(fmt::format("budget {} {} (off the chart)", short_number(*limit), axis.scale > 1 ? "KB" : "ms"));
  // Drawn in layers so that Pareto points and baselines stay on top.
  for (const char* layer : {"pn", "pf", "pp"})
    for (const Trial* t : trials) {
      const auto v = t->costs.at(target.mcu).*axis.value;
      if (!v || point_class(*t, target) != layer) continue;
      plot.point(*v / axis.scale, *t->val_int8 * 100.0, layer,
                 trial_caption(*t) + fmt::format(", {} {}", axis.name, short_number(*v / axis.scale)),
                 "#" + trial_anchor(*t));
    }
  for (const Trial* t : trials)
    if (const auto v = t->costs.at(target.mcu).*axis.value; v && t->baseline)
      plot.point(*v / axis.scale, *t->val_int8 * 100.0, "pb", trial_caption(*t), "#" + trial_anchor(*t), 7);
  return plot.svg(fmt::format("{}: int8 validation accuracy against {}", target.mcu, axis.name));
}

std::string legend() {
  const auto swatch = [](const char* css_class, const char* text) {
    return fmt::format(R"(<span class="key"><svg width="14" height="14"><circle cx="7" cy="7" r="{}" class="{}"/></svg> {}</span>)",
                       std::string(css_class) == "pb" ? 5 : 4, css_class, text);
  };
  return "<p class=\"legend\">" + swatch("pp", "on the Pareto front (pareto.json)") +
         swatch("pf", "other feasible") + swatch("pn", "trained, does not fit this target's budgets") +
         swatch("pb", "baseline (search.initial_architectures)") +
         "<span class=\"key\"><svg width=\"14\" height=\"14\"><path d=\"M4 4l6 6m0 -6l-6 6\" class=\"pr\"/></svg> "
         "rejected before training (no accuracy: in the band below, at its cost)</span>" +
         "<span class=\"key\"><svg width=\"18\" height=\"14\"><line x1=\"9\" x2=\"9\" y1=\"0\" y2=\"14\" class=\"budget\"/></svg> "
         "budget &times; (1 &minus; safety margin)</span></p>\n";
}

std::string rejected_line(const ReportData& data) {
  const std::string count = data.rejected ? show_count(double(*data.rejected)) : std::string(kMissing);
  std::string out = "<p>Candidates rejected before training (they do not fit every target, or use too little of a "
                    "budget under search.min_budget_use): " + count + ". ";
  if (!data.has_rejection_log)
    return out + "This run directory has no " + kRejectionFile + " (a run of an older version), so none is drawn.</p>\n";
  return out + fmt::format("{} of them, each once, are in {} (a run logs at most the first {}); up to {} are drawn "
                           "per plot, as crosses in the band below it at their cost on that target.</p>\n",
                           data.rejected_networks.size(), kRejectionFile, RejectionLog::kMaxLines, kMaxRejectedDrawn);
}

}  // namespace

std::string fronts_section(const ReportData& data) {
  std::string out = "<section id=\"fronts\"><h2>Accuracy against costs, per target</h2>\n" + legend() + rejected_line(data);
  if (!data.has_pareto) out += "<p>No pareto.json yet (a run that has just started): no point is marked as Pareto.</p>\n";
  if (data.targets.empty()) out += "<p>No targets: neither pareto.json, config.json nor history.jsonl names one.</p>\n";
  for (const ReportTarget& target : data.targets) {
    const auto trials = plotted(data, target);
    out += fmt::format("<div class=\"target\" id=\"target-{0}\"><h3>{0}{1}</h3>\n", escape_html(target.mcu),
                       target.runtime.empty() ? "" : " (" + escape_html(target.runtime) + ")");
    out += fmt::format("<p>{} evaluations with an int8 accuracy; {} on the Pareto front.</p>\n<div class=\"plots\">\n",
                       trials.size(), target.front.size());
    for (const CostAxis& axis : kCostAxes) out += cost_plot(data, target, trials, axis);
    out += "</div></div>\n";
  }
  return out + "</section>\n";
}

}  // namespace hwnas
