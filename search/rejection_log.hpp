// This file implements rejected.jsonl, the run directory's sample of the networks the fit
// check rejected before training: one JSON line each with its identity, genome, costs on
// every target (as history.jsonl's "costs") and why it was rejected. The report draws
// them beside the trained candidates. A search may reject millions of networks, so the
// file keeps only the first kMaxLines of a run (a resumed run counts what is there); a
// network is logged once per process, but a resumed run that repeats a proposal may log
// it again: readers deduplicate by id.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "search/candidate.hpp"
#include "search/history.hpp"

namespace hwnas {

/// The file name inside a run directory.
inline constexpr const char* kRejectionFile = "rejected.jsonl";

class RejectionLog {
 public:
  /// Lines a run directory's file holds at most.
  static constexpr int64_t kMaxLines = 2000;

  /// Appends to `path` (created when missing; an incomplete last line left by a kill is
  /// cut off first). @throws UserError when an existing file cannot be repaired.
  explicit RejectionLog(const std::string& path);

  /// Logs one rejected network unless the file is full or it was logged already.
  /// `proposing`: the index of the search candidate being proposed when it was drawn.
  /// @throws EnvironmentError when the line cannot be written (a full disk).
  void add(const Genome& genome, const std::string& identity, const std::vector<TargetCost>& costs,
           const std::string& reason, int proposing);

 private:
  HistoryWriter m_writer;  ///< the same durable JSON-lines append as history.jsonl
  int64_t m_lines = 0;
  std::set<std::string> m_logged;
};

/// Why `costs` were rejected, for the log line: the budgets each target misses
/// ("STM32F746: peak RAM 80 KB over the budget of 64 KB"), joined by "; ".
std::string rejection_reason(const std::vector<TargetCost>& costs, const std::vector<TargetConfig>& targets);

}  // namespace hwnas
