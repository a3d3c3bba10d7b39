// This file implements the tests of checkpoint.json's integrity: a format version and a
// checksum, two generations on disk, a damaged or truncated checkpoint detected with a
// clear message and the previous one used, impossible counts refused, and a run resumed
// from the previous generation ending exactly as an uninterrupted one.
#include <doctest/doctest.h>

#include <signal.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "search/checkpoint.hpp"
#include "tests/resume_runs.hpp"
#include "tests/run_comparison.hpp"
#include "tests/test_support.hpp"
#include "util/errors.hpp"

namespace hwnas::test {

namespace {

Checkpoint sample_checkpoint(int proposed) {
  Checkpoint c;
  c.config_hash = "0123456789abcdef";
  c.config_path = "/tmp/config.json";
  c.proposed = proposed;
  c.observed = 1;
  c.pending = {{1, 0, {1, 2, 3}, ProposalCounts{2, 40, 1}}, {0, 1, {0, 0, 1}, std::nullopt}};
  c.strategy = {{"population", {1.5, 0.25}}};
  c.source = {{"accepted", 3}};
  c.stop_reason = "stop signal";
  return c;
}

std::string load_error(const std::string& path) {
  try {
    load_checkpoint(path);
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_SUITE("checkpoint") {
  TEST_CASE("checkpoints carry a version and a checksum, and the previous generation stays beside them") {
    TempDir dir;
    const std::string path = dir.file("checkpoint.json");
    const std::string previous = dir.file("checkpoint.prev.json");
    CHECK(previous_checkpoint_path(path) == previous);
    save_checkpoint(path, sample_checkpoint(2));
    CHECK(!std::filesystem::exists(previous));
    save_checkpoint(path, sample_checkpoint(3));
    const auto j = nlohmann::json::parse(read_text(path));
    CHECK(j["format"] == "hwnas-checkpoint-2");
    CHECK(j["checksum"].get<std::string>().rfind("crc32:", 0) == 0);
    CHECK(load_checkpoint(path).proposed == 3);
    CHECK(load_checkpoint(previous).proposed == 2);
    const Checkpoint back = load_checkpoint(path);
    CHECK(back.pending.at(0).genome == Genome{1, 2, 3});
    // A search candidate's proposal counts travel with it (the report's feasible share).
    REQUIRE(back.pending.at(0).proposals.has_value());
    CHECK(*back.pending.at(0).proposals == ProposalCounts{2, 40, 1});
    CHECK(!back.pending.at(1).proposals.has_value());
    CHECK(back.strategy == sample_checkpoint(3).strategy);
  }

  TEST_CASE("a damaged or truncated checkpoint is detected and the previous one is used") {
    TempDir dir;
    const std::string path = dir.file("checkpoint.json");
    save_checkpoint(path, sample_checkpoint(2));
    save_checkpoint(path, sample_checkpoint(3));
    const std::string good = read_text(path);

    // One changed value that is still valid JSON: only the checksum can tell.
    std::string edited = good;
    const size_t at = edited.find("\"proposed\":3");
    REQUIRE(at != std::string::npos);
    edited.replace(at, 12, "\"proposed\":4");
    write_text(path, edited);
    CHECK(load_checkpoint(path).proposed == 2);

    write_text(path, good.substr(0, good.size() / 2));  // truncated
    CHECK(load_checkpoint(path).proposed == 2);

    // Both damaged: one line naming both files.
    write_text(dir.file("checkpoint.prev.json"), "{\"format\": \"hwnas-checkpoint-2\"");
    const std::string error = load_error(path);
    CHECK(contains(error, path));
    CHECK(contains(error, dir.file("checkpoint.prev.json")));
    CHECK(error.find('\n') == std::string::npos);

    write_text(path, edited);
    CHECK(contains(load_error(path), path + ": damaged (its checksum does not match its content)"));
  }

  TEST_CASE("a checkpoint with impossible counts is refused, not narrowed, and version 1 files still load") {
    TempDir dir;
    const std::string path = dir.file("checkpoint.json");
    nlohmann::json v1 = nlohmann::json::parse(R"({"format": "hwnas-checkpoint-1", "config_hash": "x", "config_path": "",
      "proposed": 4, "observed": 2, "phase": 0, "pending": [{"index": 2, "rung": 0, "genome": [0, 1]}],
      "strategy": {}, "source": {}, "finished": false, "stop_reason": ""})");
    write_text(path, v1.dump());
    CHECK(load_checkpoint(path).proposed == 4);
    CHECK(!load_checkpoint(path).pending.at(0).proposals.has_value());  // written before they were recorded
    v1["pending"][0]["proposals_so_far"] = {{"accepted", 3}, {"rejected", -2}, {"duplicates", 0}};
    write_text(path, v1.dump());
    CHECK(contains(load_error(path), "/pending/0/proposals_so_far/rejected: expected a count"));
    v1["pending"][0].erase("proposals_so_far");
    v1["proposed"] = 1e12;
    write_text(path, v1.dump());
    CHECK(contains(load_error(path), path + ": /proposed: expected an integer in [0, 2147483647]"));
    v1["proposed"] = 4294967297LL;  // 2^32 + 1: an int would read it as 1
    write_text(path, v1.dump());
    CHECK(contains(load_error(path), "/proposed: expected an integer"));
    v1["proposed"] = 4;
    v1["pending"][0]["index"] = -1;
    write_text(path, v1.dump());
    CHECK(contains(load_error(path), "/pending/0/index: expected an integer"));
    v1["pending"][0]["index"] = 2;
    v1["observed"] = 9;
    write_text(path, v1.dump());
    CHECK(contains(load_error(path), "damaged (it has seen 9 results of 4 proposals)"));
  }

  TEST_CASE("a run whose checkpoint was damaged resumes from the previous one to the identical result") {
    TempDir dir;
    const std::string straight = straight_run(dir, resume_config("aging_evolution", dir.file("straight")));
    const std::string run = dir.file("damaged");
    write_text(dir.file("damaged.json"), resume_config("aging_evolution", run).dump(2));
    {
      BackgroundNasRun nas("'" + dir.file("damaged.json") + "' --threads 2", dir.file("damaged.log"));
      REQUIRE(nas.wait_until([&] { return count_file_lines(run + "/history.jsonl") >= 7; }));
      nas.signal(SIGKILL);
      nas.wait();
    }
    const std::string checkpoint = read_text(run + "/checkpoint.json");
    write_text(run + "/checkpoint.json", checkpoint.substr(0, checkpoint.size() / 3));
    const CommandResult r = run_nas_run("resume '" + run + "' --threads 2 --log-level warn");
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    CHECK_MESSAGE(contains(r.output, "going on from the previous checkpoint"), r.output);
    check_same_run(straight, run);  // every evaluation once: none recorded since was run again
  }
}

}  // namespace hwnas::test
