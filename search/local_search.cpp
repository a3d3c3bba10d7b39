// This file implements the local-search strategy: hill climbing with restarts over the
// space's one-gene neighbourhoods (White, Nolen and Savani 2020 found it as good as
// evolution on NAS benchmarks). It serves a user who brings a network to improve on
// (search.initial_architectures): the climb starts there and looks at every feasible
// network one change away before it moves or gives up.
//
// The incumbent is the climb's most accurate network (int8 validation accuracy; the cost
// objectives are not used here, the budgets are hard constraints as everywhere). Its
// neighbours (SearchSpace::neighbours, in an order shuffled by the run's generator) are
// proposed one by one, skipping those that do not fit or were already proposed. Any
// result more accurate than the incumbent replaces it, and the new incumbent's
// neighbourhood is explored next (first improvement). When a neighbourhood is used up,
// the climb has reached a local optimum: the next proposal is a restart (the next
// initial architecture, else a uniform sample) and its result starts a new climb, unless
// a neighbour still in training improves on the incumbent first.
#include <algorithm>
#include <optional>

#include "search/strategy.hpp"

namespace hwnas {

namespace {

class LocalSearch final : public Strategy {
 public:
  Proposal propose(ProposalSource& source) override {
    const int index = m_proposed++;
    if (m_incumbent && m_restart < 0) {
      if (!m_neighbourhood_built) {
        m_neighbourhood = source.space().neighbours(m_incumbent->genome);
        std::shuffle(m_neighbourhood.begin(), m_neighbourhood.end(), source.rng());
        m_next = 0;
        m_neighbourhood_built = true;
      }
      while (m_next < m_neighbourhood.size())
        if (auto p = source.exactly(m_neighbourhood[m_next++])) return std::move(*p);
    }
    // No climb yet, or a local optimum: restart. The first proposal of a run starts the
    // first climb; proposals made while a restart's result is pending are plain samples.
    if (m_restart < 0) m_restart = index;
    return source.random();
  }

  void observe(const Observation& o) override {
    if (o.index == m_restart) {
      m_restart = -1;
      if (o.ok) adopt(o);
      return;
    }
    if (o.ok && (!m_incumbent || o.accuracy > m_incumbent->accuracy)) {
      adopt(o);
      m_restart = -1;  // a pending restart's result no longer starts a climb
    }
  }

  nlohmann::json state() const override {
    return {{"proposed", m_proposed},
            {"incumbent", m_incumbent ? member_json(*m_incumbent) : nlohmann::json()},
            {"restart", m_restart},
            {"neighbourhood_built", m_neighbourhood_built},
            {"neighbourhood", m_neighbourhood},
            {"next", m_next}};
  }

  void restore(const nlohmann::json& s) override {
    m_proposed = s.at("proposed").get<int>();
    m_incumbent.reset();
    if (!s.at("incumbent").is_null()) m_incumbent = member_from_json(s.at("incumbent"));
    m_restart = s.at("restart").get<int>();
    m_neighbourhood_built = s.at("neighbourhood_built").get<bool>();
    m_neighbourhood = s.at("neighbourhood").get<std::vector<Genome>>();
    m_next = s.at("next").get<size_t>();
  }

 private:
  void adopt(const Observation& o) {
    m_incumbent = member_of(o);
    m_neighbourhood_built = false;
  }

  int m_proposed = 0;
  std::optional<Member> m_incumbent;
  int m_restart = -1;  ///< index of the proposal whose result starts the next climb; -1: none pending
  bool m_neighbourhood_built = false;
  std::vector<Genome> m_neighbourhood;  ///< the incumbent's neighbours, shuffled
  size_t m_next = 0;                    ///< the next of them to propose
};

}  // namespace

std::unique_ptr<Strategy> make_local_search() { return std::make_unique<LocalSearch>(); }

}  // namespace hwnas
