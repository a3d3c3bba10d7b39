// This file implements the ask-and-tell ordering of the search phase: results are shown to
// the strategy in candidate order, whatever order they finish in. Candidate k is proposed
// right after the strategy has seen the results of candidates 0 .. k - search.parallel,
// so every proposal depends only on the seed and on earlier results, never on timing or
// thread count, and a resumed run proposes exactly what an uninterrupted one would have.
#pragma once

#include <map>
#include <optional>

#include "search/candidate.hpp"

namespace hwnas {

class OrderedResults {
 public:
  /// Results shown to the strategy so far: candidates 0 .. observed() - 1.
  int observed() const { return m_observed; }
  /// On resume: the checkpoint's count.
  void restore(int observed) { m_observed = observed; }

  /// A finished candidate of the search phase.
  void add(Candidate c) { m_finished.emplace(c.index, std::move(c)); }
  /// The next candidate in order once it has finished (then counted observed); else none.
  std::optional<Candidate> next() {
    const auto it = m_finished.find(m_observed);
    if (it == m_finished.end()) return std::nullopt;
    Candidate c = std::move(it->second);
    m_finished.erase(it);
    ++m_observed;
    return c;
  }
  /// Finished candidates waiting for an earlier one, by index.
  const std::map<int, Candidate>& waiting() const { return m_finished; }

 private:
  int m_observed = 0;
  std::map<int, Candidate> m_finished;
};

}  // namespace hwnas
