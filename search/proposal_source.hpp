// This file implements ProposalSource, where strategies get their networks: uniform
// samples, mutations and crossovers that fit every target (checked by the cost models
// before any training) and that the run has not proposed before (deduplicated by the
// canonical identity). It owns the search's random generator and counters, and saves and
// restores them with the checkpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/proposal_counts.hpp"
#include "space/constrained_sampling.hpp"
#include "util/errors.hpp"

namespace hwnas {

/// No unseen network that fits every target could be found: the search is over.
class SpaceExhausted : public UserError {
 public:
  using UserError::UserError;
};

class ProposalSource {
 public:
  /// `fits`: the feasibility predicate (every target's budgets); `max_rejections`: draws
  /// in a row that may fail (infeasible or already seen) before giving up.
  ProposalSource(const SearchSpace& space, NetworkPredicate fits, int max_rejections, uint64_t seed);

  const SearchSpace& space() const { return m_space; }
  std::mt19937_64& rng() { return m_rng; }

  /// Networks to propose before any uniform sample, in order (the config's
  /// initial_architectures, already checked to fit). Those already seen are skipped.
  void set_initial(std::vector<Proposal> initial) { m_initial = std::move(initial); }

  /// The next initial network not yet proposed, else a uniform sample from the space.
  Proposal random();
  /// A mutation of `parent` (`changes` genes); falls back to a uniform sample when the
  /// parent's neighbourhood yields only networks already seen, or none that fits.
  Proposal mutate(const Genome& parent, int changes = 1);
  /// `genome` itself if it fits every target and has not been proposed; else nothing
  /// (a local search walks through neighbours, many of which do not fit).
  std::optional<Proposal> exactly(const Genome& genome);
  /// Uniform crossover of a and b, then a mutation of the child; the same fallbacks.
  Proposal crossover(const Genome& a, const Genome& b, int changes = 1);

  /// Marks an identity as proposed (on resume, for networks proposed before).
  void mark_seen(const std::string& identity) { m_seen.insert(identity); }
  int64_t rejected() const { return m_rejected_before + m_sampler.rejected(); }
  int64_t duplicates() const { return m_duplicates; }
  int64_t accepted() const { return m_accepted; }
  ProposalCounts counts() const { return {accepted(), rejected(), duplicates()}; }

  /// Generator state, counters and the identities seen.
  nlohmann::json state() const;
  void restore(const nlohmann::json& state);

 private:
  template <typename Draw>
  Proposal unseen(Draw draw, bool fall_back_to_random);
  /// Marks `p` as seen and counts it accepted; false if it was seen before.
  bool first_sight(const Proposal& p);

  const SearchSpace& m_space;
  std::set<std::string> m_seen;
  ConstrainedSampler m_sampler;
  std::mt19937_64 m_rng;
  int m_max_rejections;
  int64_t m_rejected_before = 0;  ///< rejections counted before a resume
  int64_t m_duplicates = 0;
  int64_t m_accepted = 0;
  std::vector<Proposal> m_initial;
  size_t m_initial_proposed = 0;  ///< how many of m_initial were handed out (or skipped)
};

}  // namespace hwnas
