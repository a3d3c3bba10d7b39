// This file implements the hook for constraint-aware sampling: sampling and mutation
// that retry until a predicate over the decoded network holds (the cost models supply
// it: fits the flash, RAM and latency budgets of every target). Rejections are
// counted, and a space with (almost) no member that passes is a clear error instead of
// an endless loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>

#include "space/search_space.hpp"

namespace hwnas {

/// True when a decoded network is acceptable (e.g. fits every target board). The genome it
/// was decoded from comes along, for a caller that records what it rejects.
using NetworkPredicate = std::function<bool(const Genome&, const DecodedNetwork&)>;

struct Proposal {
  Genome genome;
  DecodedNetwork network;
};

class ConstrainedSampler {
 public:
  /// `max_rejections`: consecutive rejections before giving up.
  ConstrainedSampler(const SearchSpace& space, NetworkPredicate accept, int64_t max_rejections);

  /// A uniform sample that passes the predicate.
  /// @throws UserError after max_rejections rejections in a row.
  Proposal sample(std::mt19937_64& rng);
  /// A mutation of `parent` that passes the predicate, or nothing after max_rejections
  /// tries: a parent on its budgets can have no feasible mutation at all (a crossover
  /// child of two networks on them often has none), which says nothing about the space,
  /// so these rejections do not count towards sample()'s limit.
  std::optional<Proposal> mutate(const Genome& parent, std::mt19937_64& rng, int changes = 1);

  /// `genome` as a proposal if it decodes and passes the predicate. A rejection is counted
  /// but, like a mutation's, not towards sample()'s limit: a local search's neighbours of a
  /// network on its budgets mostly do not fit, which says nothing about the space.
  std::optional<Proposal> consider(Genome genome) { return check(std::move(genome), false); }
  int64_t accepted() const { return m_accepted; }
  int64_t rejected() const { return m_rejected; }
  /// Rejections because the genome decoded to an invalid network (included in rejected()).
  int64_t invalid() const { return m_invalid; }

 private:
  /// The proposal if it decodes and passes; counts rejections otherwise, and limits those
  /// in a row when `limited`.
  std::optional<Proposal> check(Genome genome, bool limited = true);
  /// Logs progress while rejections go on for long (huge networks take long to cost).
  void report_long_streak();
  static constexpr std::chrono::seconds kStreakReportInterval{10};

  const SearchSpace& m_space;
  NetworkPredicate m_accept;
  int64_t m_max_rejections;
  int64_t m_accepted = 0;
  int64_t m_rejected = 0;
  int64_t m_invalid = 0;
  int64_t m_rejected_in_a_row = 0;
  std::chrono::steady_clock::time_point m_streak_start{};  ///< of the rejections since the last acceptance
  std::chrono::steady_clock::time_point m_last_report{};
  int64_t m_streak_rejected = 0;  ///< m_rejected when the streak began
};

}  // namespace hwnas
