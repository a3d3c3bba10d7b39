// This file implements the tests of the architecture IR: shape inference for every op
// (TensorFlow same/valid arithmetic), the structural checks that reject invalid networks
// with an error naming the layer, and arch.json reading with errors naming the JSON pointer.
#include <doctest/doctest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "space/arch_json.hpp"
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

// A small valid arch.json: conv -> relu -> global pool -> dense.
nlohmann::json small_json() {
  return nlohmann::json::parse(R"({
    "name": "small",
    "input": {"shape": [8, 8, 1]},
    "layers": [
      {"name": "c1", "op": "conv2d", "filters": 4, "kernel": 3},
      {"name": "r1", "op": "relu"},
      {"name": "gap", "op": "global_avg_pool"},
      {"name": "fc", "op": "dense", "units": 2}
    ]
  })");
}

// Reads `json` and returns the ConfigError it raises; fails the test if it is accepted.
ConfigError json_error(const nlohmann::json& json, const std::string& pointer = "") {
  try {
    architecture_from_json(json, "net.json", pointer);
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("the arch.json was accepted: " << json.dump());
  return ConfigError("", "", "", "");
}

void check_json_error(const nlohmann::json& json, const std::string& pointer,
                      const std::string& fragment) {
  const ConfigError e = json_error(json);
  const std::string message = e.what();
  CAPTURE(message);
  CHECK(e.pointer() == pointer);
  CHECK(e.file() == "net.json");
  CHECK(message.find("net.json: " + pointer + ": ") == 0);
  CHECK(message.find(fragment) != std::string::npos);
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

  TEST_CASE("arch.json: defaults are filled in and spelled out by the writer") {
    const auto json = nlohmann::json::parse(R"({
      "input": {"shape": [16, 16, 2]},
      "layers": [
        {"name": "c", "op": "conv2d", "filters": 4, "kernel": 3},
        {"name": "d", "op": "depthwise_conv2d", "kernel": [3, 1]},
        {"name": "bn", "op": "batch_norm"},
        {"name": "p", "op": "max_pool2d"},
        {"name": "f", "op": "flatten"},
        {"name": "fc", "op": "dense", "units": 3}
      ]
    })");
    const Architecture a = architecture_from_json(json, "mem");
    CHECK(a.name() == "unnamed");
    const Layer& c = a.layer(0);
    CHECK(c.inputs == std::vector<std::string>{"input"});  // the first layer reads the input
    CHECK(c.kernel_h == 3);
    CHECK(c.kernel_w == 3);  // an integer kernel is square
    CHECK(c.stride_h == 1);
    CHECK(c.stride_w == 1);
    CHECK(c.padding == Padding::kSame);
    CHECK(c.use_bias);
    const Layer& d = a.layer(1);
    CHECK(d.inputs == std::vector<std::string>{"c"});  // later layers read the previous one
    CHECK(d.kernel_w == 1);
    CHECK(d.depth_multiplier == 1);
    CHECK(a.layer(2).epsilon == 1e-3);
    const Layer& p = a.layer(3);
    CHECK(p.kernel_h == 2);  // pool defaults to 2x2 ...
    CHECK(p.stride_h == 2);  // ... with the pool size as stride (Keras, PyTorch)
    CHECK(p.output_shape == TensorShape{8, 8, 4});

    const auto out = architecture_to_json(a);
    CHECK(out["name"] == "unnamed");
    CHECK(out["input"]["shape"] == nlohmann::json::array({16, 16, 2}));
    CHECK(out["layers"][0] == nlohmann::json::parse(R"({"name": "c", "op": "conv2d",
        "inputs": ["input"], "filters": 4, "kernel": [3, 3], "stride": [1, 1],
        "padding": "same", "use_bias": true})"));
    CHECK(out["layers"][2] ==
          nlohmann::json::parse(R"({"name": "bn", "op": "batch_norm", "inputs": ["d"],
                                   "epsilon": 0.001})"));
    CHECK(out["layers"][3]["pool"] == nlohmann::json::array({2, 2}));
    CHECK(out["layers"][4] ==
          nlohmann::json::parse(R"({"name": "f", "op": "flatten", "inputs": ["p"]})"));
  }

  TEST_CASE("arch.json: every op survives write -> read -> write exactly") {
    const auto json = nlohmann::json::parse(R"({
      "name": "all_ops",
      "input": {"shape": [12, 10, 3]},
      "layers": [
        {"name": "c", "op": "conv2d", "filters": 8, "kernel": [3, 5], "stride": [2, 1],
         "padding": "valid", "use_bias": false},
        {"name": "bn", "op": "batch_norm", "epsilon": 1e-5},
        {"name": "r6", "op": "relu6"},
        {"name": "d", "op": "depthwise_conv2d", "kernel": 3, "depth_multiplier": 2},
        {"name": "r", "op": "relu"},
        {"name": "side", "op": "conv2d", "inputs": ["r6"], "filters": 16, "kernel": 1},
        {"name": "sum", "op": "add", "inputs": ["r", "side"]},
        {"name": "cat", "op": "concat", "inputs": ["sum", "r6"]},
        {"name": "ap", "op": "avg_pool2d", "pool": [1, 2], "stride": [1, 2], "padding": "valid"},
        {"name": "mp", "op": "max_pool2d", "pool": 3, "stride": 1, "padding": "same"},
        {"name": "rs", "op": "reshape", "shape": [5, 3, 24]},
        {"name": "gap", "op": "global_avg_pool"},
        {"name": "f", "op": "flatten"},
        {"name": "fc", "op": "dense", "units": 4, "use_bias": false},
        {"name": "sm", "op": "softmax"}
      ]
    })");
    const Architecture a = architecture_from_json(json, "mem");
    // 12x10 conv 3x5 stride 2x1 valid -> 5x6x8; depthwise x2 -> 16; concat 16 + 8 = 24;
    // avg pool 1x2 stride 1x2 -> 5x3; reshape keeps 5x3x24.
    CHECK(a.layer(7).output_shape == TensorShape{5, 6, 24});
    CHECK(a.layer(8).output_shape == TensorShape{5, 3, 24});
    CHECK(a.output_shape() == TensorShape{1, 1, 4});
    std::vector<std::string> ops_seen;
    for (const auto& l : a.layers()) ops_seen.push_back(op_name(l.op));
    for (const auto& info : all_ops())
      CHECK(std::find(ops_seen.begin(), ops_seen.end(), info.name) != ops_seen.end());

    const std::string text = architecture_to_json(a).dump(2);
    const Architecture b = architecture_from_json(nlohmann::json::parse(text), "mem");
    CHECK(b.same_definition(a));
    CHECK(architecture_to_json(b).dump(2) == text);
    CHECK(b.layer(1).epsilon == 1e-5);
  }

  TEST_CASE("arch.json: field errors name the JSON pointer") {
    SUBCASE("unknown key in a layer") {
      auto j = small_json();
      j["layers"][2]["pool"] = 2;
      check_json_error(j, "/layers/2/pool", "unknown key \"pool\"");
    }
    SUBCASE("unknown op") {
      auto j = small_json();
      j["layers"][1]["op"] = "gelu";
      check_json_error(j, "/layers/1/op", "\"gelu\"");
      check_json_error(j, "/layers/1/op", "relu6");  // lists the valid names
    }
    SUBCASE("wrong type for filters") {
      auto j = small_json();
      j["layers"][0]["filters"] = "four";
      check_json_error(j, "/layers/0/filters", "expected an integer");
      j["layers"][0]["filters"] = 2.5;
      check_json_error(j, "/layers/0/filters", "found 2.5");
      j["layers"][0]["filters"] = 0;
      check_json_error(j, "/layers/0/filters", "found 0");
    }
    SUBCASE("missing kernel") {
      auto j = small_json();
      j["layers"][0].erase("kernel");
      check_json_error(j, "/layers/0/kernel", "a kernel size");
    }
    SUBCASE("bad kernel lists") {
      auto j = small_json();
      j["layers"][0]["kernel"] = {3, 3, 3};
      check_json_error(j, "/layers/0/kernel", "an array of 2");
      j["layers"][0]["kernel"] = {3, 0};
      check_json_error(j, "/layers/0/kernel/1", "found 0");
    }
    SUBCASE("missing units, bad padding, non-string input") {
      auto j = small_json();
      j["layers"][3].erase("units");
      check_json_error(j, "/layers/3/units", "required");
      j = small_json();
      j["layers"][0]["padding"] = "full";
      check_json_error(j, "/layers/0/padding", "one of same, valid");
      j = small_json();
      j["layers"][1]["inputs"] = {"c1", 3};
      check_json_error(j, "/layers/1/inputs/1", "a layer name");
    }
    SUBCASE("document level") {
      auto j = small_json();
      j["extra"] = true;
      check_json_error(j, "/extra", "unknown key");
      j = small_json();
      j["layers"] = nlohmann::json::array();
      check_json_error(j, "/layers", "at least 1 element");
      j = small_json();
      j["input"]["shape"] = {8, 8};
      check_json_error(j, "/input/shape", "an array of 3");
      j = small_json();
      j["layers"][1] = "relu";
      check_json_error(j, "/layers/1", "an object");
    }
  }

  TEST_CASE("arch.json: shape and graph errors name the layer's pointer") {
    SUBCASE("dense on a non-flat input") {
      auto j = small_json();
      j["layers"][2]["op"] = "relu";
      check_json_error(j, "/layers/3", "layer 'fc' (#3): dense needs a flat input");
    }
    SUBCASE("kernel larger than the input") {
      auto j = small_json();
      j["layers"][0]["kernel"] = 9;
      j["layers"][0]["padding"] = "valid";
      check_json_error(j, "/layers/0", "layer 'c1' (#0): kernel 9x9 is larger than the input 8x8");
    }
    SUBCASE("unknown input") {
      auto j = small_json();
      j["layers"][2]["inputs"] = {"r2"};
      check_json_error(j, "/layers/2", "input 'r2'");
    }
    SUBCASE("dangling layer") {
      auto j = small_json();
      j["layers"][2]["inputs"] = {"c1"};
      check_json_error(j, "/layers/1", "layer 'r1' (#1): output is never used");
    }
    SUBCASE("duplicate name") {
      auto j = small_json();
      j["layers"][2]["name"] = "r1";
      j["layers"][3]["inputs"] = {"r1"};
      check_json_error(j, "/layers/2", "duplicate layer name");
    }
  }

  TEST_CASE("the example in docs/architecture-ir.md loads with the numbers the doc states") {
    const std::string doc = read_text(source_path("docs/architecture-ir.md"));
    const std::string fence = "```json\n";
    const size_t begin = doc.find(fence);
    REQUIRE(begin != std::string::npos);
    const size_t end = doc.find("```", begin + fence.size());
    REQUIRE(end != std::string::npos);
    const size_t from = begin + fence.size();
    const auto json = nlohmann::json::parse(doc.substr(from, end - from));
    const Architecture a = architecture_from_json(json, "docs/architecture-ir.md");
    CHECK(a.name() == "tiny_kws");
    CHECK(a.layer(0).output_shape == TensorShape{25, 5, 16});
    CHECK(a.output_shape() == TensorShape{1, 1, 12});
    CHECK(a.total_params() == 1404);   // 640 + 64 + 160 + 64 + 272 + 204
    CHECK(a.total_macs() == 130192);   // 80000 + 18000 + 32000 + 192
  }

  TEST_CASE("arch.json: an embedded architecture's errors carry the outer pointer") {
    auto j = small_json();
    j["layers"][1]["op"] = "gelu";
    CHECK(json_error(j, "/candidates/3/arch").pointer() == "/candidates/3/arch/layers/1/op");
    j = small_json();
    j["layers"][2]["op"] = "relu";
    CHECK(json_error(j, "/candidates/3/arch").pointer() == "/candidates/3/arch/layers/3");
  }
}

}  // namespace test
}  // namespace hwnas
