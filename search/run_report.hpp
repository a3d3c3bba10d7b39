// This file implements report.html, a run directory's report for people: one
// self-contained page (inline CSS, inline SVG plots, HTML tables; a few lines of inline
// JavaScript only to sort the trial table) that opens from disk with no network. Its
// sections: the run's state, accuracy against costs per target (report_plots.hpp), the
// search's progress, the trial table (report_trials.hpp) and the Pareto models
// (report_models.hpp). It reads the run directory tolerantly (report_data.hpp), so it
// renders for finished, interrupted, live and older runs alike.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "search/report_data.hpp"

namespace hwnas {

/// The report file's name inside a run directory.
inline constexpr const char* kReportFile = "report.html";

/// The page. `link_prefix` leads from the page's folder to the run directory ("" when
/// the page is in it), for links to the run's files.
std::string render_run_report(const ReportData& data, const std::string& link_prefix = "");

/// Reads `run_dir` and writes its report atomically to `out` (default: run_dir/report.html).
/// Returns the path written. @throws UserError when run_dir is not a run directory or
/// `out` cannot be written.
std::string write_run_report(const std::string& run_dir, const std::string& out = "");

/// Keeps a live run's report.html current without slowing the run: a refresh writes it
/// at most every few seconds (and never spends more than a tenth of the time on it); the
/// final one always writes. A failure is logged as a warning, never thrown: the report
/// must not cost a run. Thread-safe: evaluator threads may call refresh at once (one
/// writes, the others skip).
class ReportRefresher {
 public:
  explicit ReportRefresher(std::string run_dir) : m_run_dir(std::move(run_dir)) {}
  /// After a recorded result: writes the report when enough time has passed.
  void refresh();
  /// At the end of a run: writes it whatever the time.
  void finish();

 private:
  void write();

  std::string m_run_dir;
  std::mutex m_mutex;
  std::chrono::steady_clock::time_point m_next_write{};
  bool m_warned = false;
};

}  // namespace hwnas
