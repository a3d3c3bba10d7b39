// This file implements ProposalSource (see proposal_source.hpp).
#include "search/proposal_source.hpp"

#include <sstream>

#include <spdlog/spdlog.h>

namespace hwnas {

namespace {

// Duplicates are screened before the cost check: a repeat is not a rejection.
NetworkPredicate unseen_or_fits(const std::set<std::string>& seen, NetworkPredicate fits) {
  return [&seen, fits = std::move(fits)](const Genome& g, const DecodedNetwork& n) {
    return seen.count(n.identity) > 0 || fits(g, n);
  };
}

}  // namespace

ProposalSource::ProposalSource(const SearchSpace& space, NetworkPredicate fits, int max_rejections, uint64_t seed)
    : m_space(space),
      m_sampler(space, unseen_or_fits(m_seen, std::move(fits)), max_rejections),
      m_rng(seed),
      m_max_rejections(max_rejections) {}

bool ProposalSource::first_sight(const Proposal& p) {
  if (!m_seen.insert(p.network.identity).second) return false;
  ++m_accepted;
  return true;
}

template <typename Draw>
Proposal ProposalSource::unseen(Draw draw, bool fall_back_to_random) {
  for (int attempt = 0;; ++attempt) {
    std::optional<Proposal> p = draw();
    if (!p) {
      // Only mutations come back empty: the parent has no feasible offspring.
      spdlog::debug("no feasible mutation of the parent in {} tries; a uniform sample instead", m_max_rejections);
      return random();
    }
    if (first_sight(*p)) return std::move(*p);
    ++m_duplicates;
    if (attempt + 1 >= m_max_rejections) {
      if (fall_back_to_random) return random();
      throw SpaceExhausted("no unseen network that fits every target after " + std::to_string(m_max_rejections) +
                           " draws in a row: the space is exhausted");
    }
  }
}

Proposal ProposalSource::random() {
  // An initial network already proposed (two files of the same network, or any of them
  // after a resume: the identities seen are restored) is skipped, not proposed twice.
  while (m_initial_proposed < m_initial.size()) {
    Proposal p = m_initial[m_initial_proposed++];
    if (first_sight(p)) return p;
  }
  return unseen([&] { return std::optional<Proposal>(m_sampler.sample(m_rng)); }, false);
}

Proposal ProposalSource::mutate(const Genome& parent, int changes) {
  return unseen([&] { return m_sampler.mutate(parent, m_rng, changes); }, true);
}

std::optional<Proposal> ProposalSource::exactly(const Genome& genome) {
  std::optional<Proposal> p = m_sampler.consider(genome);
  if (!p) return std::nullopt;
  if (first_sight(*p)) return p;
  ++m_duplicates;
  return std::nullopt;
}

Proposal ProposalSource::crossover(const Genome& a, const Genome& b, int changes) {
  return unseen([&] { return m_sampler.mutate(m_space.crossover(a, b, m_rng), m_rng, changes); }, true);
}

nlohmann::json ProposalSource::state() const {
  std::ostringstream rng;
  rng << m_rng;
  return {{"rng", rng.str()},
          {"rejected", rejected()},
          {"duplicates", m_duplicates},
          {"accepted", m_accepted},
          {"seen", std::vector<std::string>(m_seen.begin(), m_seen.end())}};
}

void ProposalSource::restore(const nlohmann::json& state) {
  std::istringstream rng(state.at("rng").get<std::string>());
  rng >> m_rng;
  if (!rng) throw UserError("checkpoint: malformed random-generator state");
  m_rejected_before = state.at("rejected").get<int64_t>() - m_sampler.rejected();
  m_duplicates = state.at("duplicates").get<int64_t>();
  m_accepted = state.at("accepted").get<int64_t>();
  m_seen.clear();
  for (const auto& id : state.at("seen")) m_seen.insert(id.get<std::string>());
}

}  // namespace hwnas
