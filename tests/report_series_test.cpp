// This file implements the tests of what the report's progress plots and rejected points
// are made of: history time stamps (finished_at), the series drawn against evaluations and
// wall time (search/report_series.hpp), the feasible share from the proposal counts, and
// rejected.jsonl (search/rejection_log.hpp): written capped, read back each network once;
// run directories of older versions without any of it give empty series, not errors.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "search/history.hpp"
#include "search/rejection_log.hpp"
#include "search/report_data.hpp"
#include "search/report_series.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

namespace fs = std::filesystem;

// One rejected.jsonl line as RejectionLog writes it, rejected on STM32F746's RAM.
std::string rejection_line(const std::string& id, double ram_bytes) {
  const nlohmann::json costs = {{"STM32F746", {{"runtime", "tflm-cmsis-nn"}, {"flash_bytes", 300000}, {"model_bytes", 275000},
                                               {"ram_bytes", ram_bytes}, {"latency_ms", 20.5}, {"energy_uj", nullptr},
                                               {"fits", false}}}};
  return nlohmann::json{{"id", id}, {"genome", {1, 2}}, {"costs", costs}, {"proposing", 3},
                        {"reason", "STM32F746: peak RAM 32.2 KB over the budget of 28.8 KB"}}
             .dump() +
         "\n";
}

}  // namespace

TEST_SUITE("report") {
  TEST_CASE("history time stamps are UTC ISO 8601 and read back to the same instant") {
    const std::chrono::system_clock::time_point t{std::chrono::milliseconds(1796685154567LL)};
    CHECK(history_timestamp(t) == "2026-12-07T23:12:34.567Z");
    REQUIRE(parse_history_timestamp("2026-12-07T23:12:34.567Z").has_value());
    CHECK(*parse_history_timestamp("2026-12-07T23:12:34.567Z") == doctest::Approx(1796685154.567));
    CHECK(*parse_history_timestamp("2026-12-07T23:12:34Z") == doctest::Approx(1796685154.0));
    CHECK(*parse_history_timestamp(history_timestamp(t)) == doctest::Approx(1796685154.567));
    for (const char* bad : {"", "yesterday", "2026-12-07 23:12:34", "2026-12-07T23:12:34.5", "2026-13-07T23:12:34Z",
                            "2026-12-07T23:12:34Zx"})
      CHECK_MESSAGE(!parse_history_timestamp(bad).has_value(), bad);
  }

  TEST_CASE("the progress series: best against wall time, feasible share, rejected networks, old runs give none") {
    TempDir dir("report-series");
    const std::string run = dir.file("run");
    fs::create_directories(run);
    const auto record = [](int index, const char* stage, double accuracy, bool fits, const std::string& finished,
                           nlohmann::json proposals) {
      nlohmann::json r = {{"index", index}, {"id", "n" + std::to_string(index)}, {"rung", std::string(stage) == "search" ? 0 : 1},
                          {"stage", stage}, {"status", "ok"}, {"val_accuracy_int8", accuracy},
                          {"costs", {{"B", {{"ram_bytes", 1000}, {"fits", fits}}}}}, {"finished_at", finished}};
      if (!proposals.is_null()) r["proposals_so_far"] = proposals;
      return r.dump() + "\n";
    };
    const auto counts = [](int a, int r, int d) { return nlohmann::json{{"accepted", a}, {"rejected", r}, {"duplicates", d}}; };
    // Finished out of index order; a pause of an hour (a resume) before the final stage.
    write_text(run + "/history.jsonl",
               record(1, "search", 0.6, true, "2026-12-07T10:00:05.000Z", counts(2, 6, 0)) +
               record(0, "search", 0.5, true, "2026-12-07T10:00:02.500Z", counts(1, 3, 0)) +
               record(2, "search", 0.9, false, "2026-12-07T10:00:09.000Z", counts(3, 6, 1)) +
               record(1, "final", 0.7, true, "2026-12-07T11:00:02.500Z", nullptr));
    write_text(run + "/rejected.jsonl",
               rejection_line("r1", 33100) + rejection_line("r2", 33200) + rejection_line("r1", 33100) +
               "{\"id\": \"cut");  // repeated after a resume; a torn line
    const ReportData data = load_report_data(run);
    ReportTarget target;
    target.mcu = "B";

    const auto elapsed = elapsed_seconds(data);
    REQUIRE(elapsed.size() == 4);
    CHECK(*elapsed[1] == doctest::Approx(0.0));
    CHECK(*elapsed[0] == doctest::Approx(2.5));
    CHECK(*elapsed[3] == doctest::Approx(3600.0));
    // In time order: 0.5 at 0 s, 0.6 at 2.5 s, (0.9 does not fit), 0.7 at 3600 s; steps, not slopes.
    const Series best = best_fitting_so_far(data, target, elapsed);
    const Series expected = {{0.0, 50.0}, {2.5, 50.0}, {2.5, 60.0}, {6.5, 60.0}, {3600.0, 60.0}, {3600.0, 70.0}};
    REQUIRE(best.size() == expected.size());
    for (size_t i = 0; i < best.size(); ++i) {
      CHECK(best[i].first == doctest::Approx(expected[i].first));
      CHECK(best[i].second == doctest::Approx(expected[i].second));
    }
    const auto changes = stage_changes(data, elapsed);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].first == doctest::Approx(3600.0));
    CHECK(changes[0].second == "final");

    // By candidate index, (accepted + duplicates) over all draws.
    const Series share = feasible_share_series(data);
    REQUIRE(share.size() == 3);
    CHECK(share[0].first == 1);
    CHECK(share[0].second == doctest::Approx(25.0));
    CHECK(share[1].second == doctest::Approx(25.0));
    CHECK(share[2].first == 3);
    CHECK(share[2].second == doctest::Approx(40.0));

    CHECK(data.has_rejection_log);
    REQUIRE(data.rejected_networks.size() == 2);  // each id once; the torn line is not a record
    CHECK(data.rejected_networks[0].id == "r1");
    CHECK(data.rejected_networks[0].costs.at("STM32F746").ram_bytes == doctest::Approx(33100.0));
    CHECK(contains(data.rejected_networks[0].reason, "over the budget"));

    // A run of an older version: none of these fields; nothing to draw, nothing thrown.
    const std::string old = dir.file("old");
    fs::create_directories(old);
    write_text(old + "/history.jsonl", "{\"index\": 0, \"id\": \"aaaa\", \"val_accuracy_int8\": 0.5, "
                                       "\"finished_at\": \"not a time\", \"proposals_so_far\": {\"accepted\": 1}}\n");
    const ReportData old_data = load_report_data(old);
    REQUIRE(old_data.trials.size() == 1);
    CHECK(!old_data.trials[0].finished_at.has_value());
    CHECK(!old_data.trials[0].proposals.has_value());
    CHECK(!elapsed_seconds(old_data)[0].has_value());
    CHECK(best_fitting_so_far(old_data, target, elapsed_seconds(old_data)).empty());
    CHECK(feasible_share_series(old_data).empty());
    CHECK(!old_data.has_rejection_log);
    CHECK(old_data.rejected_networks.empty());
  }

  TEST_CASE("rejected.jsonl keeps at most RejectionLog::kMaxLines, counting a resumed run's lines") {
    TempDir dir("rejection-log");
    const std::string path = dir.file("rejected.jsonl");
    std::string lines;
    for (int i = 0; i + 1 < RejectionLog::kMaxLines; ++i) lines += rejection_line("r" + std::to_string(i), 40000);
    write_text(path, lines + "{\"id\": \"cut sh");  // a kill during the last append
    RejectionLog log(path);
    const std::vector<TargetCost> no_costs;
    log.add({0, 1}, "first", no_costs, "too slow", 3);
    log.add({0, 1}, "first", no_costs, "too slow", 3);  // the same network again: logged once
    log.add({1, 1}, "second", no_costs, "too slow", 4);  // the file is full
    const auto records = read_history(path);
    REQUIRE(records.size() == size_t(RejectionLog::kMaxLines));
    CHECK(records.back()["id"] == "first");
    CHECK(records.back()["reason"] == "too slow");
    CHECK(records.back()["proposing"] == 3);
  }
}

}  // namespace hwnas::test
