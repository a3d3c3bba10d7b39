// This file implements the report's progress series (see report_series.hpp).
#include "search/report_series.hpp"

#include <algorithm>
#include <map>

namespace hwnas {

namespace {

// The trials that have an x, ordered by it (history order among equal values).
std::vector<size_t> order_by(const std::vector<std::optional<double>>& x) {
  std::vector<size_t> order;
  for (size_t i = 0; i < x.size(); ++i)
    if (x[i]) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return *x[a] < *x[b]; });
  return order;
}

}  // namespace

std::vector<std::optional<double>> elapsed_seconds(const ReportData& data) {
  std::optional<double> first;
  for (const Trial& t : data.trials)
    if (t.finished_at && (!first || *t.finished_at < *first)) first = t.finished_at;
  std::vector<std::optional<double>> out;
  for (const Trial& t : data.trials)
    out.push_back(t.finished_at ? std::optional<double>(*t.finished_at - *first) : std::nullopt);
  return out;
}

std::vector<std::optional<double>> history_rows(const ReportData& data) {
  std::vector<std::optional<double>> out;
  for (const Trial& t : data.trials) out.push_back(double(t.row));
  return out;
}

Series best_fitting_so_far(const ReportData& data, const ReportTarget& target, const std::vector<std::optional<double>>& x) {
  Series line;
  double best = -1;
  for (size_t i : order_by(x)) {
    const Trial& t = data.trials[i];
    const auto cost = t.costs.find(target.mcu);
    const bool fits = cost != t.costs.end() && cost->second.fits.value_or(true);
    if (fits && t.val_int8 && *t.val_int8 > best) {
      if (best >= 0) line.emplace_back(*x[i], best * 100.0);  // a step, not a slope
      best = *t.val_int8;
    }
    if (best >= 0) line.emplace_back(*x[i], best * 100.0);
  }
  return line;
}

std::vector<std::pair<double, std::string>> stage_changes(const ReportData& data,
                                                          const std::vector<std::optional<double>>& x) {
  std::vector<std::pair<double, std::string>> changes;
  const std::vector<size_t> order = order_by(x);
  for (size_t k = 1; k < order.size(); ++k) {
    const Trial& t = data.trials[order[k]];
    if (t.stage != data.trials[order[k - 1]].stage) changes.emplace_back(*x[order[k]], t.stage);
  }
  return changes;
}

Series feasible_share_series(const ReportData& data) {
  std::map<int, ProposalCounts> by_index;  // the first record of a candidate counts
  for (const Trial& t : data.trials)
    if (t.rung == 0 && t.index && t.proposals) by_index.emplace(*t.index, *t.proposals);
  Series out;
  for (const auto& [index, counts] : by_index) out.emplace_back(index + 1.0, 100.0 * feasible_share(counts));
  return out;
}

}  // namespace hwnas
