// This file implements the fault-injection tests: a disk that fills up during the search,
// during the final stage and during the export (a real tmpfs, filled while the run is
// paused), a run directory that cannot be written, and a run killed with SIGKILL twenty
// times at random and targeted moments. Each time the run must stop with one clear line,
// lose nothing, and a resume must end with exactly the results of an uninterrupted run.
#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/resume_runs.hpp"
#include "tests/run_comparison.hpp"
#include "tests/small_disk.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kEnvironmentExit = 3;

bool history_has(const std::string& run, const std::string& part) {
  return fs::exists(run + "/history.jsonl") && contains(read_text(run + "/history.jsonl"), part);
}

// Every line of history.jsonl is a whole JSON record (a failed append leaves no part).
void check_whole_history_lines(const std::string& run) {
  const std::string text = read_text(run + "/history.jsonl");
  CHECK((text.empty() || text.back() == '\n'));
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) CHECK_MESSAGE(nlohmann::json::accept(line), line);
}

// The lines nas-run wrote as errors: the run must stop with exactly one.
int error_lines(const std::string& log) {
  int n = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) n += contains(line, "nas-run: error:") ? 1 : 0;
  return n;
}

// Runs `args` in the background until `moment` holds, then pauses it, fills the disk and
// lets it go on: its next write meets a full disk. Returns the log.
std::string fill_disk_at(SmallDisk& disk, const std::string& args, const std::string& log,
                         const std::function<bool()>& moment) {
  BackgroundNasRun nas(args, log);
  REQUIRE_MESSAGE(nas.wait_until(moment), read_text(log));
  nas.signal(SIGSTOP);
  disk.fill();
  nas.signal(SIGCONT);
  CHECK(nas.wait() == kEnvironmentExit);
  return read_text(log);
}

void check_stopped_for_space(const std::string& log, const std::string& run) {
  CHECK_MESSAGE(error_lines(log) == 1, log);
  CHECK_MESSAGE(contains(log, "No space left on device"), log);
  CHECK_MESSAGE(contains(log, "nas-run resume " + run), log);
  check_whole_history_lines(run);
}

nlohmann::json export_listing(const std::string& run) {
  nlohmann::json models = nlohmann::json::parse(read_text(run + "/export/export.json"))["models"];
  for (auto& m : models) m.erase("dir");
  return models;
}

}  // namespace

TEST_SUITE("fault_injection") {
  TEST_CASE("a disk that fills during the search, the final stage and the export: exit 3, one line, nothing lost") {
    TempDir dir;
    const std::string straight = straight_run(dir, resume_config("nsga2", dir.file("straight")));
    SmallDisk disk(dir.file("disk"), 64);
    const std::string run = disk.file("run");
    write_text(dir.file("run.json"), resume_config("nsga2", run).dump(2));
    const std::string threads = " --threads 2 --log-level warn";

    // 1. During the search.
    std::string log = fill_disk_at(disk, "'" + dir.file("run.json") + "'" + threads, dir.file("1.log"),
                                   [&] { return count_file_lines(run + "/history.jsonl") >= 3; });
    check_stopped_for_space(log, run);
    CHECK(!history_has(run, "\"stage\":\"final\""));
    // Still full: resuming fails the same way at once, without harm.
    CommandResult r = run_nas_run("resume '" + run + "'" + threads);
    CHECK(r.exit_code == kEnvironmentExit);
    disk.free_space();

    // 2. During the final retraining.
    log = fill_disk_at(disk, "resume '" + run + "'" + threads, dir.file("2.log"),
                       [&] { return history_has(run, "\"stage\":\"final\""); });
    check_stopped_for_space(log, run);
    CHECK(!fs::exists(run + "/export/export.json"));
    disk.free_space();
    r = run_nas_run("resume '" + run + "'" + threads);
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    check_same_run(straight, run);
    CHECK(export_listing(run) == export_listing(straight));

    // 3. During the export: a finished run resumed exports again; leave room for the small
    // files written before it and for half of the export.
    uint64_t export_bytes = 0;
    for (const auto& f : fs::recursive_directory_iterator(run + "/export"))
      if (f.is_regular_file()) export_bytes += f.file_size();
    REQUIRE(export_bytes > 256 * 1024);
    fs::remove_all(run + "/export");
    disk.fill(128 * 1024 + export_bytes / 2);
    r = run_nas_run("resume '" + run + "'" + threads);
    CHECK(r.exit_code == kEnvironmentExit);
    check_stopped_for_space(r.output, run);
    CHECK_MESSAGE(contains(r.output, run + "/export/"), r.output);
    disk.free_space();
    r = run_nas_run("resume '" + run + "'" + threads);
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    check_same_run(straight, run);
    CHECK(export_listing(run) == export_listing(straight));
  }

  TEST_CASE("a run directory that cannot be written fails at the start with exit 3") {
    TempDir dir;
    SmallDisk disk(dir.file("ro"), 1, /*read_only=*/true);
    write_text(dir.file("run.json"), resume_config("random", disk.file("run")).dump(2));
    // A new folder on a read-only file system, and the empty mount point itself.
    for (const std::string& out : {std::string(), " --out '" + dir.file("ro") + "'"}) {
      const auto start = Clock::now();
      const CommandResult r = run_nas_run("'" + dir.file("run.json") + "'" + out);
      CHECK(r.exit_code == kEnvironmentExit);
      CHECK_MESSAGE(error_lines(r.output) == 1, r.output);
      CHECK_MESSAGE(contains(r.output, "Read-only file system"), r.output);
      CHECK_MESSAGE(!contains(r.output, "dataset "), r.output);  // before loading any data
      CHECK(Clock::now() - start < std::chrono::seconds(10));
    }
  }

  TEST_CASE("SIGKILL at 20 random and targeted moments, resumed each time: identical final results") {
    TempDir dir;
    const std::string straight = straight_run(dir, resume_config("aging_evolution", dir.file("straight")));
    const std::string run = dir.file("killed");
    write_text(dir.file("killed.json"), resume_config("aging_evolution", run).dump(2));
    std::mt19937 rng(29);
    std::uniform_int_distribution<int> delay_ms(20, 150);
    int kills = 0;
    bool finished = false;
    for (int attempt = 0; kills < 20 && !finished; ++attempt) {
      const std::string args = attempt == 0 ? "'" + dir.file("killed.json") + "' --threads 2"
                                            : "resume '" + run + "' --threads 2";
      BackgroundNasRun nas(args, dir.file("killed.log"));
      // Every fourth kill lands right after a history append, the last one once the export
      // began; the others at a random moment (data loading, training, checkpoint writes).
      // The moments are short enough that the run is still far from its end at the last.
      const size_t lines = count_file_lines(run + "/history.jsonl");
      const auto deadline = Clock::now() + std::chrono::milliseconds(delay_ms(rng));
      const bool running = nas.wait_until([&] {
        if (kills == 19) return fs::exists(run + "/export");
        if (kills % 4 == 3) return count_file_lines(run + "/history.jsonl") > lines;
        return Clock::now() >= deadline;
      });
      if (!running) {  // it ended before the moment came
        finished = nas.wait() == 0;
        continue;
      }
      if (kills == 19) CHECK(!fs::exists(run + "/export/export.json"));  // export.json comes last
      nas.signal(SIGKILL);
      CHECK(nas.wait() == 128 + SIGKILL);
      ++kills;
    }
    CHECK(kills == 20);
    if (!finished) {
      const CommandResult r = run_nas_run("resume '" + run + "' --threads 1 --log-level warn");
      REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    }
    check_same_run(straight, run);
    CHECK(export_listing(run) == export_listing(straight));
    for (const auto& f : fs::recursive_directory_iterator(run))
      CHECK_MESSAGE(!contains(f.path().filename().string(), ".tmp."), f.path().string());
  }
}

}  // namespace hwnas::test
