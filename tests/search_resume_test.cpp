// This file implements the tests of checkpoint and resume: a run killed with SIGKILL at
// an arbitrary moment, or stopped with SIGINT, resumes to exactly the history and Pareto
// sets of an uninterrupted run; a changed config is refused; a larger budget continues.
#include <doctest/doctest.h>

#include <signal.h>

#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

// Big enough that a candidate takes a noticeable moment, so a kill lands mid-run.
nlohmann::json resume_config(const std::string& strategy, const std::string& out_dir) {
  nlohmann::json c = nlohmann::json::parse(R"({
    "dataset": {"format": "synthetic", "shape": [12, 12, 1], "classes": 3, "train_size": 3000, "test_size": 60},
    "space": {"name": "tiny", "stages": [
      {"block": "conv", "depth": {"min": 1, "max": 2}, "filters": {"choice": [4, 8]}, "kernel": {"choice": [3, 5]},
       "stride": {"choice": [1, 2]}},
      {"block": "global_pool"},
      {"block": "dense", "depth": {"min": 0, "max": 1}, "units": {"choice": [8, 12]}},
      {"block": "classifier"}]},
    "targets": [{"mcu": "STM32F746"}, {"mcu": "RP2040", "max_ram_kb": 16}],
    "search": {"evaluations": 12, "seed": 5, "population_size": 4, "sample_size": 2, "parallel": 2},
    "training": {"epochs": 2, "batch_size": 32}
  })");
  c["search"]["strategy"] = strategy;
  c["output"] = {{"dir", out_dir}};
  return c;
}

// History by candidate index without the fields that measure time.
std::map<int, nlohmann::json> comparable_history(const std::string& run_dir) {
  std::istringstream in(read_text(run_dir + "/history.jsonl"));
  std::map<int, nlohmann::json> out;
  for (std::string line; std::getline(in, line);) {
    nlohmann::json record = nlohmann::json::parse(line);
    for (const char* timing : {"train_seconds", "images_per_second", "int8_seconds", "qat_seconds"})
      record.erase(timing);
    const int index = record["index"].get<int>();
    CHECK_MESSAGE(out.count(index) == 0, "candidate ", index, " evaluated twice");
    out[index] = record;
  }
  return out;
}

std::string straight_run(const TempDir& dir, const nlohmann::json& config) {
  write_text(dir.file("straight.json"), config.dump(2));
  const CommandResult r = run_nas_run("'" + dir.file("straight.json") + "' --threads 2 --log-level warn");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  return config["output"]["dir"].get<std::string>();
}

void check_same_run(const std::string& a, const std::string& b) {
  const auto ha = comparable_history(a), hb = comparable_history(b);
  CHECK(ha.size() == 12);
  CHECK(ha == hb);
  CHECK(read_text(a + "/pareto.json") == read_text(b + "/pareto.json"));
}

}  // namespace

TEST_SUITE("search_resume") {
  TEST_CASE("kill -9 half-way, then nas-run resume: identical history and Pareto sets") {
    for (const std::string strategy : {"aging_evolution", "nsga2"}) {
      CAPTURE(strategy);
      TempDir dir;
      const std::string straight = straight_run(dir, resume_config(strategy, dir.file("straight")));
      const nlohmann::json config = resume_config(strategy, dir.file("killed"));
      write_text(dir.file("killed.json"), config.dump(2));
      const std::string run = dir.file("killed");
      {
        BackgroundNasRun nas("'" + dir.file("killed.json") + "' --threads 2", dir.file("killed.log"));
        REQUIRE(nas.wait_until([&] { return count_file_lines(run + "/history.jsonl") >= 6; }));
        nas.signal(SIGKILL);
        CHECK(nas.wait() == 128 + SIGKILL);
      }
      const size_t before = count_file_lines(run + "/history.jsonl");
      CHECK(before < 12);
      const CommandResult r = run_nas_run("resume '" + run + "' --threads 1 --log-level info");
      REQUIRE_MESSAGE(r.exit_code == 0, r.output);
      CHECK(contains(r.output, "resuming: "));
      check_same_run(straight, run);
    }
  }

  TEST_CASE("SIGINT stops cleanly with exit 0 and says how to resume; the resumed run is identical") {
    TempDir dir;
    const std::string straight = straight_run(dir, resume_config("nsga2", dir.file("straight")));
    const nlohmann::json config = resume_config("nsga2", dir.file("stopped"));
    write_text(dir.file("stopped.json"), config.dump(2));
    const std::string run = dir.file("stopped");
    BackgroundNasRun nas("'" + dir.file("stopped.json") + "' --threads 2", dir.file("stopped.log"));
    REQUIRE(nas.wait_until([&] { return count_file_lines(run + "/history.jsonl") >= 3; }));
    nas.signal(SIGINT);
    CHECK(nas.wait() == 0);
    const std::string log = read_text(dir.file("stopped.log"));
    CHECK(contains(log, "nas-run resume " + run));
    const auto checkpoint = nlohmann::json::parse(read_text(run + "/checkpoint.json"));
    CHECK(checkpoint["stop_reason"] == "stop signal (SIGINT/SIGTERM)");
    // `nas-run CONFIG --resume` finds the run from the config's output.dir.
    const CommandResult r = run_nas_run("'" + dir.file("stopped.json") + "' --resume --log-level warn");
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    check_same_run(straight, run);
  }

  TEST_CASE("a changed config is refused on resume; a larger evaluation budget continues the run") {
    TempDir dir;
    nlohmann::json config = resume_config("aging_evolution", dir.file("run"));
    config["search"]["evaluations"] = 5;
    const std::string run = straight_run(dir, config);
    CHECK(count_file_lines(run + "/history.jsonl") == 5);

    config["training"]["learning_rate"] = 0.01;
    write_text(dir.file("changed.json"), config.dump(2));
    CommandResult r = run_nas_run("'" + dir.file("changed.json") + "' --resume");
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "/training/learning_rate"));
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);

    config["training"].erase("learning_rate");
    config["search"]["evaluations"] = 8;
    write_text(dir.file("more.json"), config.dump(2));
    r = run_nas_run("'" + dir.file("more.json") + "' --resume --log-level warn");
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    const auto history = comparable_history(run);
    CHECK(history.size() == 8);
    CHECK(history.rbegin()->first == 7);

    r = run_nas_run("resume '" + dir.file("nowhere") + "'");
    CHECK(r.exit_code == 2);
  }
}

}  // namespace hwnas::test
