// This file implements the tests of arch.json: defaults spelled out by the writer, every
// op surviving a round trip, and errors that name the JSON pointer (fields, shapes, the
// graph, an architecture embedded in another file).
#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "space/arch_json.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

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

}  // namespace hwnas::test
