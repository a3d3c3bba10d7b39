// This file implements the three strategies behind the Strategy interface (see
// strategy.hpp) and the population members they share.
//  - Random search: uniform feasible samples; the baseline.
//  - Aging evolution (Real et al. 2019): a queue of the last population_size results;
//    each proposal mutates the best of sample_size random members; the oldest member
//    leaves when a new one arrives. "Best" is a random-weight Chebyshev scalarisation of
//    the objectives (1 - int8 accuracy and the cost objectives, each normalised to the
//    population's range), with fresh weights per tournament, as uNAS does: over many
//    proposals this covers the whole accuracy-cost front instead of one corner of it.
//    With no cost objectives it is plain accuracy. The budgets stay hard constraints.
//  - NSGA-II, steady state: a population of population_size members ranked by
//    non-dominated sorting and crowding distance over the objectives (1 - int8 accuracy
//    and the configured costs on every target); two binary tournaments pick the parents
//    of a crossover-plus-mutation child; each arrival evicts the member of the worst front
//    with the smallest crowding distance. Failed networks never enter: with every
//    candidate feasible by construction, a failure is the only infeasibility left, and it
//    ranks below every trained network (feasibility first).
// Every strategy starts with population_size uniform samples.
#include <algorithm>
#include <deque>
#include <limits>

#include "search/strategy.hpp"

namespace hwnas {

nlohmann::json member_json(const Member& m) {
  return {{"index", m.index}, {"genome", m.genome}, {"ok", m.ok}, {"accuracy", m.accuracy},
          {"objectives", m.objectives}};
}

Member member_from_json(const nlohmann::json& j) {
  return {j.at("index").get<int>(), j.at("genome").get<Genome>(), j.at("ok").get<bool>(),
          j.at("accuracy").get<double>(), j.at("objectives").get<ObjectivePoint>()};
}

Member member_of(const Observation& o) { return {o.index, o.genome, o.ok, o.accuracy, o.objectives}; }

namespace {

template <typename Container>
nlohmann::json members_json(const Container& members) {
  nlohmann::json j = nlohmann::json::array();
  for (const Member& m : members) j.push_back(member_json(m));
  return j;
}

template <typename Container>
void restore_members(const nlohmann::json& j, Container& out) {
  out.clear();
  for (const auto& m : j) out.push_back(member_from_json(m));
}

class RandomSearch final : public Strategy {
 public:
  Proposal propose(ProposalSource& source) override { return source.random(); }
  void observe(const Observation&) override {}
  nlohmann::json state() const override { return nlohmann::json::object(); }
  void restore(const nlohmann::json&) override {}
};

// Shared by the evolutionary strategies: the initial uniform samples, counted by proposals
// (not results) so that the number of random networks does not depend on timing.
class Evolutionary : public Strategy {
 public:
  explicit Evolutionary(const SearchConfig& c) : m_population_size(c.population_size), m_changes(c.mutation_changes) {}

  Proposal propose(ProposalSource& source) final {
    ++m_proposed;
    if (m_proposed <= m_population_size || population_count() == 0) return source.random();
    return evolve(source);
  }
  nlohmann::json state() const final {
    return {{"proposed", m_proposed}, {"population", population_json()}};
  }
  void restore(const nlohmann::json& s) final {
    m_proposed = s.at("proposed").get<int64_t>();
    restore_population(s.at("population"));
  }

 protected:
  virtual Proposal evolve(ProposalSource& source) = 0;
  virtual size_t population_count() const = 0;
  virtual nlohmann::json population_json() const = 0;
  virtual void restore_population(const nlohmann::json& j) = 0;

  int m_population_size;
  int m_changes;
  int64_t m_proposed = 0;
};

class AgingEvolution final : public Evolutionary {
 public:
  explicit AgingEvolution(const SearchConfig& c) : Evolutionary(c), m_sample_size(c.sample_size) {}

  void observe(const Observation& o) override {
    m_population.push_back(member_of(o));
    while (int(m_population.size()) > m_population_size) m_population.pop_front();
  }

 private:
  Proposal evolve(ProposalSource& source) override {
    // Tournament: sample_size members drawn with replacement; the lowest scalarised cost
    // (the oldest on ties) is the parent.
    const std::vector<double> weights = draw_weights(source.rng());
    const ObjectiveRanges ranges = population_ranges();
    const Member* parent = nullptr;
    double parent_cost = 0.0;
    for (int i = 0; i < m_sample_size; ++i) {
      const Member& m = m_population[size_t(source.rng()() % m_population.size())];
      const double cost = scalarised(m, weights, ranges);
      if (!parent || cost < parent_cost || (cost == parent_cost && m.index < parent->index)) {
        parent = &m;
        parent_cost = cost;
      }
    }
    return source.mutate(parent->genome, m_changes);
  }

  // Weights in (0, 1], one per objective.
  std::vector<double> draw_weights(std::mt19937_64& rng) const {
    const size_t n = m_population.front().objectives.size();
    std::vector<double> w(n);
    for (double& v : w) v = 1.0 - double(rng() >> 11) * 0x1.0p-53;
    return w;
  }

  // Per objective, the lowest and highest value among the trained members.
  struct ObjectiveRanges {
    std::vector<double> lo, hi;
  };
  ObjectiveRanges population_ranges() const {
    const size_t n = m_population.front().objectives.size();
    ObjectiveRanges r{std::vector<double>(n, std::numeric_limits<double>::infinity()),
                      std::vector<double>(n, -std::numeric_limits<double>::infinity())};
    for (const Member& p : m_population)
      if (p.ok)
        for (size_t k = 0; k < n; ++k) {
          r.lo[k] = std::min(r.lo[k], p.objectives[k]);
          r.hi[k] = std::max(r.hi[k], p.objectives[k]);
        }
    return r;
  }

  // max_k of the objective normalised to the population's range, divided by its weight;
  // failed networks come last.
  static double scalarised(const Member& m, const std::vector<double>& weights, const ObjectiveRanges& r) {
    if (!m.ok) return std::numeric_limits<double>::infinity();
    double worst = 0.0;
    for (size_t k = 0; k < weights.size(); ++k) {
      const double normalised = r.hi[k] > r.lo[k] ? (m.objectives[k] - r.lo[k]) / (r.hi[k] - r.lo[k]) : 0.0;
      worst = std::max(worst, normalised / weights[k]);
    }
    return worst;
  }
  size_t population_count() const override { return m_population.size(); }
  nlohmann::json population_json() const override { return members_json(m_population); }
  void restore_population(const nlohmann::json& j) override { restore_members(j, m_population); }

  int m_sample_size;
  std::deque<Member> m_population;  ///< oldest first
};

class Nsga2 final : public Evolutionary {
 public:
  explicit Nsga2(const SearchConfig& c) : Evolutionary(c) {}

  void observe(const Observation& o) override {
    if (!o.ok) return;
    m_population.push_back(member_of(o));
    if (int(m_population.size()) <= m_population_size) return;
    const Ranking r = rank();
    // Evict from the worst front the most crowded member (the oldest on ties).
    size_t worst = 0;
    for (size_t i = 1; i < m_population.size(); ++i) {
      if (r.rank[i] != r.rank[worst]) {
        if (r.rank[i] > r.rank[worst]) worst = i;
        continue;
      }
      if (r.crowding[i] < r.crowding[worst]) worst = i;
    }
    m_population.erase(m_population.begin() + std::ptrdiff_t(worst));
  }

 private:
  using Ranking = FrontRanking;

  Ranking rank() const {
    std::vector<ObjectivePoint> points;
    for (const Member& m : m_population) points.push_back(m.objectives);
    return rank_and_crowding(points);
  }

  // Binary tournament: lower front wins, then larger crowding distance, then the older.
  const Member& tournament(const Ranking& r, std::mt19937_64& rng) const {
    const size_t a = size_t(rng() % m_population.size()), b = size_t(rng() % m_population.size());
    const auto better = [&](size_t x, size_t y) {
      if (r.rank[x] != r.rank[y]) return r.rank[x] < r.rank[y];
      if (r.crowding[x] != r.crowding[y]) return r.crowding[x] > r.crowding[y];
      return m_population[x].index < m_population[y].index;
    };
    return m_population[better(a, b) ? a : b];
  }

  Proposal evolve(ProposalSource& source) override {
    const Ranking r = rank();
    const Member& first = tournament(r, source.rng());
    const Member& second = tournament(r, source.rng());
    return source.crossover(first.genome, second.genome, m_changes);
  }
  size_t population_count() const override { return m_population.size(); }
  nlohmann::json population_json() const override { return members_json(m_population); }
  void restore_population(const nlohmann::json& j) override { restore_members(j, m_population); }

  std::vector<Member> m_population;  ///< in arrival order
};

}  // namespace

std::unique_ptr<Strategy> make_strategy(const SearchConfig& search) {
  switch (search.strategy) {
    case StrategyKind::kRandom: return std::make_unique<RandomSearch>();
    case StrategyKind::kAgingEvolution: return std::make_unique<AgingEvolution>(search);
    case StrategyKind::kNsga2: return std::make_unique<Nsga2>(search);
    case StrategyKind::kLocalSearch: return make_local_search();
  }
  return nullptr;
}

}  // namespace hwnas
