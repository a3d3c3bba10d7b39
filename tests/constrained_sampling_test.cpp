// This file implements the tests of the constraint hook (ConstrainedSampler): it
// proposes only networks the predicate accepts, counts what it rejects, gives up with
// a clear error after max_rejections rejections in a row (and only in a row), and
// replays from its seed.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "space/constrained_sampling.hpp"
#include "tests/space_test_support.hpp"
#include "util/errors.hpp"

namespace hwnas::test {

namespace {

constexpr uint64_t kSeed = 5150;

/// uNAS on MNIST-sized input: cheap to decode, and its parameter counts span orders of
/// magnitude, so a budget can reject most of it.
SearchSpace unas_space() { return bind_shipped({"unas.json", {28, 28, 1}, 10}); }

/// The parameter count that only about a fifth of the samples stay under.
int64_t tight_param_budget(const SearchSpace& space) {
  std::mt19937_64 rng(kSeed + 1);
  std::vector<int64_t> params;
  for (int i = 0; i < 200; ++i) params.push_back(space.decode(space.sample(rng)).total_params());
  std::sort(params.begin(), params.end());
  return params[params.size() / 5];
}

NetworkPredicate params_at_most(int64_t budget) {
  return [budget](const Genome&, const DecodedNetwork& n) { return n.arch.total_params() <= budget; };
}

/// Accepts every `period`-th network it is asked about and rejects the others.
NetworkPredicate every_nth(int period) {
  return [period, calls = 0](const Genome&, const DecodedNetwork&) mutable { return ++calls % period == 0; };
}

}  // namespace

TEST_SUITE("constrained_sampling") {
  TEST_CASE("samples are only networks within the budget, and rejections are counted") {
    const SearchSpace space = unas_space();
    const int64_t budget = tight_param_budget(space);
    ConstrainedSampler sampler(space, params_at_most(budget), 1000);
    std::mt19937_64 rng(kSeed);
    for (int i = 0; i < 100; ++i) {
      const Proposal p = sampler.sample(rng);
      CHECK(p.network.arch.total_params() <= budget);
      // The network handed out is the genome's, complete and consistent.
      CHECK(p.network.identity == space.identity(p.genome));
      CHECK(network_problem(space, p.genome, p.network) == "");
    }
    CHECK(sampler.accepted() == 100);
    CHECK(sampler.rejected() > 100);  // about 4 of 5 samples are over the budget
  }

  TEST_CASE("mutations are only networks within the budget and differ from the parent") {
    const SearchSpace space = unas_space();
    const int64_t budget = tight_param_budget(space);
    ConstrainedSampler sampler(space, params_at_most(budget), 1000);
    std::mt19937_64 rng(kSeed);
    const Proposal parent = sampler.sample(rng);
    for (int i = 0; i < 100; ++i) {
      const std::optional<Proposal> mutated = sampler.mutate(parent.genome, rng, 1 + i % 3);
      REQUIRE(mutated);
      const Proposal& child = *mutated;
      CHECK(child.network.arch.total_params() <= budget);
      CHECK(child.network.identity != parent.network.identity);
      CHECK(child.network.identity == space.identity(child.genome));
    }
    CHECK(sampler.accepted() == 101);
  }

  TEST_CASE("a predicate that never holds is an error that says proposals were rejected") {
    const SearchSpace space = unas_space();
    ConstrainedSampler sampler(space, [](const Genome&, const DecodedNetwork&) { return false; }, 50);
    std::mt19937_64 rng(kSeed);
    CHECK_THROWS_WITH_AS(sampler.sample(rng), doctest::Contains("50 proposals in a row were rejected"), UserError);
    CHECK(sampler.rejected() == 50);
    CHECK(sampler.accepted() == 0);

    // The message names the space, so a run with several can tell which.
    try {
      ConstrainedSampler(space, [](const Genome&, const DecodedNetwork&) { return false; }, 50).sample(rng);
      FAIL("sample did not give up");
    } catch (const UserError& e) {
      CHECK(contains(e.what(), "search space 'unas'"));
      CHECK(contains(e.what(), "rejected"));
    }
  }

  TEST_CASE("a parent with no feasible mutation is given up on, without ending the run") {
    // Run 17 (NSGA-II from a network on all its budgets) died here: a crossover child of
    // two such networks had no feasible mutation, and 10,000 tries counted as the space's
    // rejections in a row.
    const SearchSpace space = unas_space();
    const int64_t budget = tight_param_budget(space);
    std::mt19937_64 rng(kSeed);
    ConstrainedSampler sampler(space, params_at_most(budget), 50);
    const Proposal small = sampler.sample(rng);
    ConstrainedSampler none_fit(space, [](const Genome&, const DecodedNetwork&) { return false; }, 50);
    CHECK_FALSE(none_fit.mutate(small.genome, rng).has_value());
    CHECK(none_fit.rejected() == 50);
    // Those rejections are not in a row for sample(): it still gets its 50.
    CHECK_THROWS_WITH_AS(none_fit.sample(rng), doctest::Contains("50 proposals in a row"), UserError);
    CHECK(none_fit.rejected() == 100);
  }

  TEST_CASE("a neighbour that does not fit is counted, but not towards sample()'s limit") {
    // A local search walks through a network's neighbours; on its budgets most do not fit.
    const SearchSpace space = unas_space();
    std::mt19937_64 rng(kSeed);
    ConstrainedSampler none_fit(space, [](const Genome&, const DecodedNetwork&) { return false; }, 50);
    const Genome genome = space.sample(rng);
    for (int i = 0; i < 120; ++i) CHECK_FALSE(none_fit.consider(genome).has_value());
    CHECK(none_fit.rejected() == 120);
    CHECK_THROWS_WITH_AS(none_fit.sample(rng), doctest::Contains("50 proposals in a row"), UserError);
  }

  TEST_CASE("max_rejections counts rejections in a row, not in total") {
    const SearchSpace space = unas_space();
    std::mt19937_64 rng(kSeed);
    // 4 rejections before each acceptance: a limit of 5 is never reached ...
    ConstrainedSampler patient(space, every_nth(5), 5);
    for (int i = 0; i < 20; ++i) CHECK_NOTHROW(patient.sample(rng));
    CHECK(patient.accepted() == 20);
    CHECK(patient.rejected() == 80);
    // ... a limit of 4 is, on the 4th rejection.
    ConstrainedSampler impatient(space, every_nth(5), 4);
    CHECK_THROWS_AS(impatient.sample(rng), UserError);
    CHECK(impatient.rejected() == 4);
  }

  TEST_CASE("constrained sampling replays from the seed") {
    const SearchSpace space = unas_space();
    const int64_t budget = tight_param_budget(space);
    ConstrainedSampler a(space, params_at_most(budget), 1000), b(space, params_at_most(budget), 1000);
    std::mt19937_64 rng_a(kSeed), rng_b(kSeed);
    for (int i = 0; i < 30; ++i) {
      const Proposal pa = a.sample(rng_a), pb = b.sample(rng_b);
      CHECK(pa.genome == pb.genome);
      CHECK(a.mutate(pa.genome, rng_a)->genome == b.mutate(pb.genome, rng_b)->genome);
    }
    CHECK(a.rejected() == b.rejected());
  }

  TEST_CASE("a rare genome that decodes to an invalid network is a rejection, not the end of the run") {
    // Six blocks that each pick their kind; only an all-pool genome (1 in 4^6) shrinks a
    // 32x32 input below the 2x2 valid pool, which the load-time probes miss.
    const SearchSpace space(parse_inline_space(R"({"name": "rare", "stages": [
        {"name": "body", "block": {"choice": ["conv", "pool", "separable", "inverted_residual"]}, "depth": 6,
         "filters": 8, "kernel": 1, "expansion": 2, "pool_size": 2, "padding": "valid"},
        {"block": "global_pool"}, {"block": "classifier"}]})"),
                            {32, 32, 1}, 6);
    Genome all_pools(space.genome_size(), 1);  // index 1 of the kind choice is "pool"
    CHECK_THROWS_AS(space.decode(all_pools), SpaceDecodeError);
    ConstrainedSampler sampler(space, [](const Genome&, const DecodedNetwork&) { return true; }, 1000);
    std::mt19937_64 rng(kSeed);
    for (int i = 0; i < 20000; ++i) sampler.sample(rng);
    CHECK(sampler.accepted() == 20000);
    CHECK(sampler.invalid() > 0);
    CHECK(sampler.rejected() == sampler.invalid());
    // Mutation and neighbours step around the invalid genome too.
    Genome one_conv = all_pools;
    one_conv[0] = 0;
    for (const Genome& n : space.neighbours(one_conv)) CHECK(n != all_pools);
    for (int i = 0; i < 200; ++i) CHECK_NOTHROW(space.decode(space.mutate(one_conv, rng)));
  }
}

}  // namespace hwnas::test
