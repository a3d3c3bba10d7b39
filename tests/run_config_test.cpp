// This file implements the tests of config loading: a valid config, and broken configs
// each rejected by `nas-run validate` with exit code 2 and one line naming the file and
// the JSON pointer of the offending field.
#include <doctest/doctest.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "search/target_budgets.hpp"
#include "search/run_config.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

nlohmann::json valid_config() {
  return nlohmann::json::parse(R"({
    "dataset": {"format": "synthetic", "shape": [12, 12, 1], "classes": 3, "train_size": 300, "test_size": 60},
    "space": {"stages": [{"block": "conv", "depth": {"min": 1, "max": 2}, "filters": {"choice": [4, 8]}, "kernel": 3},
                         {"block": "global_pool"}, {"block": "classifier"}]},
    "targets": [{"mcu": "STM32F746", "max_ram_kb": 64}],
    "search": {"evaluations": 3, "seed": 7},
    "training": {"epochs": 1, "batch_size": 32},
    "output": {"dir": "unused"}
  })");
}

// Writes the mutated config, validates it with the real binary and checks the error.
void expect_rejected(const std::function<void(nlohmann::json&)>& mutate, const std::string& pointer,
                     const std::string& also_contains = "") {
  TempDir dir("config");
  nlohmann::json config = valid_config();
  mutate(config);
  const std::string path = dir.file("config.json");
  write_text(path, config.dump(2));
  const CommandResult r = run_nas_run("validate '" + path + "'");
  INFO("output: " << r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find(path + ": " + pointer + ":") != std::string::npos);
  if (!also_contains.empty()) CHECK(r.output.find(also_contains) != std::string::npos);
  // One line: the message ends with the only newline.
  CHECK(r.output.find('\n') == r.output.size() - 1);
}

}  // namespace

TEST_SUITE("run_config") {
  TEST_CASE("a valid config validates, and the parsed values match") {
    TempDir dir("config");
    write_text(dir.file("config.json"), valid_config().dump());
    const RunConfig c = load_run_config(dir.file("config.json"));
    CHECK(c.dataset.format == DatasetFormat::kSynthetic);
    CHECK(c.dataset.synthetic_shape == TensorShape{12, 12, 1});
    CHECK(c.targets.size() == 1);
    CHECK(c.targets[0].mcu.name == "STM32F746");
    CHECK(c.targets[0].max_ram_kb == 64);
    CHECK(c.targets[0].max_flash_kb == 1024);  // default: the board's flash
    CHECK(c.search.evaluations == 3);
    CHECK(c.search.seed == 7);
    CHECK(c.training.batch_size == 32);
    const CommandResult r = run_nas_run("validate '" + dir.file("config.json") + "'");
    CHECK(r.exit_code == 0);
  }

  TEST_CASE("the shipped quickstart config validates") {
    const CommandResult r = run_nas_run("validate '" + source_path("configs/quickstart.json") + "'");
    INFO(r.output);
    CHECK(r.exit_code == 0);
  }

  TEST_CASE("unknown top-level key (typo of a section)") {
    expect_rejected([](auto& c) { c["trainig"] = c["training"]; }, "/trainig", "unknown key");
  }
  TEST_CASE("unknown nested key") {
    expect_rejected([](auto& c) { c["training"]["learning_rat"] = 0.1; }, "/training/learning_rat");
  }
  TEST_CASE("wrong type") {
    expect_rejected([](auto& c) { c["training"]["epochs"] = "two"; }, "/training/epochs", "expected an integer");
  }
  TEST_CASE("value out of range") {
    expect_rejected([](auto& c) { c["training"]["batch_size"] = 0; }, "/training/batch_size", "in [1, 65536]");
  }
  TEST_CASE("fractional value where an integer is expected") {
    expect_rejected([](auto& c) { c["search"]["evaluations"] = 2.5; }, "/search/evaluations");
  }
  TEST_CASE("missing required section") {
    expect_rejected([](auto& c) { c.erase("dataset"); }, "/dataset", "required");
  }
  TEST_CASE("unknown MCU lists the known boards") {
    expect_rejected([](auto& c) { c["targets"][0]["mcu"] = "STM32F999"; }, "/targets/0/mcu", "STM32H743");
  }
  TEST_CASE("budget above what the board has") {
    expect_rejected([](auto& c) { c["targets"][0]["max_ram_kb"] = 4096; }, "/targets/0/max_ram_kb", "320]");
  }
  TEST_CASE("empty target list") {
    expect_rejected([](auto& c) { c["targets"] = nlohmann::json::array(); }, "/targets", "1 to 64 elements");
  }
  TEST_CASE("missing data file") {
    expect_rejected(
        [](auto& c) {
          c["dataset"] = {{"format", "idx"}, {"train_images", "/nonexistent/train.gz"},
                          {"train_labels", "x"}, {"test_images", "x"}, {"test_labels", "x"}};
        },
        "/dataset/train_images", "an existing file");
  }
  TEST_CASE("unknown enum value lists the valid ones") {
    expect_rejected([](auto& c) { c["training"]["optimizer"] = "adamw"; }, "/training/optimizer", "sgd, adam");
  }
  TEST_CASE("element of a list with the wrong type") {
    expect_rejected([](auto& c) { c["space"]["stages"][0]["filters"]["choice"] = {4, "8"}; },
                    "/space/stages/0/filters/choice/1");
  }
  TEST_CASE("warm-up longer than training") {
    expect_rejected([](auto& c) { c["training"]["warmup_epochs"] = 3; }, "/training/warmup_epochs");
  }
  TEST_CASE("a section that is not an object") {
    expect_rejected([](auto& c) { c["search"] = 5; }, "/search", "an object");
  }

  TEST_CASE("targets: runtime profile, latency/energy budgets and boards added by the config") {
    TempDir dir("config");
    nlohmann::json c = valid_config();
    c["mcus"] = nlohmann::json::parse(R"([{"name": "LabBoard", "core": "cortex-m33", "clock_mhz": 96, "sram_kb": 128,
      "flash_kb": 512, "fpu": "sp", "dsp": true, "active_power_mw": 12, "datasheet": "our bench"}])");
    c["targets"].push_back({{"mcu", "LabBoard"}, {"runtime", "hwnas-c"}, {"max_latency_ms", 50}, {"max_energy_uj", 300}});
    write_text(dir.file("config.json"), c.dump());
    const RunConfig rc = load_run_config(dir.file("config.json"));
    REQUIRE(rc.targets.size() == 2);
    CHECK(rc.targets[0].cost.profile.name == "tflm-cmsis-nn");  // the default runtime
    CHECK(rc.targets[1].cost.profile.name == "hwnas-c");
    CHECK(rc.targets[1].cost.mcu.clock_mhz == 96);
    CHECK(rc.targets[1].max_latency_ms == 50);
    CHECK(rc.targets[1].max_energy_uj == 300);
  }
  TEST_CASE("search keys: strategies, objectives and fidelity stages are parsed and checked") {
    TempDir dir("config");
    nlohmann::json config = valid_config();
    config["search"].update(nlohmann::json::parse(R"({"strategy": "nsga2", "objectives": ["ram", "energy"],
      "fidelity": {"epochs": 1, "train_samples": 100, "learning_rate": 0.4}, "promotions": [{"epochs": 2}], "promotion_eta": 2,
      "min_accuracy": 0.8, "max_final": 3})"));
    write_text(dir.file("config.json"), config.dump());
    const RunConfig c = load_run_config(dir.file("config.json"));
    CHECK(c.search.strategy == StrategyKind::kNsga2);
    CHECK(c.search.objectives == std::vector<CostObjective>{CostObjective::kRam, CostObjective::kEnergy});
    CHECK(c.search.fidelity == FidelitySpec{1, 100, 0.4});
    CHECK(c.search.promotions == std::vector<FidelitySpec>{{2, 0}});
    CHECK(c.search.promotion_eta == 2);
    CHECK(c.search.min_accuracy == 0.8);
    CHECK(c.search.max_final == 3);
    expect_rejected([](auto& c) { c["search"]["min_accuracy"] = 80; }, "/search/min_accuracy");
    expect_rejected([](auto& c) { c["search"]["max_final"] = -1; }, "/search/max_final");
    expect_rejected([](auto& c) { c["search"]["final_seeds"] = 0; }, "/search/final_seeds");
    expect_rejected([](auto& c) { c["search"]["strategy"] = "evolution"; }, "/search/strategy", "aging_evolution");
    expect_rejected([](auto& c) { c["search"]["objectives"] = {"ram", "ram"}; }, "/search/objectives", "distinct");
    expect_rejected([](auto& c) { c["search"]["promotions"] = {{{"epoch", 2}}}; }, "/search/promotions/0/epoch");
    expect_rejected([](auto& c) { c["search"]["fidelity"]["learning_rate"] = -0.1; }, "/search/fidelity/learning_rate");
    expect_rejected([](auto& c) { c["search"]["sample_size"] = 50; }, "/search/sample_size", "population_size");
  }

  TEST_CASE("search.initial_architectures: resolved against the config's folder, members of the space that fit") {
    TempDir dir("config");
    // The space of valid_config(): one or two 3x3 convolutions of 4 or 8 filters.
    auto network = [&](const std::string& name, int filters) {
      const std::string path = dir.file(name + ".json");
      nlohmann::json arch = nlohmann::json::parse(R"({"name": "given", "input": {"shape": [12, 12, 1]}, "layers": [
        {"name": "c", "op": "conv2d", "filters": 8, "kernel": 3, "use_bias": false}, {"name": "bn", "op": "batch_norm"},
        {"name": "r", "op": "relu"}, {"name": "g", "op": "global_avg_pool"}, {"name": "fc", "op": "dense", "units": 3},
        {"name": "p", "op": "softmax"}]})");
      arch["layers"][0]["filters"] = filters;
      write_text(path, arch.dump());
      return path;
    };
    const std::string member = network("member", 8), outsider = network("outsider", 16);
    std::filesystem::create_directories(dir.file("configs"));
    nlohmann::json config = valid_config();
    config["search"]["initial_architectures"] = {"../member.json"};
    write_text(dir.file("configs/config.json"), config.dump());
    const RunConfig c = load_run_config(dir.file("configs/config.json"));
    REQUIRE(c.search.initial_architectures.size() == 1);
    CHECK(c.search.initial_architectures[0].path == member);
    CHECK(c.search.initial_architectures[0].arch->total_params() == 8 * 9 + 4 * 8 + 8 * 3 + 3);  // conv, BN, dense
    const CommandResult r = run_nas_run("validate '" + dir.file("configs/config.json") + "'");
    CHECK_MESSAGE(r.exit_code == 0, r.output);
    CHECK(contains(r.output, "1 initial network,"));

    expect_rejected([](auto& c) { c["search"]["initial_architectures"] = {"/nonexistent/arch.json"}; },
                    "/search/initial_architectures/0", "/nonexistent/arch.json");
    expect_rejected([](auto& c) { c["search"]["initial_architectures"] = {7}; }, "/search/initial_architectures/0",
                    "the path of an arch.json");
    expect_rejected([&](auto& c) { c["search"]["initial_architectures"] = {member, outsider}; },
                    "/search/initial_architectures/1",
                    "not a member of space 'space': no choice of the space builds its layer 1 ('c', conv2d)");
    expect_rejected(
        [&](auto& c) {
          c["search"]["initial_architectures"] = {member};
          c["targets"][0]["max_latency_ms"] = 0.001;
        },
        "/search/initial_architectures/0", "does not fit target 0 (STM32F746): latency ");
  }

  TEST_CASE("max_model_kb bounds the model, not the runtime's code") {
    TempDir dir("config");
    nlohmann::json config = valid_config();
    config["targets"][0]["max_model_kb"] = 10;
    write_text(dir.file("config.json"), config.dump());
    const RunConfig c = load_run_config(dir.file("config.json"));
    CostEstimate e;
    e.flash.weights = 8000;
    e.flash.biases = 400;
    e.flash.runtime_code = 60000;  // far above the model budget, but not part of the model
    CHECK(model_bytes(e) == 8400);
    CHECK(within_budgets(e, c.targets[0]));  // 8400 <= 0.9 x 10 KB
    e.flash.weights = 9000;
    CHECK_FALSE(within_budgets(e, c.targets[0]));
  }

  TEST_CASE("min_budget_use: floors under named budgets that some target sets") {
    expect_rejected([](auto& c) { c["search"]["min_budget_use"] = 0.5; }, "/search/min_budget_use", "object");
    expect_rejected([](auto& c) { c["search"]["min_budget_use"] = {{"latency", 1.5}}; }, "/search/min_budget_use/latency",
                    "1");
    expect_rejected([](auto& c) { c["search"]["min_budget_use"] = {{"latncy", 0.5}}; }, "/search/min_budget_use/latncy",
                    "");
    // valid_config's target sets no latency budget: a floor under it would reject everything.
    expect_rejected([](auto& c) { c["search"]["min_budget_use"] = {{"latency", 0.5}}; },
                    "/search/min_budget_use/latency", "max_latency_ms");
    TempDir dir("config");
    nlohmann::json config = valid_config();
    config["targets"][0]["max_ram_kb"] = 100;
    config["targets"][0]["max_latency_ms"] = 10;
    config["targets"][0]["safety_margin"] = 0.5;
    config["search"]["min_budget_use"] = {{"latency", 0.25}, {"ram", 0.5}};
    write_text(dir.file("config.json"), config.dump());
    const RunConfig c = load_run_config(dir.file("config.json"));
    REQUIRE(c.search.min_budget_use.size() == 2);
    CHECK(c.search.min_budget_use[0] == BudgetFloor{Budget::kRam, 0.5});
    CHECK(c.search.min_budget_use[1] == BudgetFloor{Budget::kLatency, 0.25});
    std::vector<TargetCost> costs(1);
    costs[0].costs.latency_ms = 1.0;      // 20% of the usable 5 ms
    costs[0].costs.ram.arena = 40960;     // 80% of the usable 50 KB
    CHECK(budget_floor_shortfalls(costs, c.targets, c.search.min_budget_use) ==
          "latency uses 20% of its budget, under the floor of 25%");
    costs[0].costs.latency_ms = 1.5;
    CHECK(budget_floor_shortfalls(costs, c.targets, c.search.min_budget_use).empty());
    costs[0].costs.ram.arena = 1024;
    CHECK(budget_floor_shortfalls(costs, c.targets, c.search.min_budget_use) ==
          "ram uses 2% of its budget, under the floor of 50%");
  }

  TEST_CASE("latency_bound upper budgets the latency interval's upper end") {
    expect_rejected([](auto& c) { c["targets"][0]["latency_bound"] = "worst"; }, "/targets/0/latency_bound",
                    "estimate");
    TempDir dir("config");
    nlohmann::json config = valid_config();
    config["targets"][0]["max_latency_ms"] = 10;
    config["targets"][0]["safety_margin"] = 0.0;
    write_text(dir.file("config.json"), config.dump());
    const TargetConfig estimate = load_run_config(dir.file("config.json")).targets[0];
    config["targets"][0]["latency_bound"] = "upper";
    write_text(dir.file("config.json"), config.dump());
    const TargetConfig upper = load_run_config(dir.file("config.json")).targets[0];
    CHECK_FALSE(estimate.latency_upper_bound);
    CHECK(upper.latency_upper_bound);
    CostEstimate e;
    e.latency_ms = 8;
    e.latency_low_ms = 6;
    e.latency_high_ms = 12;
    CHECK(budget_violations(e, estimate).empty());
    CHECK(budget_violations(e, upper) == "latency 12 ms (upper bound) over the budget of 10 ms");
  }

  TEST_CASE("unknown runtime profile lists the built-in ones") {
    expect_rejected([](auto& c) { c["targets"][0]["runtime"] = "tflm"; }, "/targets/0/runtime", "hwnas-c");
  }
  TEST_CASE("an energy budget needs the board's active power") {
    expect_rejected(
        [](auto& c) {
          c["mcus"] = nlohmann::json::parse(R"([{"name": "B", "core": "cortex-m4", "clock_mhz": 64, "sram_kb": 64,
            "flash_kb": 256, "fpu": "sp", "dsp": true, "datasheet": "x"}])");
          c["targets"] = {{{"mcu", "B"}, {"max_energy_uj", 10}}};
        },
        "/targets/0/max_energy_uj", "active_power_mw");
  }
  TEST_CASE("a board added under mcus may not reuse a built-in name") {
    expect_rejected(
        [](auto& c) {
          c["mcus"] = nlohmann::json::parse(R"([{"name": "RP2040", "core": "cortex-m0plus", "clock_mhz": 64,
            "sram_kb": 64, "flash_kb": 256, "fpu": "none", "dsp": false, "datasheet": "x"}])");
        },
        "/mcus/0/name", "duplicate");
  }

  TEST_CASE("syntax error: one line with the position, exit 2") {
    TempDir dir("config");
    write_text(dir.file("config.json"), "{\n  \"dataset\": {,\n}");
    const CommandResult r = run_nas_run("validate '" + dir.file("config.json") + "'");
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("config.json: /: expected valid JSON") != std::string::npos);
    CHECK(r.output.find("line 2") != std::string::npos);
    CHECK(r.output.find('\n') == r.output.size() - 1);
  }

  TEST_CASE("duplicate keys, deep nesting, huge numbers and non-files: one line each, exit 2") {
    TempDir dir("config");
    const auto validate = [&](const std::string& text) {
      write_text(dir.file("config.json"), text);
      const CommandResult r = run_nas_run("validate '" + dir.file("config.json") + "'");
      CHECK(r.exit_code == 2);
      CHECK(r.output.find('\n') == r.output.size() - 1);
      return r.output;
    };
    // nlohmann would keep the last of two equal keys silently.
    CHECK(validate(R"({"training": {"epochs": 1, "epochs": 3}})")
              .find("config.json: /training/epochs: expected each key once in an object") != std::string::npos);
    CHECK(validate(R"({"a": [{"b": 1}, {"c": 2, "c": 2}]})").find("/a/1/c:") != std::string::npos);
    // Nesting far beyond any config stops at the limit, before the document is built.
    CHECK(validate(std::string(200000, '[') + std::string(200000, ']')).find("levels deep") != std::string::npos);
    CHECK(validate(R"({"training": {"epochs": 1e400}})").find("/training/epochs: expected numbers within the range of a double") !=
          std::string::npos);
    nlohmann::json c = valid_config();
    c["output"]["dir"] = std::string("runs/a\0b", 7);  // dumped as \u0000
    CHECK(validate(c.dump()).find("/output/dir: expected a directory path without control characters") != std::string::npos);
    const CommandResult device = run_nas_run("validate /dev/zero");
    CHECK(device.exit_code == 2);
    CHECK(device.output.find("/dev/zero: not a regular file") != std::string::npos);
  }

  TEST_CASE("comment keys are allowed anywhere") {
    TempDir dir("config");
    nlohmann::json c = valid_config();
    c["_comment"] = "top";
    c["training"]["_why"] = "nested";
    write_text(dir.file("config.json"), c.dump());
    CHECK_NOTHROW(load_run_config(dir.file("config.json")));
  }
}

}  // namespace hwnas::test
