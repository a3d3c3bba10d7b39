// This file implements the report's plot sections (see report_plots.hpp).
#include "search/report_plots.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "search/report_html.hpp"
#include "search/report_hypervolume.hpp"
#include "search/report_svg.hpp"

namespace hwnas {

namespace {

constexpr int kPlotWidth = 400, kPlotHeight = 280;

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

std::string cost_plot(const ReportTarget& target, const std::vector<const Trial*>& trials, const CostAxis& axis) {
  std::vector<double> xs, ys;
  for (const Trial* t : trials)
    if (const auto v = t->costs.at(target.mcu).*axis.value) {
      xs.push_back(*v / axis.scale);
      ys.push_back(*t->val_int8 * 100.0);
    }
  const std::optional<double> budget = target.*axis.budget;
  const std::optional<double> limit =
      budget ? std::optional<double>(*budget * (1.0 - target.safety_margin) / axis.scale) : std::nullopt;
  // A budget far beyond every point would squeeze them into a corner: then it is a note.
  const double data_max = xs.empty() ? 0.0 : *std::max_element(xs.begin(), xs.end());
  const bool budget_drawn = limit && (xs.empty() || *limit <= 2.5 * data_max);
  Span x = Span::of(xs, budget_drawn ? limit : std::nullopt);
  x.lo = std::min(x.lo, 0.0);
  SvgPlot plot(kPlotWidth, kPlotHeight, x, Span::of(ys), axis.label, "int8 val. accuracy (%)");
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
         "<span class=\"key\"><svg width=\"18\" height=\"14\"><line x1=\"9\" x2=\"9\" y1=\"0\" y2=\"14\" class=\"budget\"/></svg> "
         "budget &times; (1 &minus; safety margin)</span></p>\n";
}

std::string rejected_line(const ReportData& data) {
  if (!data.rejected) return "<p>Candidates rejected before training: - (not recorded in this run directory).</p>\n";
  return fmt::format("<p>{} candidates were rejected before training (they do not fit every target); they have no "
                     "accuracy, so they are counted here, not plotted.</p>\n",
                     show_count(double(*data.rejected)));
}

// ---- progress -----------------------------------------------------------------------

// The best int8 validation accuracy among the trials so far that fit `target`, per trial.
std::vector<std::pair<double, double>> best_so_far(const ReportData& data, const ReportTarget& target) {
  std::vector<std::pair<double, double>> line;
  double best = -1;
  for (const Trial& t : data.trials) {
    const auto cost = t.costs.find(target.mcu);
    const bool fits = cost != t.costs.end() && cost->second.fits.value_or(true);
    if (fits && t.val_int8 && *t.val_int8 > best) {
      if (best >= 0) line.emplace_back(t.row, best * 100.0);  // a step, not a slope
      best = *t.val_int8;
    }
    if (best >= 0) line.emplace_back(t.row, best * 100.0);
  }
  return line;
}

std::string progress_plot(const ReportData& data) {
  std::vector<double> xs, ys;
  for (const Trial& t : data.trials) {
    xs.push_back(t.row);
    if (t.val_int8 && *t.val_int8 >= 0) ys.push_back(*t.val_int8 * 100.0);
  }
  SvgPlot plot(2 * kPlotWidth, kPlotHeight, Span::of(xs, 0.0), Span::of(ys), "evaluation (history.jsonl line)",
               "int8 val. accuracy (%)");
  // Where the stage changes (search -> promotion -> final), in history order.
  for (size_t i = 1; i < data.trials.size(); ++i)
    if (data.trials[i].stage != data.trials[i - 1].stage)
      plot.rule(data.trials[i].row - 0.5, true, "stage", data.trials[i].stage.empty() ? "?" : data.trials[i].stage);
  for (const Trial& t : data.trials)
    if (t.val_int8 && *t.val_int8 >= 0)
      plot.point(t.row, *t.val_int8 * 100.0, t.baseline ? "pb" : "pe", trial_caption(t), "#" + trial_anchor(t), 2.5);
  for (size_t k = 0; k < data.targets.size(); ++k)
    plot.polyline(best_so_far(data, data.targets[k]), "best s" + std::to_string(k % 4),
                  "best fitting " + data.targets[k].mcu);
  std::string keys = "<p class=\"legend\">";
  for (size_t k = 0; k < data.targets.size(); ++k)
    keys += fmt::format(R"(<span class="key"><svg width="22" height="10"><line x1="0" x2="22" y1="5" y2="5" class="best s{}"/></svg> best that fits {}</span>)",
                        k % 4, escape_html(data.targets[k].mcu));
  keys += "<span class=\"key\"><svg width=\"14\" height=\"14\"><circle cx=\"7\" cy=\"7\" r=\"3\" class=\"pe\"/></svg> "
          "one evaluation</span></p>\n";
  return plot.svg("best int8 validation accuracy per target against evaluations") + keys;
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
  if (data.accepted && data.rejected) {
    const double fitting = double(*data.accepted + data.duplicates.value_or(0));
    share = fitting / std::max(1.0, fitting + double(*data.rejected));
  }
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
    for (const CostAxis& axis : kCostAxes) out += cost_plot(target, trials, axis);
    out += "</div></div>\n";
  }
  return out + "</section>\n";
}

std::string progress_section(const ReportData& data) {
  std::string out = "<section id=\"progress\"><h2>Search progress</h2>\n";
  out += progress_plot(data);
  out += "<p>history.jsonl records no time stamps, so progress is drawn against evaluations (in the order they "
         "finished); the whole run took " +
         (data.wall_seconds ? show(*data.wall_seconds, 0) + " s (summary.json)" : std::string("- (no summary.json yet)")) +
         ".</p>\n";
  out += "<h3>Hypervolume</h3>\n" + hypervolume_plot(data);
  out += "<div class=\"plots\">" + proposals_table(data) + fidelity_table(data) + "</div>\n";
  return out + "</section>\n";
}

}  // namespace hwnas
