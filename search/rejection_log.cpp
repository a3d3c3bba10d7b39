// This file implements rejected.jsonl (see rejection_log.hpp).
#include "search/rejection_log.hpp"

#include <algorithm>
#include <filesystem>

#include "search/target_budgets.hpp"
#include "util/atomic_file.hpp"

namespace hwnas {

namespace {

// Complete lines already in the file (a resumed run's); HistoryWriter has cut a torn one.
int64_t lines_in(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return 0;
  const std::string text = read_file_text(path);
  return std::count(text.begin(), text.end(), '\n');
}

}  // namespace

RejectionLog::RejectionLog(const std::string& path) : m_writer(path), m_lines(lines_in(path)) {}

void RejectionLog::add(const Genome& genome, const std::string& identity, const std::vector<TargetCost>& costs,
                       const std::string& reason, int proposing) {
  if (m_lines >= kMaxLines || !m_logged.insert(identity).second) return;
  m_writer.append({{"id", identity},
                   {"genome", genome},
                   {"costs", costs_json(costs)},
                   {"reason", reason},
                   {"proposing", proposing}});
  ++m_lines;
}

std::string rejection_reason(const std::vector<TargetCost>& costs, const std::vector<TargetConfig>& targets) {
  std::string out;
  for (size_t i = 0; i < costs.size() && i < targets.size(); ++i) {
    if (costs[i].fits) continue;
    const std::string missed = budget_violations(costs[i].costs, targets[i]);
    out += (out.empty() ? "" : "; ") + costs[i].mcu + ": " + (missed.empty() ? "does not fit" : missed);
  }
  return out;
}

}  // namespace hwnas
