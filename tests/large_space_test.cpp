// This file implements the tests of a space at the documented limits (254 stages of depth
// up to 64, networks of tens of thousands of layers): checking it has bounded work, and a
// search in it, which spends its time rejecting networks too large for the boards, stops
// cleanly at the first SIGTERM and can be resumed.
#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

using Clock = std::chrono::steady_clock;

std::string log_so_far(const std::string& path) {
  return std::filesystem::exists(path) ? read_text(path) : std::string();
}

nlohmann::json huge_space_config(const std::string& out_dir) {
  nlohmann::json stages = nlohmann::json::array();
  for (int i = 0; i < 252; ++i)
    stages.push_back({{"block", "separable"},
                      {"depth", {{"min", 0}, {"max", 64}}},
                      {"filters", {{"choice", {4, 8}}}},
                      {"kernel", {{"choice", {3, 5}}}}});
  stages.push_back({{"block", "global_pool"}});
  stages.push_back({{"block", "classifier"}});
  return {{"dataset", {{"format", "synthetic"}, {"shape", {12, 12, 1}}, {"classes", 3}, {"train_size", 300}, {"test_size", 30}}},
          {"space", {{"name", "huge"}, {"stages", stages}}},
          {"targets", {{{"mcu", "STM32F746"}}}},
          {"search", {{"evaluations", 4}, {"seed", 1}}},
          {"training", {{"epochs", 1}}},
          {"output", {{"dir", out_dir}}}};
}

}  // namespace

TEST_SUITE("large_space") {
  TEST_CASE("a space of 254 stages of depth 64 is checked in bounded time") {
    TempDir dir;
    write_text(dir.file("huge.json"), huge_space_config(dir.file("run")).dump());
    const auto start = Clock::now();
    const CommandResult r = run_nas_run("validate '" + dir.file("huge.json") + "'");
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    CHECK_MESSAGE(r.exit_code == 0, r.output);
    CHECK(contains(r.output, "valid (space 'huge'"));
    // Decoding all of the check's 259 networks took 47 s here; the layer budget keeps it to
    // about 4 s. The bound leaves ample room for a slow machine.
    CHECK_MESSAGE(seconds < 30, seconds, " s");
  }

  TEST_CASE("a search that keeps rejecting huge networks stops at the first SIGTERM and resumes") {
    TempDir dir;
    const std::string run = dir.file("run");
    write_text(dir.file("huge.json"), huge_space_config(run).dump());
    BackgroundNasRun nas("'" + dir.file("huge.json") + "' --threads 1", dir.file("run.log"));
    // Rejecting has begun once the space is bound (the initial checkpoint is written).
    REQUIRE(nas.wait_until([&] { return contains(log_so_far(dir.file("run.log")), "space huge:"); }));
    REQUIRE(nas.wait_until([&] { return std::filesystem::exists(run + "/checkpoint.json"); }));
    nas.signal(SIGTERM);
    const auto signalled = Clock::now();
    CHECK(nas.wait() == 0);
    CHECK(Clock::now() - signalled < std::chrono::seconds(20));
    const std::string log = read_text(dir.file("run.log"));
    CHECK_MESSAGE(contains(log, "stop signal (SIGINT, SIGTERM or SIGUSR1)"), log);
    CHECK_MESSAGE(contains(log, "nas-run resume " + run), log);

    BackgroundNasRun resumed("resume '" + run + "' --threads 1", dir.file("resumed.log"));
    REQUIRE(resumed.wait_until([&] { return contains(log_so_far(dir.file("resumed.log")), "resuming at the search"); }));
    resumed.signal(SIGTERM);
    CHECK(resumed.wait() == 0);
  }
}

}  // namespace hwnas::test
