// This file implements the property tests of SearchSpace itself: every shipped space
// samples and decodes to consistent networks, the identity ignores what the network
// does not read and merges genomes that build the same network, log10_size agrees
// with brute-force counts, sampling replays from its seed, and a space that decodes to
// inconsistent shapes is rejected when it is bound, at the stage that breaks.
// The search operators are tested in space_operators_test.cpp and the constraint hook
// in constrained_sampling_test.cpp.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/space_test_support.hpp"
#include "util/errors.hpp"

namespace hwnas::test {

namespace {

constexpr uint64_t kSeed = 20240611;

/// 12x12 -> 6x6 -> 3x3, then a 7x7 kernel without padding: stage 2 cannot be built.
const char* const kShrinkingSpace = R"({
  "name": "shrinking",
  "stages": [
    {"name": "down1", "block": "conv", "filters": 8, "kernel": 3, "stride": 2},
    {"name": "down2", "block": "conv", "filters": 8, "kernel": 3, "stride": 2},
    {"name": "wide", "block": "conv", "filters": 8, "kernel": 7, "padding": "valid"},
    {"name": "gap", "block": "global_pool"},
    {"name": "out", "block": "classifier"}
  ]
})";

std::set<std::string> distinct_identities(const SearchSpace& space) {
  std::set<std::string> ids;
  for (const Genome& g : all_genomes(space)) ids.insert(space.identity(g));
  return ids;
}

/// The ConfigError that binding `spec` to `data` throws (its pointer and message).
ConfigError binding_error(std::shared_ptr<const SpaceSpec> spec, TensorShape data) {
  try {
    SearchSpace space(std::move(spec), data, 10);
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("binding to " << data.str() << " did not throw a ConfigError");
  return ConfigError("", "", "", "");
}

}  // namespace

TEST_SUITE("search_space") {
  TEST_CASE("10,000 random samples of each shipped space decode to consistent networks") {
    for (const ShippedBinding& binding : shipped_bindings()) {
      INFO(binding.label());
      const SearchSpace space = bind_shipped(binding);
      std::mt19937_64 rng(kSeed);
      std::vector<Genome> samples(binding.primary ? 10000 : 2000);
      for (Genome& g : samples) g = space.sample(rng);
      // Every 10th sample also re-hashes the identity: enough to catch a stale one.
      const auto problems = parallel_problems(samples.size(), [&](size_t i) {
        const std::string problem = network_problem(space, samples[i], space.decode_detailed(samples[i]), i % 10 == 0);
        return problem.empty() ? problem : "genome " + genome_text(samples[i]) + ": " + problem;
      });
      CHECK(first_problem(problems) == "");
      // A sampler that never draws some value leaves part of the space unreachable.
      for (size_t k = 0; k < space.genome_size(); ++k) {
        std::set<int> drawn;
        for (const Genome& g : samples) drawn.insert(g[k]);
        INFO(space.spec().genes[k].label);
        CHECK(drawn.size() == space.spec().genes[k].values.size());
      }
    }
  }

  TEST_CASE("mcunet's input takes the chosen resolution and the data's channels") {
    const SearchSpace space = bind_shipped({"mcunet.json", {28, 28, 1}, 10});
    const size_t resolution = gene_index(space, "input resolution");
    for (int r = 0; r < 6; ++r) {
      Genome g = space.first_genome();
      g[resolution] = r;
      const int side = 96 + 16 * r;  // the choice is 96, 112, ..., 176
      CHECK(space.decode(g).input_shape() == TensorShape{side, side, 1});
    }
  }

  TEST_CASE("changing the genes the network does not read keeps the network and its identity") {
    std::atomic<int> unread_changed{0};
    for (const ShippedBinding& binding : one_binding_per_space()) {
      INFO(binding.label());
      const SearchSpace space = bind_shipped(binding);
      std::mt19937_64 rng(kSeed);
      std::vector<Genome> samples(600);
      for (Genome& g : samples) g = space.sample(rng);
      const auto problems = parallel_problems(samples.size(), [&](size_t i) -> std::string {
        const Genome& g = samples[i];
        const DecodedNetwork original = space.decode_detailed(g);
        Genome changed = g;  // every unread gene to another value at once
        for (size_t k = 0; k < g.size(); ++k) {
          const int n = int(space.spec().genes[k].values.size());
          if (original.active[k] || n == 1) continue;
          changed[k] = (g[k] + 1) % n;
          ++unread_changed;
        }
        const DecodedNetwork same = space.decode_detailed(changed);
        if (same.identity != original.identity) return genome_text(g) + " -> " + genome_text(changed) + ": identity";
        if (!same.arch.same_definition(original.arch)) return genome_text(changed) + ": another network";
        if (same.active != original.active) return genome_text(changed) + ": reads other genes";
        return "";
      });
      CHECK(first_problem(problems) == "");
    }
    // unas (pool blocks ignore filters, short stages ignore later blocks) and mcunet
    // (depth) have many unread genes; the test must have exercised them.
    CHECK(unread_changed > 10000);
  }

  TEST_CASE("genomes that decode to the same network share its identity") {
    const SearchSpace space(parse_inline_space(kCoincidingSpace), {8, 8, 1}, 4);
    const size_t width = gene_index(space, "width_multiplier");
    const size_t kernel = gene_index(space, "stage 'c' kernel, block 1");
    auto genome = [&](int w, int k) {
      Genome g(2);
      g[width] = w;
      g[kernel] = k;
      return g;
    };
    // width 0.9 rounds 14.4 filters up to 16, the same as width 1.0.
    CHECK(space.identity(genome(0, 1)) == space.identity(genome(1, 1)));
    CHECK(space.decode(genome(0, 1)).same_definition(space.decode(genome(1, 1))));
    // kernel 3 and [3, 3] are one kernel.
    CHECK(space.identity(genome(1, 1)) == space.identity(genome(1, 2)));
    // Width 2.0 and kernel 5 really differ.
    CHECK(space.identity(genome(2, 1)) != space.identity(genome(1, 1)));
    CHECK(space.identity(genome(1, 3)) != space.identity(genome(1, 1)));
  }

  TEST_CASE("log10_size counts the networks of a space without coinciding choices exactly") {
    const SearchSpace space(parse_inline_space(kTinySpace), {8, 8, 1}, 3);
    REQUIRE(space.genome_size() == 8);
    CHECK(all_genomes(space).size() == 256);
    CHECK(distinct_identities(space).size() == 40);
    CHECK(space.log10_size() == doctest::Approx(std::log10(40.0)));
  }

  TEST_CASE("log10_size is an upper bound when rounding makes choices coincide") {
    const SearchSpace space(parse_inline_space(kCoincidingSpace), {8, 8, 1}, 4);
    CHECK(distinct_identities(space).size() == 6);
    CHECK(space.log10_size() == doctest::Approx(std::log10(12.0)));
    CHECK(space.log10_size() > std::log10(6.0));
  }

  TEST_CASE("log10_size of ds_cnn_2d matches a count by hand") {
    // 7 shared channel counts x stem (3 kernels x 2 strides) x depth 2..6 blocks of
    // (2 kernels x 2 strides) each: 7 * 6 * (4^2 + 4^3 + 4^4 + 4^5 + 4^6).
    const SearchSpace space = bind_shipped({"ds_cnn_2d.json", {49, 10, 1}, 12});
    CHECK(space.log10_size() == doctest::Approx(std::log10(7.0 * 6 * (16 + 64 + 256 + 1024 + 4096))));
  }

  TEST_CASE("the same seed samples the same genomes, another seed others") {
    const SearchSpace a = bind_shipped({"unas.json", {28, 28, 1}, 10});
    const SearchSpace b = bind_shipped({"unas.json", {28, 28, 1}, 10});  // a second binding
    std::mt19937_64 rng_a(kSeed), rng_b(kSeed), rng_other(kSeed + 1);
    int same_as_other = 0;
    for (int i = 0; i < 200; ++i) {
      const Genome g = a.sample(rng_a);
      CHECK(g == b.sample(rng_b));
      same_as_other += g == a.sample(rng_other);
    }
    CHECK(same_as_other == 0);
  }

  TEST_CASE("the worst-case genome has the smallest input and the most downsampling") {
    const SearchSpace space = bind_shipped({"mcunet.json", {96, 96, 3}, 10});
    const Genome worst = space.worst_case_genome();
    CHECK(space.decode(worst).input_shape() == TensorShape{96, 96, 3});
    for (size_t k = 0; k < worst.size(); ++k) {
      const Gene& gene = space.spec().genes[k];
      INFO(gene.label);
      if (gene.role == GeneRole::kDepth) CHECK(worst[k] == int(gene.values.size()) - 1);  // deepest
      if (gene.role == GeneRole::kWindow) CHECK(gene.values[size_t(worst[k])] == 7);     // largest kernel
    }
  }

  TEST_CASE("a space whose shapes break is rejected when bound, at the stage that breaks") {
    // 12x12 -> 6x6 -> 3x3: the 7x7 valid kernel of stage 2 does not fit.
    const ConfigError e = binding_error(parse_inline_space(kShrinkingSpace), {12, 12, 1});
    CHECK(e.file() == "inline.json");
    CHECK(e.pointer() == "/stages/2");
    CHECK(contains(e.what(), "inconsistent shapes for input [12, 12, 1]"));
    CHECK(contains(e.what(), "larger than the input 3x3"));
    // 32x32 -> 8x8 leaves room for it.
    CHECK_NOTHROW(SearchSpace(parse_inline_space(kShrinkingSpace), {32, 32, 1}, 10));
  }

  TEST_CASE("the load-time check finds a break that only the worst-case genome reaches") {
    // Only 8 blocks that all stride 2 bring 256x256 down to 1x1, where the 2x2 valid
    // kernel fails: 1 genome in 2048, which the random probes alone would likely miss.
    const auto spec = parse_inline_space(R"({
      "name": "rarely_broken",
      "stages": [
        {"name": "down", "block": "conv", "depth": {"min": 1, "max": 8}, "filters": 4, "kernel": 3,
         "stride": {"choice": [1, 2]}},
        {"name": "wide", "block": "conv", "filters": 4, "kernel": 2, "padding": "valid"},
        {"name": "gap", "block": "global_pool"},
        {"name": "out", "block": "classifier"}
      ]
    })");
    CHECK(binding_error(spec, {256, 256, 1}).pointer() == "/stages/1");
    CHECK_NOTHROW(SearchSpace(spec, {512, 512, 1}, 10));
  }

  TEST_CASE("a dense stage on an unflattened input is rejected at that stage") {
    const ConfigError e = binding_error(parse_inline_space(R"({
      "name": "unflattened",
      "stages": [
        {"name": "c", "block": "conv", "filters": 8, "kernel": 3},
        {"name": "fc", "block": "dense", "units": 16},
        {"name": "out", "block": "classifier"}
      ]
    })"),
                                        {16, 16, 1});
    CHECK(e.pointer() == "/stages/1");
    CHECK(contains(e.what(), "flat input"));
  }

  TEST_CASE("a tensor too large for the device is blamed on the stage that makes it") {
    // 2048 x 2048 x 1024 elements: found only when the whole network is assembled,
    // after the last stage, but the fault is stage 0's.
    const ConfigError e = binding_error(parse_inline_space(R"({
      "name": "huge",
      "input": {"resolution": 2048},
      "stages": [
        {"name": "big", "block": "conv", "filters": 1024, "kernel": 1},
        {"name": "gap", "block": "global_pool"},
        {"name": "out", "block": "classifier"}
      ]
    })"),
                                        {8, 8, 1});
    CHECK(e.pointer() == "/stages/0");
    CHECK(contains(e.what(), "too large"));
  }

  TEST_CASE("a stage named like another stage's block prefix is rejected, not decoded to clashing layers") {
    // Stage "s" of 2 blocks names its layers s_b1_conv, s_b2_conv; stage "s_b1" would
    // name its own s_b1_conv as well.
    const std::string text = R"({
      "name": "clashing",
      "stages": [
        {"name": "s", "block": "conv", "depth": 2, "filters": 4, "kernel": 3},
        {"name": "s_b1", "block": "conv", "filters": 4, "kernel": 3},
        {"name": "gap", "block": "global_pool"},
        {"name": "out", "block": "classifier"}
      ]
    })";
    try {
      parse_inline_space(text);
      FAIL("parsed");
    } catch (const ConfigError& e) {
      CHECK(e.pointer() == "/stages/1/name");
      CHECK(contains(e.what(), "block prefix of stage 's'"));
    }
    // With one block, "s" names its layers s_conv: "s_b1" is then free.
    nlohmann::json one_block = nlohmann::json::parse(text);
    one_block["stages"][0]["depth"] = 1;
    CHECK_NOTHROW(SearchSpace(parse_space(one_block, "inline.json", "", source_path("configs")), {8, 8, 1}, 10));
  }

  TEST_CASE("a space written inside a run config names the stage's pointer in that config") {
    const auto spec = parse_space(nlohmann::json::parse(kShrinkingSpace), "run.json", "/search/space",
                                  source_path("configs"));
    const ConfigError e = binding_error(spec, {12, 12, 1});
    CHECK(e.file() == "run.json");
    CHECK(e.pointer() == "/search/space/stages/2");
  }
}

}  // namespace hwnas::test
