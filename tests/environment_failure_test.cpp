// This file implements the tests of the line between a candidate's failure and the
// machine's: file writes on a full disk throw EnvironmentError and leave the old content
// (no half line, no temporary); an evaluation that cannot record its result stops the
// evaluator instead of failing the candidate; a run that ends without a model to deploy
// does not exit 0.
#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include "search/evaluator.hpp"
#include "space/arch_json.hpp"
#include "tests/resume_runs.hpp"
#include "tests/small_disk.hpp"
#include "tests/test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/errors.hpp"

namespace hwnas::test {

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const EnvironmentError& e) {
    return e.what();
  }
  return "no EnvironmentError";
}

}  // namespace

TEST_SUITE("environment_failure") {
  TEST_CASE("on a full disk, appends and atomic writes fail with EnvironmentError and keep the old content") {
    TempDir dir;
    SmallDisk disk(dir.file("disk"), 1);
    const std::string history = disk.file("history.jsonl");
    const std::string checkpoint = disk.file("checkpoint.json");
    append_line_durably(history, "{\"index\":0}");
    write_file_atomically(checkpoint, "old");
    disk.fill(2000);  // room for a short line, not for a long one
    const std::string long_line(64 * 1024, 'x');
    CHECK(contains(error_of([&] { append_line_durably(history, long_line); }),
                   history + ": write failed: No space left on device"));
    CHECK(read_text(history) == "{\"index\":0}\n");  // the part that fitted was cut off again
    CHECK(contains(error_of([&] { write_file_atomically(checkpoint, long_line); }),
                   checkpoint + ": write failed: No space left on device"));
    CHECK(read_text(checkpoint) == "old");
    int files = 0;
    for (const auto& f : std::filesystem::directory_iterator(dir.file("disk"))) files += f.is_regular_file() ? 1 : 0;
    CHECK(files == 3);  // history, checkpoint, filler: no temporary left behind
    disk.free_space();
    append_line_durably(history, "{\"index\":1}");
    CHECK(read_text(history) == "{\"index\":0}\n{\"index\":1}\n");
  }

  TEST_CASE("temporaries abandoned by a kill are removed, other files stay") {
    TempDir dir;
    std::filesystem::create_directories(dir.file("models/a"));
    for (const char* name : {"checkpoint.json.tmp.123", "models/a/arch.json.tmp.9", "models/a/arch.json",
                             "notes.tmp.txt", "x.tmp."})
      write_text(dir.file(name), "x");
    CHECK(remove_abandoned_temporaries(dir.path().string()) == 2);
    CHECK(std::filesystem::exists(dir.file("models/a/arch.json")));
    CHECK(std::filesystem::exists(dir.file("notes.tmp.txt")));
    CHECK(std::filesystem::exists(dir.file("x.tmp.")));
    CHECK(!std::filesystem::exists(dir.file("checkpoint.json.tmp.123")));
  }

  TEST_CASE("an evaluation that cannot record its result stops the evaluator instead of failing the candidate") {
    // Two evaluations at once, whatever the core count (as run_search sets it up).
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 3);
    tbb::task_arena arena(2, 0);
    std::atomic<int> cancelled{0};
    ThreadPoolEvaluator evaluator(arena, [&](Candidate& c, const std::atomic<bool>& cancel) {
      if (c.index == 1) throw EnvironmentError("models/x/arch.json: write failed: No space left on device");
      while (!cancel) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      c.scores.status = EvaluationStatus::kCancelled;
      ++cancelled;
    });
    const Architecture arch = load_architecture(source_path("bench/networks/ds_cnn_small.json"));
    for (int i = 0; i < 2; ++i) evaluator.submit(Candidate{i, {}, "c" + std::to_string(i), 0, arch, {}, {}, {}, 0, "search", std::nullopt, ""});
    std::string failure;
    int returned = 0;
    try {
      for (int i = 0; i < 100; ++i) returned += evaluator.wait_finished(std::chrono::milliseconds(100)) ? 1 : 0;
    } catch (const EnvironmentError& e) {
      failure = e.what();
    }
    CHECK(returned == 0);
    CHECK(contains(failure, "No space left on device"));
    CHECK(cancelled == 1);  // the other evaluation was stopped before the error was reported
    CHECK(evaluator.outstanding() == 0);
  }

  TEST_CASE("a second nas-run on a run directory that a first one writes is refused") {
    TempDir dir;
    const std::string run = dir.file("run");
    write_text(dir.file("run.json"), resume_config("nsga2", run).dump(2));
    {
      BackgroundNasRun first("'" + dir.file("run.json") + "' --threads 1", dir.file("first.log"));
      REQUIRE(first.wait_until([&] { return count_file_lines(run + "/history.jsonl") >= 1; }));
      const CommandResult second = run_nas_run("resume '" + run + "'");
      CHECK(second.exit_code == 2);
      CHECK_MESSAGE(contains(second.output, run + ": another nas-run (process "), second.output);
      CHECK(std::count(second.output.begin(), second.output.end(), '\n') == 1);
      CHECK(run_nas_run("report '" + run + "'").exit_code == 0);  // reading needs no lock
      first.signal(SIGINT);
      CHECK(first.wait() == 0);
    }
    // The lock went with the process: the run resumes.
    const CommandResult resumed = run_nas_run("resume '" + run + "' --log-level warn");
    CHECK_MESSAGE(resumed.exit_code == 0, resumed.output);
  }

  TEST_CASE("a run that ends without a model to deploy exits 4 and says why") {
    TempDir dir;
    nlohmann::json config = resume_config("random", dir.file("run"));
    config["search"]["evaluations"] = 3;
    config["search"]["min_accuracy"] = 0.999;  // no candidate qualifies for the Pareto set
    write_text(dir.file("run.json"), config.dump(2));
    const CommandResult r = run_nas_run("'" + dir.file("run.json") + "' --log-level warn");
    CHECK(r.exit_code == 4);
    CHECK_MESSAGE(contains(r.output, "the run ended without a model to deploy"), r.output);
    const auto summary = nlohmann::json::parse(read_text(dir.file("run/summary.json")));
    CHECK(summary["problems"].size() == 1);
  }
}

}  // namespace hwnas::test
