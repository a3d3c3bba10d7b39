// This file implements the tests of the architecture IR: shape inference for every op
// (TensorFlow same/valid arithmetic) and the structural checks that reject invalid networks
// with an error naming the layer (arch.json: arch_json_test.cpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "space/architecture.hpp"
#include "tests/test_support.hpp"

namespace hwnas {

// For doctest's failure messages; internal linkage so that it cannot clash with another
// test file's helper.
[[maybe_unused]] static std::ostream& operator<<(std::ostream& out, const TensorShape& s) {
  return out << s.str();
}

namespace test {

namespace {

Layer make_layer(const std::string& name, OpKind op,
                 std::vector<std::string> inputs = {kInputName}) {
  Layer l;
  l.name = name;
  l.op = op;
  l.inputs = std::move(inputs);
  return l;
}

// A conv2d / depthwise_conv2d / pool with a kernel (or pool window) kh x kw and stride sh x sw.
Layer windowed(const std::string& name, OpKind op, int kh, int kw, int sh, int sw,
               Padding padding, const std::string& input = kInputName) {
  Layer l = make_layer(name, op, {input});
  l.kernel_h = kh;
  l.kernel_w = kw;
  l.stride_h = sh;
  l.stride_w = sw;
  l.padding = padding;
  return l;
}

Layer conv(const std::string& name, int filters, int k, int stride, Padding padding,
           const std::string& input = kInputName) {
  Layer l = windowed(name, OpKind::kConv2D, k, k, stride, stride, padding, input);
  l.filters = filters;
  return l;
}

Layer dense(const std::string& name, int units, const std::string& input = kInputName) {
  Layer l = make_layer(name, OpKind::kDense, {input});
  l.units = units;
  return l;
}

Layer reshape(const std::string& name, TensorShape target, const std::string& input = kInputName) {
  Layer l = make_layer(name, OpKind::kReshape, {input});
  l.target_shape = target;
  return l;
}

// Output shape of the one-layer network `layer` over an input of shape `in`.
TensorShape infer(const TensorShape& in, const Layer& layer) {
  return Architecture("t", in, {layer}).output_shape();
}

struct Rejection {
  int index = -2;
  std::string message;  ///< what()
  std::string problem;
};

Rejection rejection(const TensorShape& in, std::vector<Layer> layers) {
  try {
    Architecture a("t", in, std::move(layers));
  } catch (const ArchitectureError& e) {
    return {e.layer_index(), e.what(), e.problem()};
  }
  FAIL("the network was accepted");
  return {};
}

// Checks that the network is rejected at layer `index` named `name`, with `fragment` in
// the problem text.
void check_rejected(const TensorShape& in, std::vector<Layer> layers, int index,
                    const std::string& name, const std::string& fragment) {
  const Rejection r = rejection(in, std::move(layers));
  CAPTURE(r.message);
  CHECK(r.index == index);
  CHECK(r.message.find("layer '" + name + "' (#" + std::to_string(index) + ")") == 0);
  CHECK(r.problem.find(fragment) != std::string::npos);
}

}  // namespace

TEST_SUITE("architecture") {
  TEST_CASE("conv2d: same padding gives ceil(in / stride), valid gives (in - k) / stride + 1") {
    const auto same = Padding::kSame;
    const auto valid = Padding::kValid;
    CHECK(infer({7, 7, 3}, conv("c", 8, 3, 1, same)) == TensorShape{7, 7, 8});
    CHECK(infer({7, 7, 3}, conv("c", 8, 3, 2, same)) == TensorShape{4, 4, 8});   // ceil(7/2)
    CHECK(infer({8, 8, 3}, conv("c", 8, 3, 2, same)) == TensorShape{4, 4, 8});
    CHECK(infer({9, 9, 3}, conv("c", 8, 3, 3, same)) == TensorShape{3, 3, 8});
    CHECK(infer({10, 10, 3}, conv("c", 8, 3, 3, same)) == TensorShape{4, 4, 8});  // ceil(10/3)
    CHECK(infer({7, 7, 3}, conv("c", 8, 3, 1, valid)) == TensorShape{5, 5, 8});
    CHECK(infer({7, 7, 3}, conv("c", 8, 3, 2, valid)) == TensorShape{3, 3, 8});  // 4/2+1
    CHECK(infer({8, 8, 3}, conv("c", 8, 3, 2, valid)) == TensorShape{3, 3, 8});  // 5/2+1
    CHECK(infer({10, 10, 3}, conv("c", 8, 3, 3, valid)) == TensorShape{3, 3, 8});  // 7/3+1
    CHECK(infer({6, 6, 3}, conv("c", 8, 6, 1, valid)) == TensorShape{1, 1, 8});  // kernel = input
    // Same padding accepts a kernel larger than the input, and a stride larger than it.
    CHECK(infer({2, 2, 1}, conv("c", 8, 5, 1, same)) == TensorShape{2, 2, 8});
    CHECK(infer({3, 3, 1}, conv("c", 8, 1, 5, same)) == TensorShape{1, 1, 8});
  }

  TEST_CASE("conv2d with a non-square kernel and stride works per axis") {
    // 49x10 with 10x4 stride 2x2 (the DS-CNN stem): same 25x5, valid (39/2+1)x(6/2+1) = 20x4.
    Layer c = windowed("c", OpKind::kConv2D, 10, 4, 2, 2, Padding::kSame);
    c.filters = 64;
    CHECK(infer({49, 10, 1}, c) == TensorShape{25, 5, 64});
    c.padding = Padding::kValid;
    CHECK(infer({49, 10, 1}, c) == TensorShape{20, 4, 64});
    // 1-D sensor window (L, 1, K): kernel 5x1, stride 3x1, valid -> (128-5)/3+1 = 42.
    Layer t = windowed("t", OpKind::kConv2D, 5, 1, 3, 1, Padding::kValid);
    t.filters = 16;
    CHECK(infer({128, 1, 6}, t) == TensorShape{42, 1, 16});
  }

  TEST_CASE("depthwise_conv2d multiplies the channels by depth_multiplier") {
    Layer d = windowed("d", OpKind::kDepthwiseConv2D, 3, 3, 1, 1, Padding::kSame);
    CHECK(infer({10, 10, 8}, d) == TensorShape{10, 10, 8});
    d.depth_multiplier = 3;
    CHECK(infer({10, 10, 8}, d) == TensorShape{10, 10, 24});
    d.stride_h = d.stride_w = 2;
    d.padding = Padding::kValid;
    CHECK(infer({9, 9, 4}, d) == TensorShape{4, 4, 12});  // (9-3)/2+1 = 4
    // Params follow the output channels: 3*3*12 weights + 12 biases.
    const Architecture a("t", {9, 9, 4}, {d});
    CHECK(a.stats(0).params == 9 * 12 + 12);
    CHECK(a.stats(0).macs == 4 * 4 * 12 * 9);
  }

  TEST_CASE("pools keep the channels, and global_avg_pool leaves [1, 1, C]") {
    for (OpKind op : {OpKind::kAvgPool2D, OpKind::kMaxPool2D}) {
      CAPTURE(op_name(op));
      CHECK(infer({7, 7, 5}, windowed("p", op, 2, 2, 2, 2, Padding::kValid)) ==
            TensorShape{3, 3, 5});
      CHECK(infer({7, 7, 5}, windowed("p", op, 2, 2, 2, 2, Padding::kSame)) ==
            TensorShape{4, 4, 5});
      CHECK(infer({9, 9, 2}, windowed("p", op, 3, 3, 2, 2, Padding::kValid)) ==
            TensorShape{4, 4, 2});
      CHECK(infer({5, 5, 1}, windowed("p", op, 2, 2, 1, 1, Padding::kSame)) ==
            TensorShape{5, 5, 1});
      CHECK(infer({25, 5, 64}, windowed("p", op, 24, 5, 24, 5, Padding::kValid)) ==
            TensorShape{1, 1, 64});
      const Architecture a("t", {7, 7, 5}, {windowed("p", op, 2, 2, 2, 2, Padding::kValid)});
      CHECK(a.stats(0).params == 0);
      CHECK(a.stats(0).macs == 0);
    }
    CHECK(infer({7, 5, 16}, make_layer("g", OpKind::kGlobalAvgPool)) == TensorShape{1, 1, 16});
  }

  TEST_CASE("element-wise ops keep the shape") {
    for (OpKind op : {OpKind::kReLU, OpKind::kReLU6, OpKind::kBatchNorm, OpKind::kSoftmax})
      CHECK(infer({6, 4, 3}, make_layer("x", op)) == TensorShape{6, 4, 3});
    const Architecture a("t", {6, 4, 3}, {make_layer("bn", OpKind::kBatchNorm)});
    CHECK(a.stats(0).params == 4 * 3);
    CHECK(a.stats(0).macs == 0);
  }

  TEST_CASE("add needs equal shapes and keeps them") {
    const Architecture a("t", {6, 6, 4},
                         {conv("c", 4, 3, 1, Padding::kSame), make_layer("r", OpKind::kReLU),
                          make_layer("sum", OpKind::kAdd, {"input", "c", "r"})});
    CHECK(a.output_shape() == TensorShape{6, 6, 4});
    CHECK(a.input_indices(2) == std::vector<int>{Architecture::kNetworkInput, 0, 1});
  }

  TEST_CASE("concat sums the channels and needs equal height and width") {
    const Architecture a("t", {6, 6, 10},
                         {conv("a", 4, 1, 1, Padding::kSame), conv("b", 6, 3, 1, Padding::kSame),
                          make_layer("cat", OpKind::kConcat, {"a", "b", "input"})});
    CHECK(a.output_shape() == TensorShape{6, 6, 20});
    CHECK(a.stats(2).input_elements == 36 * (4 + 6 + 10));
    check_rejected({6, 6, 10},
                   {conv("a", 4, 1, 2, Padding::kSame), conv("b", 6, 3, 1, Padding::kSame),
                    make_layer("cat", OpKind::kConcat, {"a", "b"})},
                   2, "cat", "equal height and width");
  }

  TEST_CASE("flatten and reshape keep the element count") {
    CHECK(infer({5, 3, 7}, make_layer("f", OpKind::kFlatten)) == TensorShape{1, 1, 105});
    CHECK(infer({4, 4, 3}, reshape("r", {1, 16, 3})) == TensorShape{1, 16, 3});
    CHECK(infer({1, 1, 48}, reshape("r", {4, 4, 3})) == TensorShape{4, 4, 3});
    check_rejected({4, 4, 3}, {reshape("r", {4, 4, 4})}, 0, "r",
                   "changes the number of elements");
  }

  TEST_CASE("dense needs a flat input") {
    CHECK(infer({1, 1, 48}, dense("fc", 10)) == TensorShape{1, 1, 10});
    check_rejected({4, 4, 3}, {dense("fc", 10)}, 0, "fc", "flat input");
    const Architecture a("t", {4, 4, 3},
                         {make_layer("f", OpKind::kFlatten), dense("fc", 10, "f")});
    CHECK(a.output_shape() == TensorShape{1, 1, 10});
    CHECK(a.stats(1).params == 48 * 10 + 10);
    CHECK(a.stats(1).macs == 48 * 10);
  }

  TEST_CASE("inputs and consumers describe the DAG") {
    // input -> c1 -> r1 -> c2 -> add(r1, c2) -> gap
    const Architecture a("t", {8, 8, 4},
                         {conv("c1", 4, 3, 1, Padding::kSame),
                          make_layer("r1", OpKind::kReLU, {"c1"}),
                          conv("c2", 4, 3, 1, Padding::kSame, "r1"),
                          make_layer("add", OpKind::kAdd, {"r1", "c2"}),
                          make_layer("gap", OpKind::kGlobalAvgPool, {"add"})});
    CHECK(a.input_indices(0) == std::vector<int>{Architecture::kNetworkInput});
    CHECK(a.input_indices(3) == std::vector<int>{1, 2});
    CHECK(a.consumers(1) == std::vector<int>{2, 3});
    CHECK(a.consumers(4).empty());
    CHECK(a.input_shapes(3) == std::vector<TensorShape>{{8, 8, 4}, {8, 8, 4}});
  }

  TEST_CASE("invalid networks are rejected with an error naming the layer") {
    const TensorShape in{8, 8, 3};
    SUBCASE("unknown input") {
      check_rejected(in,
                     {make_layer("a", OpKind::kReLU), make_layer("b", OpKind::kReLU, {"nope"})}, 1,
                     "b", "input 'nope' is not the network input or an earlier layer");
    }
    SUBCASE("an input that is a later layer") {
      check_rejected(in,
                     {make_layer("a", OpKind::kReLU, {"b"}), make_layer("b", OpKind::kReLU, {"a"})},
                     0, "a", "input 'b'");
    }
    SUBCASE("a layer that reads itself") {
      check_rejected(in, {make_layer("a", OpKind::kReLU, {"a"})}, 0, "a", "input 'a'");
    }
    SUBCASE("duplicate name") {
      check_rejected(in, {make_layer("a", OpKind::kReLU), make_layer("a", OpKind::kReLU, {"a"})}, 1,
                     "a", "duplicate layer name");
    }
    SUBCASE("add of mismatched shapes") {
      check_rejected(in,
                     {conv("c", 4, 3, 1, Padding::kSame),
                      make_layer("sum", OpKind::kAdd, {"input", "c"})},
                     1, "sum", "add needs inputs of equal shape, found [8, 8, 3] and [8, 8, 4]");
    }
    SUBCASE("kernel larger than the input with valid padding") {
      check_rejected(in, {conv("c", 4, 9, 1, Padding::kValid)}, 0, "c",
                     "kernel 9x9 is larger than the input 8x8 with padding valid");
      Layer tall = windowed("c", OpKind::kConv2D, 9, 1, 1, 1, Padding::kValid);
      tall.filters = 4;
      check_rejected(in, {tall}, 0, "c", "kernel 9x1 is larger than the input 8x8");
    }
    SUBCASE("pool larger than the input with valid padding") {
      check_rejected(in,
                     {conv("c", 4, 3, 2, Padding::kSame),
                      windowed("p", OpKind::kMaxPool2D, 5, 5, 1, 1, Padding::kValid, "c")},
                     1, "p", "pool 5x5 is larger than the input 4x4");
    }
    SUBCASE("reshape changing the element count") {
      check_rejected(in, {reshape("r", {1, 1, 191})}, 0, "r",
                     "reshape from [8, 8, 3] to [1, 1, 191] changes the number of elements");
    }
    SUBCASE("dangling layer") {
      check_rejected(in,
                     {make_layer("a", OpKind::kReLU), make_layer("b", OpKind::kReLU),
                      make_layer("c", OpKind::kReLU, {"b"})},
                     0, "a", "output is never used");
    }
    SUBCASE("wrong arity") {
      check_rejected(in, {make_layer("sum", OpKind::kAdd)}, 0, "sum",
                     "add takes at least 2 input(s), found 1");
      check_rejected(in, {make_layer("cat", OpKind::kConcat)}, 0, "cat",
                     "concat takes at least 2 input(s), found 1");
      check_rejected(in, {make_layer("r", OpKind::kReLU, {"input", "input"})}, 0, "r",
                     "relu takes 1 input(s), found 2");
      check_rejected(in, {make_layer("f", OpKind::kFlatten, {})}, 0, "f",
                     "flatten takes 1 input(s), found 0");
    }
    SUBCASE("'input' as a layer name") {
      check_rejected(in, {make_layer("input", OpKind::kReLU)}, 0, "input", "reserved");
    }
    SUBCASE("empty layer name") {
      check_rejected(in, {make_layer("", OpKind::kReLU)}, 0, "", "layer name is empty");
    }
    SUBCASE("bad attributes") {
      check_rejected(in, {conv("c", 0, 3, 1, Padding::kSame)}, 0, "c", "filters must be >= 1");
      check_rejected(in, {conv("c", 4, 3, 0, Padding::kSame)}, 0, "c", "stride must be >= 1");
      check_rejected(in, {conv("c", 4, 0, 1, Padding::kSame)}, 0, "c", "kernel must be >= 1");
      check_rejected({1, 1, 4}, {dense("fc", 0)}, 0, "fc", "units must be >= 1");
      Layer d = windowed("d", OpKind::kDepthwiseConv2D, 3, 3, 1, 1, Padding::kSame);
      d.depth_multiplier = 0;
      check_rejected(in, {d}, 0, "d", "depth_multiplier must be >= 1");
      Layer bn = make_layer("bn", OpKind::kBatchNorm);
      bn.epsilon = 0;
      check_rejected(in, {bn}, 0, "bn", "epsilon must be > 0");
      check_rejected(in, {reshape("r", {0, 8, 24})}, 0, "r", "reshape target must be positive");
    }
    SUBCASE("the network as a whole") {
      const Rejection empty = rejection(in, {});
      CHECK(empty.index == -1);
      CHECK(empty.message == "a network needs at least one layer");
      const Rejection bad_input = rejection({8, 0, 3}, {make_layer("a", OpKind::kReLU)});
      CHECK(bad_input.index == -1);
      CHECK(bad_input.message == "input shape must be positive, found [8, 0, 3]");
    }
  }

  TEST_CASE("an ArchitectureError is a UserError") {
    CHECK_THROWS_AS(Architecture("t", {8, 8, 3}, {make_layer("input", OpKind::kReLU)}), UserError);
  }
}

}  // namespace test
}  // namespace hwnas
