// This file implements constraint-aware sampling (see constrained_sampling.hpp).
#include "space/constrained_sampling.hpp"

#include <string>

#include "util/errors.hpp"

namespace hwnas {

ConstrainedSampler::ConstrainedSampler(const SearchSpace& space, NetworkPredicate accept, int64_t max_rejections)
    : m_space(space), m_accept(std::move(accept)), m_max_rejections(max_rejections) {}

std::optional<Proposal> ConstrainedSampler::check(Genome genome, bool limited) {
  std::optional<Proposal> accepted;
  try {
    DecodedNetwork network = m_space.decode_detailed(genome);
    if (m_accept(network)) accepted = Proposal{std::move(genome), std::move(network)};
  } catch (const SpaceDecodeError&) {
    // The load-time check decodes the extreme genomes and a sample, not every genome; a
    // rare invalid combination is one more rejection, not the end of the run.
    ++m_invalid;
  }
  if (accepted) {
    ++m_accepted;
    m_rejected_in_a_row = 0;
    return accepted;
  }
  ++m_rejected;
  if (!limited) return std::nullopt;
  if (++m_rejected_in_a_row >= m_max_rejections)
    throw UserError("search space '" + m_space.name() + "' has (almost) no member that meets the constraints: " +
                    std::to_string(m_rejected_in_a_row) + " proposals in a row were rejected (" +
                    std::to_string(m_accepted) + " accepted so far, " + std::to_string(m_invalid) +
                    " rejections were invalid networks); raise the budgets, shrink the space, " +
                    "or raise search.max_rejections");
  return std::nullopt;
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
