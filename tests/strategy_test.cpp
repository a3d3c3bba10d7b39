// This file implements the tests of the search strategies and their proposal source:
// proposals are feasible and never repeat, saved state replays exactly, aging evolution
// mutates its best member, and steady-state NSGA-II evicts dominated members first.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "search/proposal_source.hpp"
#include "search/strategy.hpp"
#include "tests/space_test_support.hpp"

namespace hwnas::test {

namespace {

SearchSpace unas_space() { return bind_shipped({"unas.json", {28, 28, 1}, 10}); }

NetworkPredicate params_at_most(int64_t budget) {
  return [budget](const Genome&, const DecodedNetwork& n) { return n.arch.total_params() <= budget; };
}

SearchConfig evolution_config(StrategyKind kind) {
  SearchConfig c;
  c.strategy = kind;
  c.population_size = 6;
  c.sample_size = 6;  // every tournament sees the whole population: the parent is the best
  return c;
}

// A made-up, deterministic "accuracy" so that the tests need no training.
Observation observe(const Proposal& p, int index) {
  Observation o;
  o.index = index;
  o.genome = p.genome;
  o.ok = true;
  o.accuracy = double(std::hash<std::string>{}(p.network.identity) % 1000) / 1000.0;
  o.objectives = {1.0 - o.accuracy, double(p.network.arch.total_params())};
  return o;
}

// Runs `n` propose/observe rounds and returns the identities proposed.
std::vector<std::string> drive(Strategy& s, ProposalSource& source, int first, int n) {
  std::vector<std::string> ids;
  for (int i = first; i < first + n; ++i) {
    const Proposal p = s.propose(source);
    ids.push_back(p.network.identity);
    s.observe(observe(p, i));
  }
  return ids;
}

}  // namespace

TEST_SUITE("strategies") {
  TEST_CASE("every strategy proposes feasible networks it has never proposed before") {
    const SearchSpace space = unas_space();
    const int64_t budget = 60000;
    for (StrategyKind kind : {StrategyKind::kRandom, StrategyKind::kAgingEvolution, StrategyKind::kNsga2,
                              StrategyKind::kLocalSearch}) {
      CAPTURE(strategy_name(kind));
      ProposalSource source(space, params_at_most(budget), 10000, 7);
      auto strategy = make_strategy(evolution_config(kind));
      std::set<std::string> seen;
      for (int i = 0; i < 30; ++i) {
        const Proposal p = strategy->propose(source);
        CHECK(p.network.arch.total_params() <= budget);
        CHECK(seen.insert(p.network.identity).second);
        strategy->observe(observe(p, i));
      }
      CHECK(source.accepted() == 30);
    }
  }

  TEST_CASE("a parent with no feasible mutation or crossover child gets a uniform sample instead") {
    // Run 17 (NSGA-II from a network on all its budgets) ended with "10000 proposals in a
    // row were rejected" although a quarter of the space fit: the tries were mutations of
    // one crossover child with no feasible neighbour.
    const SearchSpace space = unas_space();
    std::mt19937_64 rng(21);
    Genome huge = space.sample(rng);
    for (int i = 0; i < 300; ++i) {
      const Genome g = space.sample(rng);
      if (space.decode(g).total_params() > space.decode(huge).total_params()) huge = g;
    }
    const int64_t budget = 20000;
    REQUIRE(space.decode(huge).total_params() > 20 * budget);  // no single change gets it under
    ProposalSource source(space, params_at_most(budget), 50, 3);
    for (int i = 0; i < 3; ++i) {
      const Proposal m = source.mutate(huge, 1);
      CHECK(m.network.arch.total_params() <= budget);
      const Proposal c = source.crossover(huge, huge, 1);
      CHECK(c.network.arch.total_params() <= budget);
    }
    CHECK(source.accepted() == 6);
  }

  TEST_CASE("a saved strategy and source replay the same proposals") {
    const SearchSpace space = unas_space();
    for (StrategyKind kind : {StrategyKind::kRandom, StrategyKind::kAgingEvolution, StrategyKind::kNsga2,
                              StrategyKind::kLocalSearch}) {
      CAPTURE(strategy_name(kind));
      ProposalSource source(space, params_at_most(80000), 10000, 11);
      auto strategy = make_strategy(evolution_config(kind));
      drive(*strategy, source, 0, 12);
      const nlohmann::json saved_strategy = strategy->state(), saved_source = source.state();
      const std::vector<std::string> original = drive(*strategy, source, 12, 10);

      ProposalSource restored_source(space, params_at_most(80000), 10000, 999);  // another seed: state wins
      auto restored = make_strategy(evolution_config(kind));
      restored->restore(nlohmann::json::parse(saved_strategy.dump()));
      restored_source.restore(nlohmann::json::parse(saved_source.dump()));
      CHECK(drive(*restored, restored_source, 12, 10) == original);
      CHECK(restored_source.rejected() == source.rejected());
    }
  }

  TEST_CASE("local search proposes its incumbent's neighbours, moves on a better result, restarts at a local optimum") {
    const SearchSpace space = unas_space();
    ProposalSource source(space, params_at_most(1000000), 10000, 5);
    auto strategy = make_strategy(evolution_config(StrategyKind::kLocalSearch));
    const auto result = [](const Proposal& p, int index, double accuracy) {
      Observation o = observe(p, index);
      o.accuracy = accuracy;
      return o;
    };
    int index = 0;
    const Proposal start = strategy->propose(source);
    strategy->observe(result(start, index++, 0.5));
    // Worse neighbours: the climb stays at the start.
    for (int i = 0; i < 5; ++i) {
      const Proposal p = strategy->propose(source);
      CHECK(genes_differing(p.genome, start.genome) == 1);
      CHECK(p.network.identity != start.network.identity);
      strategy->observe(result(p, index++, 0.4));
    }
    // A better neighbour becomes the incumbent: the next proposals are its neighbours.
    const Proposal better = strategy->propose(source);
    strategy->observe(result(better, index++, 0.6));
    for (int i = 0; i < 5; ++i) {
      const Proposal p = strategy->propose(source);
      CHECK(genes_differing(p.genome, better.genome) == 1);
      strategy->observe(result(p, index++, 0.3));
    }
    // Its whole neighbourhood, none better: the next proposal restarts, and its result
    // (worse as it may be) starts the next climb.
    const std::vector<Genome> around = space.neighbours(better.genome);
    std::set<std::string> neighbour_ids;
    for (const Genome& g : around) neighbour_ids.insert(space.identity(g));
    Proposal p = strategy->propose(source);
    int guard = 0;
    while (neighbour_ids.count(p.network.identity) && ++guard < 10000) {
      strategy->observe(result(p, index++, 0.3));
      p = strategy->propose(source);
    }
    CHECK(genes_differing(p.genome, better.genome) > 1);
    strategy->observe(result(p, index++, 0.1));
    const Proposal after = strategy->propose(source);
    CHECK(genes_differing(after.genome, p.genome) == 1);
    CHECK(strategy->state()["incumbent"]["index"] == index - 1);
  }

  TEST_CASE("aging evolution with accuracy alone mutates its most accurate member") {
    const SearchSpace space = unas_space();
    ProposalSource source(space, params_at_most(1000000), 10000, 3);
    SearchConfig config = evolution_config(StrategyKind::kAgingEvolution);
    auto strategy = make_strategy(config);
    std::vector<Observation> population;
    for (int i = 0; i < 6; ++i) {
      const Proposal p = strategy->propose(source);
      population.push_back(observe(p, i));
      population.back().objectives.resize(1);  // no cost objectives: 1 - accuracy only
      strategy->observe(population.back());
    }
    const Observation* best = &population[0];
    for (const Observation& o : population)
      if (o.accuracy > best->accuracy) best = &o;
    // The child differs from the best genome in at most mutation_changes genes, unless the
    // neighbourhood was exhausted (not in a space this large).
    const Proposal child = strategy->propose(source);
    int differing = 0;
    for (size_t g = 0; g < child.genome.size(); ++g) differing += child.genome[g] != best->genome[g] ? 1 : 0;
    CHECK(differing >= 1);
    CHECK(differing <= config.mutation_changes);
    // The oldest member leaves when a new result arrives.
    Observation next = observe(child, 6);
    next.objectives.resize(1);
    strategy->observe(next);
    const nlohmann::json members = strategy->state()["population"];
    CHECK(members.size() == 6);
    CHECK(members.front()["index"] == 1);
  }

  TEST_CASE("aging evolution with cost objectives picks parents across the accuracy-cost trade-off") {
    // Two members: one accurate and large, one small and inaccurate. With random weights
    // per tournament, each is chosen as the parent some of the time.
    const SearchSpace space = unas_space();
    ProposalSource source(space, params_at_most(1000000), 10000, 9);
    SearchConfig config = evolution_config(StrategyKind::kAgingEvolution);
    config.population_size = 2;
    config.sample_size = 2;
    auto strategy = make_strategy(config);
    std::vector<Genome> genomes;
    for (int i = 0; i < 2; ++i) {
      Observation o;
      o.index = i;
      o.genome = strategy->propose(source).genome;
      o.ok = true;
      o.accuracy = i == 0 ? 0.9 : 0.5;
      o.objectives = {1.0 - o.accuracy, i == 0 ? 1000.0 : 10.0};
      genomes.push_back(o.genome);
      strategy->observe(o);
    }
    int from_accurate = 0, from_small = 0;
    for (int i = 0; i < 40; ++i) {
      const Genome child = strategy->propose(source).genome;
      const auto distance = [&](const Genome& g) {
        int d = 0;
        for (size_t k = 0; k < g.size(); ++k) d += g[k] != child[k] ? 1 : 0;
        return d;
      };
      from_accurate += distance(genomes[0]) <= config.mutation_changes ? 1 : 0;
      from_small += distance(genomes[1]) <= config.mutation_changes ? 1 : 0;
    }
    CHECK(from_accurate >= 5);
    CHECK(from_small >= 5);
  }

  TEST_CASE("NSGA-II keeps its population size and evicts a dominated member first") {
    const SearchSpace space = unas_space();
    ProposalSource source(space, params_at_most(1000000), 10000, 5);
    auto strategy = make_strategy(evolution_config(StrategyKind::kNsga2));
    // Six members on one front (accuracy against size), then one dominated by all of them.
    for (int i = 0; i < 6; ++i) {
      Observation o;
      o.index = i;
      o.genome = strategy->propose(source).genome;
      o.ok = true;
      o.accuracy = 0.5 + 0.05 * i;
      o.objectives = {1.0 - o.accuracy, double(100 * (i + 1))};
      strategy->observe(o);
    }
    Observation worse;
    worse.index = 6;
    worse.genome = strategy->propose(source).genome;
    worse.ok = true;
    worse.accuracy = 0.1;
    worse.objectives = {0.9, 10000.0};
    strategy->observe(worse);
    std::set<int> kept;
    const nlohmann::json state = strategy->state();
    for (const auto& m : state["population"]) kept.insert(m["index"].get<int>());
    CHECK(kept == std::set<int>{0, 1, 2, 3, 4, 5});
    // A failed network never enters.
    Observation failed = worse;
    failed.index = 7;
    failed.ok = false;
    strategy->observe(failed);
    CHECK(strategy->state()["population"].size() == 6);
  }
}

}  // namespace hwnas::test
