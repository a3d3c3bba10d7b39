// This file implements LrSchedule, the per-step learning rate: linear warm-up, then
// cosine decay to zero (Loshchilov & Hutter 2017, without restarts; Goyal et al. 2017
// for the warm-up).
#pragma once

#include <cstdint>

namespace hwnas {

class LrSchedule {
 public:
  /// `base` is reached after `warmup_steps` (0: none); the rate reaches 0 at total_steps.
  LrSchedule(double base, int64_t warmup_steps, int64_t total_steps);

  /// Rate of step `step` (0-based):
  ///   step < warmup:  base * (step + 1) / warmup
  ///   otherwise:      base * 0.5 * (1 + cos(pi * (step - warmup) / (total - warmup)))
  double at(int64_t step) const;

 private:
  double m_base;
  int64_t m_warmup;
  int64_t m_total;
};

}  // namespace hwnas
