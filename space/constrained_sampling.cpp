// This file implements constraint-aware sampling (see constrained_sampling.hpp).
#include "space/constrained_sampling.hpp"

#include <string>

#include "util/errors.hpp"

namespace hwnas {

ConstrainedSampler::ConstrainedSampler(const SearchSpace& space, NetworkPredicate accept, int64_t max_rejections)
    : m_space(space), m_accept(std::move(accept)), m_max_rejections(max_rejections) {}

Proposal ConstrainedSampler::check(Genome genome, bool& ok) {
  DecodedNetwork network = m_space.decode_detailed(genome);
  ok = m_accept(network);
  if (ok) {
    ++m_accepted;
    m_rejected_in_a_row = 0;
  } else {
    ++m_rejected;
    if (++m_rejected_in_a_row >= m_max_rejections)
      throw UserError("search space '" + m_space.name() + "' has (almost) no member that meets the constraints: " +
                      std::to_string(m_rejected_in_a_row) + " proposals in a row were rejected (" +
                      std::to_string(m_accepted) + " accepted so far); raise the budgets, shrink the space, " +
                      "or raise search.max_rejections");
  }
  return {std::move(genome), std::move(network)};
}

Proposal ConstrainedSampler::sample(std::mt19937_64& rng) {
  for (;;) {
    bool ok = false;
    Proposal p = check(m_space.sample(rng), ok);
    if (ok) return p;
  }
}

Proposal ConstrainedSampler::mutate(const Genome& parent, std::mt19937_64& rng, int changes) {
  for (;;) {
    bool ok = false;
    Proposal p = check(m_space.mutate(parent, rng, changes), ok);
    if (ok) return p;
  }
}

}  // namespace hwnas
