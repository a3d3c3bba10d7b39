// This file implements the search's progress line, one per finished evaluation:
//   [final 3/5] 2bf70bbcdbdd2781 val 0.8690 int8 0.8698 | STM32F746: RAM 21744 B flash
//   59596 B 11.11 ms | feasible 62% | best int8 0.8698 | ETA 1m20s
// The ETA extrapolates the current stage alone: a final retraining costs many search
// evaluations, so the search's pace says nothing about it.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>

#include "search/candidate.hpp"

namespace hwnas {

/// "45s", "3m05s" as "3m5s", "2h10m".
std::string format_duration(double seconds);

class ProgressLine {
 public:
  /// `parallel`: evaluations that run side by side (search.parallel).
  explicit ProgressLine(int parallel) : m_parallel(std::max(1, parallel)) { start_stage(); }

  /// A new stage begins: its pace is measured afresh.
  void start_stage();

  /// Logs `c`'s line: `done` of `total` evaluations of its stage finished, `best` the best
  /// int8 validation accuracy of the stage so far (-1: none), `feasible` the share of
  /// proposals that fit every target.
  void log(const Candidate& c, int done, int total, double best, double feasible);

 private:
  int m_parallel;
  std::chrono::steady_clock::time_point m_stage_start;
  int m_finished_in_stage = 0;  ///< evaluations finished in this stage since m_stage_start
};

}  // namespace hwnas
