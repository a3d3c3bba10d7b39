// This file implements the end-to-end tests of the "space" key of a run config, run
// through the real nas-run binary: malformed spaces are each rejected by `nas-run validate`
// with exit code 2 and one line on stderr naming the file and the JSON pointer of the
// mistake (`nas-run space` on the shipped configs: space_command_test.cpp).
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "space/arch_json.hpp"
#include "tests/split_output.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A small valid space on a 12x12 synthetic input: a stem, a strided body of 1-2 blocks
// and the fixed tail. Each case below breaks one thing in it.
json valid_space() {
  return json::parse(R"({
    "name": "small",
    "choices": {"width": {"choice": [8, 16]}},
    "stages": [
      {"name": "stem", "block": "conv", "filters": {"ref": "width"}, "kernel": 3},
      {"name": "body", "block": "conv", "depth": {"min": 1, "max": 2}, "filters": {"choice": [8, 16]},
       "kernel": {"choice": [3, 5]}, "stride": {"choice": [1, 2]}},
      {"name": "gap", "block": "global_pool"},
      {"name": "out", "block": "classifier"}
    ]
  })");
}

json config_with_space(const json& space) {
  json config = json::parse(R"({
    "dataset": {"format": "synthetic", "shape": [12, 12, 1], "classes": 3, "train_size": 300, "test_size": 60},
    "targets": [{"mcu": "STM32F746", "max_ram_kb": 64}],
    "search": {"evaluations": 3, "seed": 7},
    "training": {"epochs": 1, "batch_size": 32},
    "output": {"dir": "unused"}
  })");
  config["space"] = space;
  return config;
}

/// Checks the one-line error contract: exit 2, nothing on stdout, exactly one line on
/// stderr, and that line says "<file>: <pointer>: ..." and contains `also_contains`.
void check_one_line_error(const SplitResult& r, const std::string& file, const std::string& pointer,
                          const std::string& also_contains) {
  INFO("stderr: " << r.err);
  INFO("stdout: " << r.out);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(count_lines(r.err) == 1);
  CHECK((!r.err.empty() && r.err.back() == '\n'));  // the one newline ends the message
  CHECK(contains(r.err, file + ": " + pointer + ":"));
  if (!also_contains.empty()) CHECK(contains(r.err, also_contains));
}

/// Writes a config whose space is valid_space() changed by `mutate`, validates it and
/// checks the error names config.json and `pointer`.
void expect_space_rejected(const std::function<void(json&)>& mutate, const std::string& pointer,
                           const std::string& also_contains = "") {
  TempDir dir("space-config");
  json space = valid_space();
  mutate(space);
  const std::string path = dir.file("config.json");
  write_text(path, config_with_space(space).dump(2));
  check_one_line_error(run_split(dir, "validate '" + path + "'"), path, pointer, also_contains);
}

json& stage(json& space, size_t index) { return space["stages"][index]; }

}  // namespace

TEST_SUITE("space_config") {
  // The baseline every malformed case starts from must itself be valid, or the cases
  // below would pass for the wrong reason.
  TEST_CASE("the baseline space validates") {
    TempDir dir("space-config");
    const std::string path = dir.file("config.json");
    write_text(path, config_with_space(valid_space()).dump(2));
    const SplitResult r = run_split(dir, "validate '" + path + "'");
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "valid (space 'small'"));
  }

  // --- choices and ranges ---------------------------------------------------------

  TEST_CASE("an empty choice list") {
    expect_space_rejected([](json& s) { stage(s, 1)["filters"] = {{"choice", json::array()}}; },
                          "/space/stages/1/filters/choice", "1 to 1024 elements");
  }
  TEST_CASE("a value listed twice in a choice") {
    expect_space_rejected([](json& s) { stage(s, 1)["kernel"] = {{"choice", {3, 5, 3}}}; },
                          "/space/stages/1/kernel/choice/2", "listed twice");
  }
  TEST_CASE("a choice value outside the parameter's range") {
    expect_space_rejected([](json& s) { stage(s, 1)["stride"] = {{"choice", {1, 9}}}; },
                          "/space/stages/1/stride/choice/1", "an integer in [1, 8]");
  }
  TEST_CASE("a range with min > max") {
    expect_space_rejected([](json& s) { stage(s, 1)["depth"] = {{"min", 3}, {"max", 1}}; },
                          "/space/stages/1/depth/max", "at least min (3), found 1");
  }
  TEST_CASE("a range whose max is not min plus a multiple of step") {
    expect_space_rejected([](json& s) { stage(s, 1)["filters"] = {{"min", 8}, {"max", 20}, {"step", 8}}; },
                          "/space/stages/1/filters/max", "multiple of step (8)");
  }
  TEST_CASE("a range of more than 1024 values") {
    // filters allows [1, 4096], so the range itself is legal but too large to enumerate.
    expect_space_rejected([](json& s) { stage(s, 1)["filters"] = {{"min", 1}, {"max", 4096}}; },
                          "/space/stages/1/filters", "at most 1024 values");  // not at the absent "step"
  }
  TEST_CASE("a named range of 100000 values") {
    expect_space_rejected(
        [](json& s) {
          s["choices"]["big"] = {{"min", 1}, {"max", 100000}};
          stage(s, 1)["filters"] = {{"ref", "big"}};
        },
        "/space/choices/big", "a range of 100000 values");
  }
  TEST_CASE("\"per\" on a value that is chosen once per stage (depth)") {
    expect_space_rejected([](json& s) { stage(s, 1)["depth"] = {{"choice", {1, 2}}, {"per", "block"}}; },
                          "/space/stages/1/depth/per", "no \"per\" here");
  }
  TEST_CASE("an object that is neither a choice nor a range") {
    expect_space_rejected([](json& s) { stage(s, 1)["filters"] = {{"choices", {8, 16}}}; },
                          "/space/stages/1/filters", "{\"choice\": [...]}");
  }

  // --- named choices --------------------------------------------------------------

  TEST_CASE("a reference to an unknown named choice lists the known ones") {
    expect_space_rejected([](json& s) { stage(s, 0)["filters"] = {{"ref", "nope"}}; }, "/space/stages/0/filters/ref",
                          "(width)");
  }
  TEST_CASE("a named choice that is never used") {
    expect_space_rejected([](json& s) { s["choices"]["spare"] = {{"choice", {1, 2}}}; }, "/space/choices/spare",
                          "never used");
  }
  TEST_CASE("a named choice with a value the referring parameter cannot take") {
    expect_space_rejected([](json& s) { s["choices"]["width"] = {{"choice", {8, 0}}}; },
                          "/space/stages/0/filters/ref", "choice 'width'");
  }

  // --- blocks and their parameters ------------------------------------------------

  TEST_CASE("an unknown block kind lists the known ones") {
    expect_space_rejected([](json& s) { stage(s, 1)["block"] = "conv3d"; }, "/space/stages/1/block",
                          "\"inverted_residual\"");
  }
  TEST_CASE("an unknown block kind inside a choice of kinds") {
    expect_space_rejected([](json& s) { stage(s, 1)["block"] = {{"choice", {"conv", "conv3d"}}}; },
                          "/space/stages/1/block/choice/1", "\"separable\"");
  }
  TEST_CASE("a parameter of another block kind (units on a conv stage)") {
    expect_space_rejected([](json& s) { stage(s, 1)["units"] = 32; }, "/space/stages/1/units",
                          "units is taken by dense), found unknown key \"units\"");
  }
  TEST_CASE("a misspelled parameter (filter for filters)") {
    expect_space_rejected(
        [](json& s) {
          stage(s, 1)["filter"] = stage(s, 1)["filters"];
          stage(s, 1).erase("filters");
        },
        "/space/stages/1/filter", "found unknown key \"filter\"");
  }
  TEST_CASE("a required parameter is missing (inverted_residual without expansion)") {
    expect_space_rejected([](json& s) { stage(s, 1)["block"] = "inverted_residual"; }, "/space/stages/1",
                          "a value for \"expansion\" (inverted_residual blocks need one)");
  }
  TEST_CASE("a classifier that is not the last stage") {
    expect_space_rejected(
        [](json& s) {
          std::swap(stage(s, 2), stage(s, 3));  // ... classifier, global_pool
        },
        "/space/stages/2/block", "the classifier as the last stage only");
  }
  TEST_CASE("a space without a classifier") {
    expect_space_rejected([](json& s) { s["stages"].erase(3); }, "/space/stages/2/block",
                          "a classifier in the last stage");
  }
  TEST_CASE("two stages with the same name") {
    expect_space_rejected([](json& s) { stage(s, 1)["name"] = "stem"; }, "/space/stages/1/name", "\"stem\"");
  }
  TEST_CASE("an unknown top-level key of the space") {
    expect_space_rejected([](json& s) { s["stage"] = s["stages"]; }, "/space/stage", "an unknown key");
  }

  // --- shapes (checked once the space is bound to the dataset's shape) -------------

  TEST_CASE("valid padding with a large kernel after strided stages names that stage") {
    // 12x12 -> stride 2 -> 6x6 -> stride 2 -> 3x3: a 5x5 "valid" window no longer fits.
    expect_space_rejected(
        [](json& s) {
          stage(s, 0)["stride"] = 2;
          stage(s, 1) = json::parse(R"({"name": "body", "block": "conv", "filters": 8, "kernel": 3, "stride": 2})");
          s["stages"].insert(s["stages"].begin() + 2,
                             json::parse(R"({"name": "squeeze", "block": "conv", "filters": 8, "kernel": {"choice": [1, 5]},
                                             "padding": "valid"})"));
        },
        "/space/stages/2", "inconsistent shapes for input [12, 12, 1]");
  }

  // --- where the space is written: space files and overrides ------------------------

  TEST_CASE("an error inside a referenced space file names that file and its pointer") {
    TempDir dir("space-config");
    json space = valid_space();
    stage(space, 1)["filters"] = {{"choice", {8, 8}}};
    const std::string space_path = dir.file("broken_space.json");
    write_text(space_path, space.dump(2));
    const std::string config_path = dir.file("config.json");
    write_text(config_path, config_with_space("broken_space.json").dump(2));
    check_one_line_error(run_split(dir, "validate '" + config_path + "'"), space_path, "/stages/1/filters/choice/1",
                         "listed twice");
  }
  TEST_CASE("an error inside a space file given as {\"file\": ...} names that file") {
    TempDir dir("space-config");
    json space = valid_space();
    stage(space, 0)["filters"] = {{"ref", "nope"}};
    write_text(dir.file("broken_space.json"), space.dump(2));
    const std::string config_path = dir.file("config.json");
    write_text(config_path, config_with_space({{"file", "broken_space.json"}}).dump(2));
    check_one_line_error(run_split(dir, "validate '" + config_path + "'"), dir.file("broken_space.json"),
                         "/stages/0/filters/ref", "the name of a choice");
  }
  TEST_CASE("a shape error in a space file points into that file") {
    TempDir dir("space-config");
    json space = valid_space();
    stage(space, 1)["kernel"] = 13;
    stage(space, 1)["padding"] = "valid";
    write_text(dir.file("space.json"), space.dump(2));
    const std::string config_path = dir.file("config.json");
    write_text(config_path, config_with_space("space.json").dump(2));
    check_one_line_error(run_split(dir, "validate '" + config_path + "'"), dir.file("space.json"), "/stages/1",
                         "inconsistent shapes");
  }
  TEST_CASE("a space file that is not valid JSON") {
    TempDir dir("space-config");
    write_text(dir.file("space.json"), "{\"stages\": [\n");
    const std::string config_path = dir.file("config.json");
    write_text(config_path, config_with_space("space.json").dump(2));
    check_one_line_error(run_split(dir, "validate '" + config_path + "'"), dir.file("space.json"), "/",
                         "valid JSON");
  }
  TEST_CASE("an error inside an override points into the config's override object") {
    TempDir dir("space-config");
    write_text(dir.file("space.json"), valid_space().dump(2));
    json stages = valid_space()["stages"];
    stages[1]["kernel"] = {{"min", 5}, {"max", 3}};
    const std::string config_path = dir.file("config.json");
    write_text(config_path, config_with_space({{"file", "space.json"}, {"override", {{"stages", stages}}}}).dump(2));
    check_one_line_error(run_split(dir, "validate '" + config_path + "'"), config_path,
                         "/space/override/stages/1/kernel/max", "at least min (5)");
  }
  TEST_CASE("an unknown key in an override") {
    TempDir dir("space-config");
    write_text(dir.file("space.json"), valid_space().dump(2));
    const std::string config_path = dir.file("config.json");
    write_text(config_path,
               config_with_space({{"file", "space.json"}, {"override", {{"widht_multiplier", 0.5}}}}).dump(2));
    check_one_line_error(run_split(dir, "validate '" + config_path + "'"), config_path,
                         "/space/override/widht_multiplier", "an unknown key");
  }
  TEST_CASE("a space file path that does not exist") {
    TempDir dir("space-config");
    const std::string config_path = dir.file("config.json");
    write_text(config_path, config_with_space("no_such_space.json").dump(2));
    check_one_line_error(run_split(dir, "validate '" + config_path + "'"), config_path, "/space",
                         "an existing space file");
  }
  TEST_CASE("a {\"file\": ...} path that does not exist") {
    TempDir dir("space-config");
    const std::string config_path = dir.file("config.json");
    write_text(config_path, config_with_space({{"file", "no_such_space.json"}}).dump(2));
    check_one_line_error(run_split(dir, "validate '" + config_path + "'"), config_path, "/space/file",
                         "no_such_space.json");
  }
}

}  // namespace hwnas::test
