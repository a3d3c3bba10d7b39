// This file implements the tests of the foundation's cnn_chain space, the architecture
// identity and feasibility-first sampling.
#include <doctest/doctest.h>

#include <set>

#include "search/feasible_sampler.hpp"
#include "space/arch_identity.hpp"
#include "space/arch_json.hpp"

namespace hwnas::test {

namespace {

CnnChainSpace small_space() {
  CnnChainSpaceConfig c;
  c.min_blocks = 1;
  c.max_blocks = 3;
  c.channels = {4, 8, 16};
  c.kernels = {3, 5};
  c.dense_units = {0, 16};
  return CnnChainSpace(c, {28, 28, 1}, 10);
}

TargetConfig target(double ram_kb, double flash_kb) {
  TargetConfig t;
  t.mcu = *McuDatabase::builtin().find("STM32F746");
  t.max_ram_kb = ram_kb;
  t.max_flash_kb = flash_kb;
  t.safety_margin = 0.0;
  return t;
}

}  // namespace

TEST_SUITE("cnn_chain_space") {
  TEST_CASE("samples decode to valid networks ending in a 10-way softmax") {
    const auto space = small_space();
    std::mt19937_64 rng(3);
    for (int i = 0; i < 200; ++i) {
      const Architecture a = space.decode(space.sample(rng));
      CHECK(a.output_shape() == TensorShape{1, 1, 10});
      CHECK(a.layers().back().op == OpKind::kSoftmax);
    }
  }

  TEST_CASE("decode is exact for a known genome") {
    // 2 blocks: (8 ch, k5), (16 ch, k3); no hidden dense.
    const Architecture a = small_space().decode({1, 1, 1, 2, 0, 0, 0, 0});
    // conv 5x5x1x8 = 200; bn 32; conv 3x3x8x16 = 1152; bn 64; dense 16*10+10 = 170
    CHECK(a.total_params() == 200 + 32 + 1152 + 64 + 170);
    // MACs: 28*28*8*25 = 156800; after pool 14x14: 14*14*16*72 = 225792; dense 160
    CHECK(a.total_macs() == 156800 + 225792 + 160);
  }

  TEST_CASE("identity ignores names and unused genes, and separates different networks") {
    const auto space = small_space();
    // Genes of the third block are unused when depth is 2.
    const Architecture a = space.decode({1, 1, 1, 2, 0, 0, 0, 0});
    const Architecture b = space.decode({1, 1, 1, 2, 0, 2, 1, 0});
    const Architecture c = space.decode({1, 1, 1, 2, 1, 0, 0, 0});
    CHECK(architecture_identity(a) == architecture_identity(b));
    CHECK(architecture_identity(a) != architecture_identity(c));
    auto json = architecture_to_json(a);
    json["name"] = "renamed";
    for (auto& l : json["layers"]) l["name"] = "x" + l["name"].get<std::string>();
    for (auto& l : json["layers"])
      for (auto& in : l["inputs"])
        if (in != "input") in = "x" + in.get<std::string>();
    CHECK(architecture_identity(architecture_from_json(json, "mem")) == architecture_identity(a));
  }

  TEST_CASE("sampling rejects infeasible candidates before training and never repeats one") {
    const auto space = small_space();
    const auto out = sample_feasible(space, {target(8, 4)}, 10, 10000, 42);
    CHECK(out.candidates.size() == 10);
    CHECK(out.rejected > 0);  // 8 KiB RAM excludes wide first blocks (28*28*16 = 12.5 KB)
    std::set<std::string> ids;
    for (const auto& c : out.candidates) {
      CHECK(fits_all(c.costs));
      CHECK(c.costs[0].bounds.ram_bytes <= 8 * 1024);
      ids.insert(c.identity);
    }
    CHECK(ids.size() == out.candidates.size());
  }

  TEST_CASE("sampling is reproducible from the seed") {
    const auto space = small_space();
    const auto a = sample_feasible(space, {target(320, 1024)}, 8, 100, 5);
    const auto b = sample_feasible(space, {target(320, 1024)}, 8, 100, 5);
    const auto c = sample_feasible(space, {target(320, 1024)}, 8, 100, 6);
    bool all_same_as_c = true;
    for (size_t i = 0; i < a.candidates.size(); ++i) {
      CHECK(a.candidates[i].identity == b.candidates[i].identity);
      CHECK(a.candidates[i].seed == b.candidates[i].seed);
      all_same_as_c = all_same_as_c && a.candidates[i].identity == c.candidates[i].identity;
    }
    CHECK_FALSE(all_same_as_c);
  }

  TEST_CASE("an impossible budget is a clear error, not an endless loop") {
    CHECK_THROWS_WITH_AS(sample_feasible(small_space(), {target(0.1, 1024)}, 5, 200, 1),
                         doctest::Contains("no member that fits"), UserError);
  }

  TEST_CASE("a space smaller than the request yields all its members") {
    CnnChainSpaceConfig c;
    c.min_blocks = c.max_blocks = 1;
    c.channels = {4, 8};
    c.kernels = {3};
    c.dense_units = {0};
    const CnnChainSpace tiny(c, {8, 8, 1}, 2);
    const auto out = sample_feasible(tiny, {target(320, 1024)}, 10, 500, 1);
    CHECK(out.candidates.size() == 2);
  }
}

}  // namespace hwnas::test
