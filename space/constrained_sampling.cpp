// This file implements constraint-aware sampling (see constrained_sampling.hpp).
#include "space/constrained_sampling.hpp"

#include <string>

#include <spdlog/spdlog.h>

#include "util/errors.hpp"
#include "util/stop_signal.hpp"

namespace hwnas {

ConstrainedSampler::ConstrainedSampler(const SearchSpace& space, NetworkPredicate accept, int64_t max_rejections)
    : m_space(space), m_accept(std::move(accept)), m_max_rejections(max_rejections) {}

std::optional<Proposal> ConstrainedSampler::check(Genome genome, bool limited) {
  // A space of huge networks can take minutes to find one that fits: stay stoppable.
  throw_if_stop_requested();
  std::optional<Proposal> accepted;
  try {
    DecodedNetwork network = m_space.decode_detailed(genome);
    if (m_accept(genome, network)) accepted = Proposal{std::move(genome), std::move(network)};
  } catch (const SpaceDecodeError&) {
    // The load-time check decodes the extreme genomes and a sample, not every genome; a
    // rare invalid combination is one more rejection, not the end of the run.
    ++m_invalid;
  }
  if (accepted) {
    ++m_accepted;
    m_rejected_in_a_row = 0;
    m_streak_start = {};
    return accepted;
  }
  ++m_rejected;
  report_long_streak();
  if (!limited) return std::nullopt;
  if (++m_rejected_in_a_row >= m_max_rejections)
    throw UserError("search space '" + m_space.name() + "' has (almost) no member that meets the constraints: " +
                    std::to_string(m_rejected_in_a_row) + " proposals in a row were rejected (" +
                    std::to_string(m_accepted) + " accepted so far, " + std::to_string(m_invalid) +
                    " rejections were invalid networks); raise the budgets, shrink the space, " +
                    "or raise search.max_rejections");
  return std::nullopt;
}

void ConstrainedSampler::report_long_streak() {
  using Clock = std::chrono::steady_clock;
  const auto now = Clock::now();
  if (m_streak_start == Clock::time_point{}) {
    m_streak_start = m_last_report = now;
    m_streak_rejected = m_rejected;
    return;
  }
  if (now - m_last_report < kStreakReportInterval) return;
  m_last_report = now;
  spdlog::info("still looking for a network of space '{}' that fits every target: {} rejected in {:.0f} s ({} in a row "
               "count towards search.max_rejections {})",
               m_space.name(), m_rejected - m_streak_rejected,
               std::chrono::duration<double>(now - m_streak_start).count(), m_rejected_in_a_row, m_max_rejections);
}

Proposal ConstrainedSampler::sample(std::mt19937_64& rng) {
  for (;;)
    if (auto p = check(m_space.sample(rng))) return std::move(*p);
}

std::optional<Proposal> ConstrainedSampler::mutate(const Genome& parent, std::mt19937_64& rng, int changes) {
  for (int64_t tries = 0; tries < m_max_rejections; ++tries)
    if (auto p = check(m_space.mutate(parent, rng, changes), false)) return p;
  return std::nullopt;
}

}  // namespace hwnas
