// This file implements LrSchedule (see lr_schedule.hpp).
#include "trainers/training/lr_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace hwnas {

LrSchedule::LrSchedule(double base, int64_t warmup_steps, int64_t total_steps)
    : m_base(base),
      m_warmup(std::clamp<int64_t>(warmup_steps, 0, total_steps)),
      m_total(std::max<int64_t>(total_steps, 1)) {}

double LrSchedule::at(int64_t step) const {
  if (step < m_warmup) return m_base * double(step + 1) / double(m_warmup);
  const int64_t decay_steps = std::max<int64_t>(m_total - m_warmup, 1);
  const double progress = std::min(double(step - m_warmup) / double(decay_steps), 1.0);
  constexpr double kPi = 3.14159265358979323846;
  return m_base * 0.5 * (1.0 + std::cos(kPi * progress));
}

}  // namespace hwnas
