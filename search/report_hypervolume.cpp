// This file implements the report's hypervolume curve (see report_hypervolume.hpp).
#include "search/report_hypervolume.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "search/pareto.hpp"
#include "search/report_html.hpp"
#include "search/report_svg.hpp"

namespace hwnas {

namespace {

using CostField = std::optional<double> TrialCost::*;
using BudgetField = std::optional<double> ReportTarget::*;

const std::pair<CostField, BudgetField> kObjectives[] = {
    {&TrialCost::latency_ms, &ReportTarget::max_latency_ms},
    {&TrialCost::ram_bytes, &ReportTarget::max_ram_bytes},
    {&TrialCost::flash_bytes, &ReportTarget::max_flash_bytes},
};

// What each cost is divided by: the target's budget, else the largest value of any trial.
std::vector<double> cost_scales(const ReportData& data, const ReportTarget& target) {
  std::vector<double> scales;
  for (const auto& [cost, budget] : kObjectives) {
    double scale = (target.*budget).value_or(0.0);
    if (scale <= 0)
      for (const Trial& t : data.trials) {
        const auto c = t.costs.find(target.mcu);
        if (c != t.costs.end() && (c->second.*cost)) scale = std::max(scale, *(c->second.*cost));
      }
    scales.push_back(scale > 0 ? scale : 1.0);
  }
  return scales;
}

}  // namespace

std::vector<std::pair<double, double>> hypervolume_curve(const ReportData& data, const ReportTarget& target,
                                                         int samples) {
  const std::vector<double> scales = cost_scales(data, target);
  const ObjectivePoint reference(1 + std::size(kObjectives), 1.0);
  std::vector<std::pair<double, double>> curve;
  std::vector<ObjectivePoint> front;  // the non-dominated points so far: the same volume, fewer points
  const size_t n = data.trials.size();
  size_t next_sample = 0;
  for (size_t i = 0; i < n; ++i) {
    const Trial& t = data.trials[i];
    const auto c = t.costs.find(target.mcu);
    if (t.status == "ok" && t.val_int8 && c != t.costs.end() && c->second.fits.value_or(true)) {
      ObjectivePoint p = {1.0 - *t.val_int8};
      for (size_t k = 0; k < std::size(kObjectives); ++k) {
        const auto& value = c->second.*kObjectives[k].first;
        p.push_back(value ? *value / scales[k] : 1.0);
      }
      front.push_back(std::move(p));
      std::vector<ObjectivePoint> kept;
      for (size_t j : pareto_front(front)) kept.push_back(front[j]);
      front = std::move(kept);
    }
    // Samples at evenly spaced evaluation counts, always including the last.
    if (i + 1 == n || (i + 1) * size_t(samples) >= (next_sample + 1) * n) {
      curve.emplace_back(double(i + 1), hypervolume(front, reference));
      next_sample = (i + 1) * size_t(samples) / n;
    }
  }
  return curve;
}

std::string hypervolume_plot(const ReportData& data) {
  std::vector<std::vector<std::pair<double, double>>> curves;
  std::vector<double> xs, ys;
  for (const ReportTarget& target : data.targets) {
    curves.push_back(hypervolume_curve(data, target));
    for (const auto& [x, y] : curves.back()) xs.push_back(x), ys.push_back(y);
  }
  SvgPlot plot(800, 240, Span::of(xs, 0.0), Span::of(ys, 0.0), "evaluations so far (history.jsonl lines)",
               "hypervolume");
  std::string keys = "<p class=\"legend\">";
  for (size_t k = 0; k < data.targets.size(); ++k) {
    plot.polyline(curves[k], "best s" + std::to_string(k % 4), "hypervolume on " + data.targets[k].mcu);
    for (const auto& [x, y] : curves[k])
      plot.point(x, y, "pe", fmt::format("{}: hypervolume {:.4f} after {} evaluations", data.targets[k].mcu, y, x), "", 2.0);
    keys += fmt::format(R"(<span class="key"><svg width="22" height="10"><line x1="0" x2="22" y1="5" y2="5" class="best s{}"/></svg> {}</span>)",
                        k % 4, escape_html(data.targets[k].mcu));
  }
  keys += "</p>\n<p>Hypervolume of the feasible evaluations so far in (1 - int8 val. accuracy, latency, RAM and "
          "flash each over the target's budget), reference point 1 in each: the measure bench/search_quality "
          "compares strategies by; it grows whenever an evaluation extends the front.</p>\n";
  return plot.svg("hypervolume of the feasible evaluations per target against evaluations") + keys;
}

}  // namespace hwnas
