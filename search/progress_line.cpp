// This file implements the progress line (see progress_line.hpp).
#include "search/progress_line.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace hwnas {

std::string format_duration(double seconds) {
  const int s = int(seconds + 0.5);
  if (s >= 3600) return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
  return s >= 60 ? std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s" : std::to_string(s) + "s";
}

void ProgressLine::start_stage() {
  m_stage_start = std::chrono::steady_clock::now();
  m_finished_in_stage = 0;
}

void ProgressLine::log(const Candidate& c, int done, int total, double best, double feasible) {
  ++m_finished_in_stage;
  // `parallel` evaluations run side by side from the stage's start, so k results took about
  // ceil(k / parallel) evaluation times; the rest need remaining / parallel more.
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_stage_start).count();
  const double per_evaluation = elapsed / double((m_finished_in_stage + m_parallel - 1) / m_parallel);
  const std::string label = c.rung == 0 ? "" : c.stage + " ";
  const TrainResult& r = c.scores.train;
  const Int8Scores& q = c.scores.int8;
  if (!c.scores.ok()) {
    spdlog::warn("[{}{}/{}] {} failed: {}", label, done, total, c.identity, r.failure);
    return;
  }
  spdlog::info("[{}{}/{}] {} val {:.4f} int8 {} | {}: RAM {} B flash {} B {:.2f} ms | feasible {:.0f}% | best int8 {} "
               "| ETA {}",
               label, done, total, c.identity, r.validation_accuracy,
               q.ok ? fmt::format("{:.4f}{}", q.val_int8, q.qat_kept ? " (QAT)" : "") : std::string("failed"),
               c.costs[0].mcu, c.costs[0].costs.ram.total(), c.costs[0].costs.flash.total(), c.costs[0].costs.latency_ms,
               100.0 * feasible, best >= 0 ? fmt::format("{:.4f}", best) : std::string("-"),
               format_duration(per_evaluation * std::max(0, total - done) / m_parallel));
}

}  // namespace hwnas
