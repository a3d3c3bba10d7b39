// This file implements the property tests of SearchSpace's search operators on the
// shipped spaces and on tiny spaces counted by hand: mutation always yields a valid,
// different network by changing only genes the parent reads; crossover takes each
// gene from a parent; neighbours are one-gene changes, one per distinct network; and
// every operator replays from its seed.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/space_test_support.hpp"
#include "util/errors.hpp"

namespace hwnas::test {

namespace {

constexpr uint64_t kSeed = 77031;

/// Samples drawn in order from one seeded generator.
std::vector<Genome> samples_of(const SearchSpace& space, size_t count) {
  std::mt19937_64 rng(kSeed);
  std::vector<Genome> out(count);
  for (Genome& g : out) g = space.sample(rng);
  return out;
}

/// What is wrong with `child` as a mutation of `parent` with `changes` changes: it must
/// be a valid network other than the parent's, made by changing 1 to `changes` genes
/// (fewer only if the parent reads fewer), each of them one the parent reads.
std::string mutation_problem(const SearchSpace& space, const Genome& parent, const DecodedNetwork& decoded,
                             const Genome& child, int changes) {
  if (auto problem = genome_problem(space, child); !problem.empty()) return problem;
  const DecodedNetwork network = space.decode_detailed(child);
  if (auto problem = network_problem(space, child, network, false); !problem.empty()) return problem;
  if (network.identity == decoded.identity) return "the same network as the parent";
  const int changed = genes_differing(parent, child);
  if (changed < 1 || changed > changes) return std::to_string(changed) + " genes changed";
  for (size_t k = 0; k < parent.size(); ++k)
    if (parent[k] != child[k] && !decoded.active[k]) return "changed unread gene " + space.spec().genes[k].label;
  return "";
}

/// A space whose only choice is a width multiplier with 200 values that all round to
/// 16 filters and one (2.0) that gives 32: a random change almost never alters the
/// network, so mutation must keep looking.
std::shared_ptr<const SpaceSpec> needle_space() {
  nlohmann::json widths = nlohmann::json::array();
  for (int i = 0; i < 200; ++i) widths.push_back(0.76 + 0.0017 * i);  // 12.2 .. 17.6 filters -> 16
  widths.push_back(2.0);
  nlohmann::json space = nlohmann::json::parse(R"({
    "name": "needle",
    "stages": [
      {"name": "c", "block": "conv", "filters": 16, "kernel": 3},
      {"name": "gap", "block": "global_pool"},
      {"name": "out", "block": "classifier"}
    ]
  })");
  space["width_multiplier"] = {{"choice", widths}};
  return parse_space(space, "needle.json", "", source_path("configs/spaces"));
}

}  // namespace

TEST_SUITE("space_operators") {
  TEST_CASE("every mutation of a shipped space's samples is a valid, different network") {
    for (const ShippedBinding& binding : one_binding_per_space()) {
      INFO(binding.label());
      const SearchSpace space = bind_shipped(binding);
      const std::vector<Genome> parents = samples_of(space, 400);
      const auto problems = parallel_problems(parents.size(), [&](size_t i) -> std::string {
        std::mt19937_64 rng(kSeed + i);  // per parent: the threads' order must not matter
        const DecodedNetwork decoded = space.decode_detailed(parents[i]);
        for (int changes : {1, 3}) {
          const Genome child = space.mutate(parents[i], rng, changes);
          const std::string problem = mutation_problem(space, parents[i], decoded, child, changes);
          if (!problem.empty())
            return genome_text(parents[i]) + " -> " + genome_text(child) + " (" + std::to_string(changes) +
                   " changes): " + problem;
        }
        return "";
      });
      CHECK(first_problem(problems) == "");
    }
  }

  TEST_CASE("mutation changes exactly one gene when asked for one") {
    const SearchSpace space = bind_shipped({"unas.json", {28, 28, 1}, 10});
    std::mt19937_64 rng(kSeed);
    for (const Genome& parent : samples_of(space, 300)) CHECK(genes_differing(parent, space.mutate(parent, rng)) == 1);
  }

  TEST_CASE("mutation keeps looking until the network changes") {
    const SearchSpace space(needle_space(), {8, 8, 1}, 2);
    const size_t width = gene_index(space, "width_multiplier");
    const Genome parent(1, 0);  // width 0.76: 16 filters
    const Genome needle(1, 200);  // width 2.0: 32 filters
    REQUIRE(space.identity(parent) != space.identity(needle));
    std::mt19937_64 rng(kSeed);
    for (int i = 0; i < 20; ++i) {
      const Genome child = space.mutate(parent, rng);
      CHECK(child[width] == 200);  // the only value that gives another network
    }
  }

  TEST_CASE("a space with one network cannot be mutated") {
    // Its only choice, width 0.9 or 1.0, gives 16 filters either way.
    const SearchSpace space(parse_inline_space(R"({
      "name": "single",
      "width_multiplier": {"choice": [0.9, 1.0]},
      "stages": [{"name": "c", "block": "conv", "filters": 16, "kernel": 3}, {"name": "out", "block": "classifier"}]
    })"),
                            {1, 1, 4}, 2);
    std::mt19937_64 rng(kSeed);
    CHECK_THROWS_WITH_AS(space.mutate({0}, rng), doctest::Contains("no different neighbour"), UserError);
    CHECK(space.neighbours({0}).empty());
  }

  TEST_CASE("mutation replays from the seed, another seed mutates otherwise") {
    const SearchSpace space = bind_shipped({"ds_cnn_1d.json", {128, 1, 3}, 6});
    std::mt19937_64 a(kSeed), b(kSeed), other(kSeed + 1);
    Genome ga = space.sample(a), gb = space.sample(b), g_other = ga;
    (void)other();  // keep `other` out of step with `a`
    int same_as_other = 0;
    for (int i = 0; i < 100; ++i) {
      ga = space.mutate(ga, a, 1 + i % 3);
      gb = space.mutate(gb, b, 1 + i % 3);
      g_other = space.mutate(g_other, other, 1 + i % 3);
      CHECK(ga == gb);
      same_as_other += ga == g_other;
    }
    CHECK(same_as_other < 10);
  }

  TEST_CASE("crossover takes each gene from one of the parents and decodes") {
    for (const ShippedBinding& binding : one_binding_per_space()) {
      INFO(binding.label());
      const SearchSpace space = bind_shipped(binding);
      const std::vector<Genome> parents = samples_of(space, 1000);
      std::mt19937_64 rng(kSeed);
      std::vector<Genome> children;
      int from_a_only = 0, from_b_only = 0;  // genes where the parents differ
      for (size_t i = 0; i + 1 < parents.size(); i += 2) {
        const Genome& a = parents[i];
        const Genome& b = parents[i + 1];
        const Genome child = space.crossover(a, b, rng);
        REQUIRE(child.size() == a.size());
        for (size_t k = 0; k < child.size(); ++k) {
          CHECK((child[k] == a[k] || child[k] == b[k]));
          from_a_only += child[k] == a[k] && a[k] != b[k];
          from_b_only += child[k] == b[k] && a[k] != b[k];
        }
        children.push_back(child);
      }
      // Uniform crossover: about half of the differing genes from each parent.
      CHECK(from_a_only > 0.4 * (from_a_only + from_b_only));
      CHECK(from_b_only > 0.4 * (from_a_only + from_b_only));
      const auto problems = parallel_problems(children.size(), [&](size_t i) {
        return network_problem(space, children[i], space.decode_detailed(children[i]), false);
      });
      CHECK(first_problem(problems) == "");
    }
  }

  TEST_CASE("crossover replays from the seed") {
    const SearchSpace space = bind_shipped({"unas.json", {28, 28, 1}, 10});
    const std::vector<Genome> parents = samples_of(space, 2);
    std::mt19937_64 a(kSeed), b(kSeed);
    for (int i = 0; i < 50; ++i) CHECK(space.crossover(parents[0], parents[1], a) == space.crossover(parents[0], parents[1], b));
  }

  TEST_CASE("neighbours of shipped samples change one read gene each and are distinct networks") {
    for (const ShippedBinding& binding : one_binding_per_space()) {
      INFO(binding.label());
      const SearchSpace space = bind_shipped(binding);
      const std::vector<Genome> samples = samples_of(space, 12);
      const auto problems = parallel_problems(samples.size(), [&](size_t i) -> std::string {
        const Genome& g = samples[i];
        const DecodedNetwork original = space.decode_detailed(g);
        const std::vector<Genome> around = space.neighbours(g);
        if (around.empty()) return genome_text(g) + ": no neighbours";
        std::set<std::string> identities = {original.identity};
        for (const Genome& n : around) {
          const std::string where = genome_text(g) + " -> " + genome_text(n) + ": ";
          if (genes_differing(g, n) != 1) return where + "not one gene changed";
          for (size_t k = 0; k < g.size(); ++k)
            if (g[k] != n[k] && !original.active[k]) return where + "an unread gene changed";
          const DecodedNetwork network = space.decode_detailed(n);
          if (auto problem = network_problem(space, n, network, false); !problem.empty()) return where + problem;
          if (!identities.insert(network.identity).second) return where + "a network seen before";
        }
        return "";
      });
      CHECK(first_problem(problems) == "");
    }
  }

  TEST_CASE("neighbours in a space without coinciding choices: one per gene the network reads") {
    const SearchSpace space(parse_inline_space(kTinySpace), {8, 8, 1}, 3);
    // Every gene has two values, so each gene the network reads gives one neighbour.
    for (const Genome& g : all_genomes(space)) {
      const DecodedNetwork decoded = space.decode_detailed(g);
      INFO(genome_text(g));
      CHECK(space.neighbours(g).size() == size_t(std::count(decoded.active.begin(), decoded.active.end(), 1)));
    }

    // By hand: two blocks, a conv with 4 filters and a 3x3 pool, then flatten. It
    // reads depth, both block kinds, block 1's filters, block 2's pool size and the
    // reduction; not block 1's pool size or block 2's filters.
    Genome g(space.genome_size(), 0);
    g[gene_index(space, "stage 'mix' depth")] = 1;
    g[gene_index(space, "stage 'mix' block, block 2")] = 1;
    g[gene_index(space, "stage 'mix' pool_size, block 2")] = 1;
    g[gene_index(space, "stage 'reduce' block")] = 1;
    std::set<std::string> changed;
    for (const Genome& n : space.neighbours(g))
      for (size_t k = 0; k < g.size(); ++k)
        if (n[k] != g[k]) changed.insert(space.spec().genes[k].label);
    CHECK(changed == std::set<std::string>{"stage 'mix' depth", "stage 'mix' block, block 1",
                                           "stage 'mix' block, block 2", "stage 'mix' filters, block 1",
                                           "stage 'mix' pool_size, block 2", "stage 'reduce' block"});
  }

  TEST_CASE("neighbours skip values that give the same network") {
    const SearchSpace space(parse_inline_space(kCoincidingSpace), {8, 8, 1}, 4);
    const size_t width = gene_index(space, "width_multiplier");
    const size_t kernel = gene_index(space, "stage 'c' kernel, block 1");
    auto genome = [&](int w, int k) {
      Genome g(2);
      g[width] = w;
      g[kernel] = k;
      return g;
    };
    // Width 1.0, kernel 1. Width 0.9 gives the same 16 filters (skipped), 2.0 gives 32;
    // kernel 3 is new, [3, 3] the same as 3 (skipped), 5 new. In gene order.
    CHECK(space.neighbours(genome(1, 0)) == std::vector<Genome>{genome(2, 0), genome(1, 1), genome(1, 3)});
  }
}

}  // namespace hwnas::test
