// This file implements the tests of the flash/RAM lower bounds with hand-computed values.
#include <doctest/doctest.h>

#include "estimators/footprint_bounds.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

TEST_SUITE("footprint_bounds") {
  TEST_CASE("chain: flash counts int8 weights and int32 biases, and RAM is the largest live set of the deployed graph") {
    // input 8x8x2 (128) -> conv 3x3x2->4 same, no bias (8x8x4 = 256) -> bn -> relu
    //   -> gap (4) -> dense 4->3 (3)
    std::vector<Layer> ls;
    ls.push_back(make_test_layer("conv", OpKind::kConv2D, {"input"}));
    ls.back().filters = 4;
    ls.back().kernel_h = ls.back().kernel_w = 3;
    ls.back().use_bias = false;
    ls.push_back(make_test_layer("bn", OpKind::kBatchNorm, {"conv"}));
    ls.push_back(make_test_layer("relu", OpKind::kReLU, {"bn"}));
    ls.push_back(make_test_layer("gap", OpKind::kGlobalAvgPool, {"relu"}));
    ls.push_back(make_test_layer("fc", OpKind::kDense, {"gap"}));
    ls.back().units = 3;
    const Architecture arch("t", {8, 8, 2}, ls);
    const auto b = footprint_bounds(arch);
    // conv: 3*3*2*4 = 72 weights + 4*4 bias bytes = 88; dense: 4*3 = 12 + 3*4 = 24; BN folded.
    CHECK(b.flash_bytes == 88 + 24);
    // bn and relu fuse into the conv: conv step = input 128 + output 256 = 384; gap 256 + 4.
    CHECK(b.ram_bytes == 384);
  }

  TEST_CASE("a skip connection keeps its tensor alive across the branch") {
    // input 4x4x8 (128) -> a: relu (128) -> b: relu (128) -> c: relu (128) -> add(a, c)
    std::vector<Layer> ls;
    ls.push_back(make_test_layer("a", OpKind::kReLU, {"input"}));
    ls.push_back(make_test_layer("b", OpKind::kReLU, {"a"}));
    ls.push_back(make_test_layer("c", OpKind::kReLU, {"b"}));
    ls.push_back(make_test_layer("sum", OpKind::kAdd, {"a", "c"}));
    const Architecture arch("skip", {4, 4, 8}, ls);
    // Nothing fuses (a feeds two ops; b and c follow an activation). step c: a (live until
    // sum) + b + c = 384; step sum: a + c + sum = 384; step b: a + b = 256
    CHECK(footprint_bounds(arch).ram_bytes == 384);
    CHECK(footprint_bounds(arch).flash_bytes == 0);
  }
}

}  // namespace hwnas::test
