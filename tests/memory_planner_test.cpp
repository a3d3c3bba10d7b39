// This file implements the tests of the arena planner and the operator-order search on
// hand-worked graphs: every offset and peak below was worked out by hand (the comments show
// the steps), in the style of TF Lite Micro's greedy_memory_planner_test.
#include <doctest/doctest.h>

#include "space/deploy_graph.hpp"
#include "estimators/memory_planner.hpp"
#include "estimators/schedule_search.hpp"
#include "test_support.hpp"

namespace hwnas {

namespace {

Layer conv(const std::string& name, std::vector<std::string> inputs, int filters, int kernel) {
  Layer l = test::make_test_layer(name, OpKind::kConv2D, std::move(inputs));
  l.filters = filters;
  l.kernel_h = l.kernel_w = kernel;
  return l;
}

Layer op(const std::string& name, OpKind kind, std::vector<std::string> inputs) {
  return test::make_test_layer(name, kind, std::move(inputs));
}

std::vector<int64_t> offsets_of(const MemoryPlan& plan) {
  std::vector<int64_t> out;
  for (const auto& b : plan.buffers) out.push_back(b.buffer.offset);
  return out;
}

const InPlaceRules kTflmRules{16, false, false};
const InPlaceRules kAliasingRules{4, true, true};

// input [8,8,1] -> conv 3x3x4 [8,8,4] -> max pool 2 [4,4,4] -> flatten [1,1,64] -> dense 10
Architecture chain() {
  Layer pool = op("pool", OpKind::kMaxPool2D, {"conv"});
  pool.kernel_h = pool.kernel_w = pool.stride_h = pool.stride_w = 2;
  Layer fc = op("fc", OpKind::kDense, {"flat"});
  fc.units = 10;
  return Architecture("chain", {8, 8, 1}, {conv("conv", {"input"}, 4, 3), pool, op("flat", OpKind::kFlatten, {"pool"}), fc});
}

}  // namespace

TEST_SUITE("memory_planner") {
  TEST_CASE("greedy by size: largest first, each at the lowest free aligned offset") {
    // A (100 B, steps 0-1) goes to 0; C (80 B, 2-3) does not overlap A in time: 0;
    // B (50 B, 1-2) collides with A [0,100) and C [0,80): the first aligned gap is 112.
    std::vector<PlanBuffer> b = {{100, 0, 1, 0}, {50, 1, 2, 0}, {80, 2, 3, 0}};
    CHECK(place_greedy_by_size(b, 16) == 162);
    CHECK(b[0].offset == 0);
    CHECK(b[1].offset == 112);
    CHECK(b[2].offset == 0);
  }

  TEST_CASE("a chain: tensors alternate between two regions") {
    const Architecture arch = chain();
    const DeployGraph g(arch);
    REQUIRE(g.ops().size() == 4);
    // Tensors: input 64 B [0,0], conv 256 [0,1], pool 64 [1,2], flat 64 [2,3], fc 10 [3,3].
    // conv -> 0; input collides with conv -> 256; pool collides with conv -> 256;
    // flat collides only with pool (256) -> 0 fits before it; fc collides with flat [0,64) -> 64.
    const MemoryPlan plan = plan_memory(g, {0, 1, 2, 3}, {0, 0, 0, 0}, kTflmRules);
    CHECK(offsets_of(plan) == std::vector<int64_t>{256, 0, 256, 0, 64});
    CHECK(plan.arena_bytes == 320);
    CHECK(plan.live_peak_bytes == 320);  // input + conv output, then conv + pool output
    CHECK(plan.live_bytes == std::vector<int64_t>{320, 320, 128, 74});
  }

  TEST_CASE("a chain with reshape aliased and a scratch buffer") {
    const Architecture arch = chain();
    const DeployGraph g(arch);
    // flat shares pool's buffer (steps 1-3). A 32 B scratch for the conv (step 0).
    // conv 256 -> 0; input 64 [0,0] -> 256; pool+flat 64 [1,3] -> 256; scratch 32 [0,0]
    // collides with conv [0,256) and input [256,320) -> 320; fc 10 [3,3] collides with
    // pool+flat only -> 0.
    const MemoryPlan plan = plan_memory(g, {0, 1, 2, 3}, {32, 0, 0, 0}, kAliasingRules);
    REQUIRE(plan.buffers.size() == 5);
    CHECK(plan.buffers[2].tensors == std::vector<int>{2, 3});
    CHECK(offsets_of(plan) == std::vector<int64_t>{256, 0, 256, 0, 320});
    CHECK(plan.buffers[4].scratch_of_op == 0);
    CHECK(plan.arena_bytes == 352);
  }

  TEST_CASE("a residual block: the block input stays live across the branch") {
    // input [4,4,8] 128 B -> c1 1x1 (128) -> c2 1x1 (128) -> add(input, c2) (128) -> gap (8) -> fc 2
    Layer fc = op("fc", OpKind::kDense, {"gap"});
    fc.units = 2;
    const Architecture arch("res", {4, 4, 8},
                            {conv("c1", {"input"}, 8, 1), conv("c2", {"c1"}, 8, 1), op("add", OpKind::kAdd, {"input", "c2"}),
                             op("gap", OpKind::kGlobalAvgPool, {"add"}), fc});
    const DeployGraph g(arch);
    REQUIRE(g.ops().size() == 5);
    // Lifetimes: input [0,2], c1 [0,1], c2 [1,2], add [2,3], gap [3,4], fc [4,4].
    // Size ties go to the earlier first step: input -> 0, c1 -> 128, c2 collides with both -> 256,
    // add collides with input [0,128) and c2 [256,384) -> 128; gap collides with add only -> 0;
    // fc collides with gap [0,8) -> 16 (aligned).
    const ScheduleSearchResult order = min_peak_schedule(g, std::vector<int64_t>(5, 0));
    CHECK(order.states == 0);  // one topological order: no search
    const MemoryPlan plan = plan_memory(g, order.order, std::vector<int64_t>(5, 0), kTflmRules);
    CHECK(offsets_of(plan) == std::vector<int64_t>{0, 128, 256, 128, 0, 16});
    CHECK(plan.arena_bytes == 384);
    CHECK(plan.live_peak_bytes == 384);

    // In place: add overwrites the block input (its last use), so they share a buffer [0,3];
    // the peak is still three tensors, at c2. {input, add} -> 0; c1 -> 128; c2 -> 256;
    // gap [3,4] collides with {input, add} only -> 128; fc [4,4] collides with gap -> 0.
    const MemoryPlan in_place = plan_memory(g, order.order, std::vector<int64_t>(5, 0), kAliasingRules);
    CHECK(in_place.buffers[0].tensors == std::vector<int>{0, 3});
    CHECK(offsets_of(in_place) == std::vector<int64_t>{0, 128, 256, 128, 0});
    CHECK(in_place.arena_bytes == 384);
  }

  TEST_CASE("in place never overwrites a tensor that a reshape alias keeps alive") {
    // a = conv [4,4,4] (64 B); f = flatten(a) aliases a; r = relu(f) may NOT overwrite f:
    // a is still read by the add at the end. rr = reshape(r) aliases r; s = add(a, rr) may
    // overwrite a, whose whole group {a, f} dies there.
    Layer rr = op("rr", OpKind::kReshape, {"r"});
    rr.target_shape = {4, 4, 4};
    const Architecture arch("alias", {4, 4, 1},
                            {conv("a", {"input"}, 4, 3), op("f", OpKind::kFlatten, {"a"}), op("r", OpKind::kReLU, {"f"}),
                             rr, op("s", OpKind::kAdd, {"a", "rr"})});
    const DeployGraph g(arch);
    REQUIRE(g.ops().size() == 5);
    const MemoryPlan plan = plan_memory(g, {0, 1, 2, 3, 4}, std::vector<int64_t>(5, 0), kAliasingRules);
    // Buffers: {input} 16 B [0,0]; {a, f, s} 64 B [0,4]; {r, rr} 64 B [2,4].
    // {a,f,s} -> 0; {r,rr} collides -> 64; input collides only with {a,f,s} -> 64.
    REQUIRE(plan.buffers.size() == 3);
    CHECK(plan.buffers[1].tensors == std::vector<int>{1, 2, 5});
    CHECK(plan.buffers[2].tensors == std::vector<int>{3, 4});
    CHECK(offsets_of(plan) == std::vector<int64_t>{64, 0, 64});
    CHECK(plan.arena_bytes == 128);
  }

  TEST_CASE("two branches: the order search finds the lower peak and the planner keeps it") {
    // input [8,8,4] 256 B feeds b1 (1x1 x16: 1024 B) and a1 (1x1 x32: 2048 B); each is
    // globally pooled (b2: 16 B, a2: 32 B), then concat (48 B) and a dense layer (2 B).
    // Listed order b1, a1, a2, b2: while a1 runs, input + b1 + a1 are live = 3328 B.
    // Best order b1, b2, a1, a2: 1280, 1296, 2320 (input + b2 + a1), 2096, 96, 50 -> 2320.
    // (a1 first peaks at 2336: input + a1 + a2.)
    Layer fc = op("fc", OpKind::kDense, {"cat"});
    fc.units = 2;
    const Architecture arch("branches", {8, 8, 4},
                            {conv("b1", {"input"}, 16, 1), conv("a1", {"input"}, 32, 1),
                             op("a2", OpKind::kGlobalAvgPool, {"a1"}), op("b2", OpKind::kGlobalAvgPool, {"b1"}),
                             op("cat", OpKind::kConcat, {"a2", "b2"}), fc});
    const DeployGraph g(arch);
    const std::vector<int64_t> no_scratch(g.ops().size(), 0);
    const ScheduleSearchResult listed = listed_schedule(g, no_scratch);
    CHECK(listed.live_peak_bytes == 3328);
    const ScheduleSearchResult best = min_peak_schedule(g, no_scratch);
    CHECK(best.states > 0);
    CHECK(best.exhaustive);
    CHECK(best.order == std::vector<int>{0, 3, 1, 2, 4, 5});
    CHECK(best.live_peak_bytes == 2320);

    // Lifetimes in that order: input [0,2], b1 [0,1], a1 [2,3], a2 [3,4], b2 [1,4], cat [4,5], fc [5,5].
    // a1 -> 0; b1 -> 0 (disjoint in time); input collides with a1 and b1 -> 2048; cat -> 0;
    // a2 collides with a1 and cat -> 2048; b2 collides with everything up to input's end -> 2304;
    // fc collides with cat [0,48) -> 48. The arena equals the live peak: no fragmentation.
    const MemoryPlan plan = plan_memory(g, best.order, no_scratch, kTflmRules);
    CHECK(offsets_of(plan) == std::vector<int64_t>{2048, 0, 0, 2048, 2304, 0, 48});
    CHECK(plan.arena_bytes == 2320);
    CHECK(plan_memory(g, listed.order, no_scratch, kTflmRules).arena_bytes >= 3328);
  }

  TEST_CASE("the search gives up cleanly past its state cap") {
    Layer fc = op("fc", OpKind::kDense, {"cat"});
    fc.units = 2;
    const Architecture arch("branches", {8, 8, 4},
                            {conv("b1", {"input"}, 16, 1), conv("a1", {"input"}, 32, 1),
                             op("a2", OpKind::kGlobalAvgPool, {"a1"}), op("b2", OpKind::kGlobalAvgPool, {"b1"}),
                             op("cat", OpKind::kConcat, {"a2", "b2"}), fc});
    const DeployGraph g(arch);
    const ScheduleSearchResult capped = min_peak_schedule(g, std::vector<int64_t>(g.ops().size(), 0), 2);
    CHECK_FALSE(capped.exhaustive);
    CHECK(capped.order == std::vector<int>{0, 1, 2, 3, 4, 5});
  }
}

}  // namespace hwnas
