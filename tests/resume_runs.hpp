// This file implements the small search that the resume and fault-injection tests interrupt
// and compare: its config, and an uninterrupted run of it to compare against.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "tests/test_support.hpp"

namespace hwnas::test {

// Big enough that a candidate takes a noticeable moment, so a kill lands mid-run. The
// search evaluates 12 candidates on 1000 samples for 1 epoch; successive halving promotes 6
// to 1 epoch on all 3000; the Pareto sets are then retrained with the full 2-epoch recipe.
inline nlohmann::json resume_config(const std::string& strategy, const std::string& out_dir) {
  nlohmann::json c = nlohmann::json::parse(R"({
    "dataset": {"format": "synthetic", "shape": [12, 12, 1], "classes": 3, "train_size": 3000, "test_size": 60},
    "space": {"name": "tiny", "stages": [
      {"block": "conv", "depth": {"min": 1, "max": 2}, "filters": {"choice": [4, 8]}, "kernel": {"choice": [3, 5]},
       "stride": {"choice": [1, 2]}},
      {"block": "global_pool"},
      {"block": "dense", "depth": {"min": 0, "max": 1}, "units": {"choice": [8, 12]}},
      {"block": "classifier"}]},
    "targets": [{"mcu": "STM32F746"}, {"mcu": "RP2040", "max_ram_kb": 16}],
    "search": {"evaluations": 12, "seed": 5, "population_size": 4, "sample_size": 2, "parallel": 2,
               "fidelity": {"epochs": 1, "train_samples": 1000}, "promotions": [{"epochs": 1}], "promotion_eta": 2},
    "training": {"epochs": 2, "batch_size": 32}
  })");
  c["search"]["strategy"] = strategy;
  c["output"] = {{"dir", out_dir}};
  return c;
}

inline std::string straight_run(const TempDir& dir, const nlohmann::json& config) {
  write_text(dir.file("straight.json"), config.dump(2));
  const CommandResult r = run_nas_run("'" + dir.file("straight.json") + "' --threads 2 --log-level warn");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  return config["output"]["dir"].get<std::string>();
}

}  // namespace hwnas::test
