// This file implements the tests of report.html (search/run_report.hpp, `nas-run report`):
// a tiny real search and its report, rendered in headless Chromium (Debian's chromium);
// a search whose rejected networks are drawn; a synthetic 500-candidate history with a
// full rejected.jsonl for size and speed; run directories with fields missing; bad input.
// The SVG module's ticks are checked directly; the progress series in report_series_test.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "search/history.hpp"
#include "search/rejection_log.hpp"
#include "search/report_data.hpp"
#include "search/report_hypervolume.hpp"
#include "search/report_svg.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char* const kSections[] = {"id=\"overview\"", "id=\"fronts\"", "id=\"progress\"", "id=\"trials\"",
                                 "id=\"models\""};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

// Every <svg class="plot"> element of a page.
std::vector<std::string> plots_of(const std::string& html) {
  std::vector<std::string> plots;
  for (size_t at = html.find("<svg xmlns"); at != std::string::npos; at = html.find("<svg xmlns", at + 1)) {
    const size_t end = html.find("</svg>", at);
    REQUIRE(end != std::string::npos);
    plots.push_back(html.substr(at, end - at));
  }
  return plots;
}

// Debian's chromium, or "" when it is not installed.
std::string chromium() {
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(path)) return path;
  return "";
}

// Headless Chromium on `html`: with `screenshot` a PNG of the page, else its DOM after
// the scripts ran (--dump-dom). No network: the flags stop its background requests.
CommandResult render(const TempDir& dir, const std::string& html, const std::string& screenshot = "") {
  const std::string browser = chromium();
  if (browser.empty())
    FAIL("Debian's chromium is not installed: run `bash scripts/install-deps.sh test` (the report tests render "
         "report.html in headless Chromium)");
  const std::string flags =
      "--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
      "--no-first-run --disable-sync --disable-default-apps --user-data-dir='" + dir.file("chromium-profile") + "' ";
  const std::string url = "'file://" + fs::absolute(html).string() + "'";
  const std::string what = screenshot.empty() ? "--dump-dom " : "--screenshot='" + screenshot + "' --window-size=1280,4000 ";
  // stderr (DBus and GPU chatter) goes to a file: --dump-dom's stdout must stay the DOM.
  return run_command("timeout 60 '" + browser + "' " + flags + what + url + " 2>'" + dir.file("chromium.log") + "'");
}

void check_sections(const std::string& html) {
  for (const char* section : kSections) CHECK_MESSAGE(contains(html, section), section);
}

nlohmann::json tiny_config(const std::string& out_dir, const std::string& baseline) {
  nlohmann::json c = nlohmann::json::parse(R"({
    "dataset": {"format": "synthetic", "shape": [12, 12, 1], "classes": 3, "train_size": 240, "test_size": 60},
    "space": {"name": "tiny", "stages": [
      {"block": "conv", "depth": {"min": 1, "max": 2}, "filters": {"choice": [4, 8]}, "kernel": {"choice": [3, 5]},
       "stride": {"choice": [1, 2]}},
      {"block": "global_pool"},
      {"block": "dense", "depth": {"min": 0, "max": 1}, "units": 8},
      {"block": "classifier"}]},
    "targets": [{"mcu": "STM32F746", "max_ram_kb": 64}, {"mcu": "RP2040", "max_ram_kb": 16}],
    "search": {"evaluations": 4, "seed": 11, "max_final": 2},
    "training": {"epochs": 1, "batch_size": 32}
  })");
  c["output"] = {{"dir", out_dir}};
  if (!baseline.empty()) c["search"]["initial_architectures"] = {baseline};
  return c;
}

// A 16-hex-digit identity like architecture_identity's.
std::string fmt_id(int i) {
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(0x9e3779b97f4a7c15ULL * uint64_t(i + 1)));
  return id;
}

// One history.jsonl line as history.cpp writes it (candidate_record), for two targets.
nlohmann::json synthetic_record(int i) {
  const double accuracy = 0.5 + 0.4 * double((i * 37) % 100) / 100.0;
  const double ram = 8000.0 + double((i * 53) % 97) * 400.0, flash = 30000.0 + double((i * 29) % 89) * 900.0;
  const double latency = 2.0 + double((i * 71) % 83) * 0.7;
  nlohmann::json costs;
  for (const char* mcu : {"STM32F746", "nRF52840"})
    costs[mcu] = {{"runtime", "tflm-cmsis-nn"}, {"flash_bytes", flash}, {"model_bytes", flash - 25000},
                  {"ram_bytes", ram}, {"latency_ms", latency}, {"energy_uj", latency * 300},
                  {"fits", ram < 32000}};
  return {{"index", i}, {"id", fmt_id(i)}, {"genome", {i % 3, i % 5}}, {"seed", 1000 + i}, {"params", 1000 + 13 * i},
          {"macs", 100000 + 977 * i}, {"layers", 9}, {"costs", costs}, {"rung", i < 480 ? 0 : 1},
          {"stage", i < 480 ? "search" : "final"}, {"fidelity", {{"epochs", i < 480 ? 1 : 6}, {"train_samples", 4000}}},
          {"status", "ok"}, {"train_loss", 0.5}, {"train_accuracy", accuracy}, {"val_accuracy", accuracy + 0.01},
          {"test_accuracy", accuracy}, {"train_seconds", 0.6}, {"images_per_second", 9000.0},
          {"val_accuracy_int8", accuracy}, {"test_accuracy_int8", accuracy - 0.01},
          {"finished_at", history_timestamp(std::chrono::system_clock::time_point(std::chrono::seconds(1796685154 + 7 * i)))},
          {"proposals_so_far", {{"accepted", i + 1}, {"rejected", 3 * i}, {"duplicates", i / 10}}}};
}

// One rejected.jsonl line as RejectionLog writes it.
nlohmann::json synthetic_rejection(int i) {
  nlohmann::json costs;
  for (const char* mcu : {"STM32F746", "nRF52840"})
    costs[mcu] = {{"runtime", "tflm-cmsis-nn"}, {"flash_bytes", 300000.0 + 50.0 * i}, {"model_bytes", 275000.0},
                  {"ram_bytes", 33000.0 + 100.0 * (i % 500)}, {"latency_ms", 20.0 + 0.01 * i}, {"energy_uj", nullptr},
                  {"fits", false}};
  return {{"id", "r" + fmt_id(i)}, {"genome", {i % 3, i % 5}}, {"costs", costs}, {"proposing", i / 4},
          {"reason", "STM32F746: peak RAM 32.2 KB over the budget of 28.8 KB"}};
}

}  // namespace

TEST_SUITE("report") {
  TEST_CASE("nice ticks cover the span with round steps") {
    const auto ticks = nice_ticks({0.3, 9.7}, 5);
    REQUIRE(ticks.size() >= 2);
    CHECK(ticks.front() <= 0.3);
    CHECK(ticks.back() >= 9.7);
    CHECK(ticks[1] - ticks[0] == doctest::Approx(2.0));
    CHECK(Span::of({}).hi > Span::of({}).lo);
    CHECK(Span::of({5.0}).lo < 5.0);  // one value still gets a span around it
    CHECK(short_number(15300) == "15.3k");
    CHECK(short_number(1840) == "1840");
    CHECK(escape_html("<a&\"'>") == "&lt;a&amp;&quot;&#39;&gt;");
  }

  TEST_CASE("a tiny search writes report.html, nas-run report rewrites it and Chromium renders every section") {
    TempDir dir("report");
    // A baseline: a member of the space, sampled by nas-run space.
    write_text(dir.file("config.json"), tiny_config(dir.file("run"), "").dump(2));
    CommandResult sample = run_nas_run("space '" + dir.file("config.json") + "' --stats-samples 0 --sample 1 --out '" +
                                       dir.file("samples") + "' --log-level warn");
    INFO(sample.output);
    REQUIRE(sample.exit_code == 0);
    std::string baseline;
    for (const auto& e : fs::directory_iterator(dir.path() / "samples"))
      if (e.is_directory()) baseline = (e.path() / "arch.json").string();
    REQUIRE(!baseline.empty());
    write_text(dir.file("config.json"), tiny_config(dir.file("run"), baseline).dump(2));
    const auto search_start = Clock::now();
    const CommandResult run = run_nas_run("'" + dir.file("config.json") + "' --log-level warn --threads 2");
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    MESSAGE("tiny search: " << seconds_since(search_start) << " s");
    const std::string written_by_run = read_text(dir.file("run/report.html"));
    check_sections(written_by_run);

    const auto report_start = Clock::now();
    const CommandResult report = run_nas_run("report '" + dir.file("run") + "'");
    INFO(report.output);
    REQUIRE(report.exit_code == 0);
    MESSAGE("nas-run report: " << seconds_since(report_start) << " s");
    CHECK(contains(report.output, "report.html"));
    const std::string html = read_text(dir.file("run/report.html"));
    check_sections(html);
    // Self-contained: nothing loaded or linked from the network (xmlns is a name, not a load).
    CHECK(!std::regex_search(html, std::regex(R"((src|href)=["']?(https?:|//))")));
    CHECK(contains(html, "(baseline)"));
    CHECK(contains(html, "class=\"pp\""));  // Pareto points
    CHECK(contains(html, "class=\"budget\""));
    CHECK(contains(html, "<title>"));
    CHECK(contains(html, "href=\"#trial-1\""));
    CHECK(contains(html, "id=\"trial-1\""));
    CHECK(contains(html, "class=\"buf\""));  // an arena timeline
    CHECK(contains(html, "export/"));        // links to exported files
    // Each target: three plots with points; progress against evaluations and against wall
    // time, the feasible share, the hypervolume; one arena plan per model and target.
    const auto plots = plots_of(html);
    CHECK(plots.size() >= 2 * 3 + 4 + 2);
    for (const char* progress : {"against evaluations\"", "against wall time\"", "feasible share of the proposals",
                                 "hypervolume of the feasible"}) {
      const auto plot = std::find_if(plots.begin(), plots.end(), [&](const std::string& p) { return contains(p, progress); });
      REQUIRE_MESSAGE(plot != plots.end(), progress);
      CHECK_MESSAGE(count_of(*plot, "<circle") >= 4, progress);  // a point per evaluation (or sample)
    }
    // Every history line says when it finished and, in the search, what the proposals were so far.
    const auto history = read_history(dir.file("run/history.jsonl"));
    for (const auto& record : history) {
      CHECK(parse_history_timestamp(record.value("finished_at", "")).has_value());
      CHECK(record.contains("proposals_so_far") == (record["stage"] == "search"));
    }
    // The RP2040's 16 KB reject some networks: they are logged and drawn below the plots.
    const nlohmann::json checkpoint = nlohmann::json::parse(read_text(dir.file("run/checkpoint.json")));
    if (checkpoint["source"]["rejected"].get<int>() > 0) {
      CHECK(!read_history(dir.file("run/rejected.jsonl")).empty());
      CHECK(contains(html, "class=\"pr\""));
    } else {
      MESSAGE("no network was rejected before training in this run");
    }
    for (const std::string& plot : plots) {
      INFO(plot.substr(0, 300));
      CHECK((contains(plot, "<circle") || contains(plot, "class=\"buf")));
    }

    // --out elsewhere: links still lead into the run directory.
    REQUIRE(run_nas_run("report '" + dir.file("run") + "' --out '" + dir.file("elsewhere.html") + "'").exit_code == 0);
    CHECK(contains(read_text(dir.file("elsewhere.html")), "href=\"run/export/"));

    const auto render_start = Clock::now();
    const CommandResult dom = render(dir, dir.file("run/report.html"));
    MESSAGE("chromium --dump-dom: " << seconds_since(render_start) << " s");
    INFO(read_text(dir.file("chromium.log")));
    REQUIRE(dom.exit_code == 0);
    check_sections(dom.output);
    CHECK(count_of(dom.output, "<svg") >= plots.size());
    CHECK(count_of(dom.output, "<circle") > 0);
    const std::string png = dir.file("report.png");
    const CommandResult shot = render(dir, dir.file("run/report.html"), png);
    REQUIRE(shot.exit_code == 0);
    REQUIRE(fs::exists(png));
    CHECK(fs::file_size(png) > 10000);
    // HWNAS_REPORT_SCREENSHOT=path keeps the screenshot (for the README).
    if (const char* keep = std::getenv("HWNAS_REPORT_SCREENSHOT")) fs::copy_file(png, keep, fs::copy_options::overwrite_existing);
  }

  TEST_CASE("networks rejected before training go to rejected.jsonl and are drawn below the front plots") {
    TempDir dir("report-rejected");
    nlohmann::json config = tiny_config(dir.file("run"), "");
    config["targets"][1]["max_latency_ms"] = 3;  // the RP2040 rejects the slower half of the space
    write_text(dir.file("config.json"), config.dump(2));
    const CommandResult run = run_nas_run("'" + dir.file("config.json") + "' --log-level warn --threads 2");
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    const nlohmann::json checkpoint = nlohmann::json::parse(read_text(dir.file("run/checkpoint.json")));
    const auto rejected = read_history(dir.file("run/rejected.jsonl"));
    REQUIRE(!rejected.empty());
    CHECK(int64_t(rejected.size()) <= checkpoint["source"]["rejected"].get<int64_t>());
    std::set<std::string> ids;
    for (const auto& r : rejected) {
      CHECK(ids.insert(r["id"].get<std::string>()).second);  // each once
      CHECK(r["genome"].is_array());
      CHECK(r["costs"]["RP2040"]["fits"] == false);
      CHECK(r["costs"]["RP2040"]["latency_ms"].get<double>() > 3 * 0.9);
      CHECK(contains(r["reason"].get<std::string>(), "RP2040: latency"));
    }
    const std::string html = read_text(dir.file("run/report.html"));
    CHECK(count_of(html, "class=\"pr\"") > rejected.size());  // on every plot with a latency, RAM and flash axis
    CHECK(contains(html, "rejected before training: " + rejected[0]["id"].get<std::string>()));
  }

  TEST_CASE("the hypervolume curve is the hypervolume of the feasible evaluations so far") {
    ReportData data;
    ReportTarget target;
    target.mcu = "B";
    target.max_latency_ms = 10, target.max_ram_bytes = 100, target.max_flash_bytes = 1000;
    data.targets = {target};
    const auto trial = [](int row, double accuracy, bool fits) {
      Trial t;
      t.row = row, t.status = "ok", t.val_int8 = accuracy;
      t.costs["B"] = TrialCost{50.0, 500.0, 5.0, std::nullopt, std::nullopt, std::nullopt, fits};
      return t;
    };
    // Half of every budget: 1 - accuracy times 0.5^3 once feasible; a better accuracy grows it.
    data.trials = {trial(1, 0.5, true), trial(2, 0.9, false), trial(3, 0.75, true)};
    const auto curve = hypervolume_curve(data, data.targets[0]);
    REQUIRE(curve.size() == 3);
    CHECK(curve[0].second == doctest::Approx(0.5 * 0.125));
    CHECK(curve[1].second == doctest::Approx(0.5 * 0.125));  // the infeasible one adds nothing
    CHECK(curve[2].second == doctest::Approx(0.75 * 0.125));
    CHECK(curve[2].first == 3);
  }

  TEST_CASE("a 500-candidate history gives a report under 2 MB, generated and rendered in seconds") {
    TempDir dir("report-500");
    const std::string run = dir.file("run");
    fs::create_directories(run);
    std::string history;
    for (int i = 0; i < 500; ++i) history += synthetic_record(i).dump() + "\n";
    write_text(run + "/history.jsonl", history);
    nlohmann::json front = nlohmann::json::array();
    for (int i : {480, 485, 490, 495}) front.push_back({{"id", fmt_id(i)}, {"val_accuracy_int8", synthetic_record(i)["val_accuracy_int8"]}});
    nlohmann::json targets = nlohmann::json::array();
    for (const char* mcu : {"STM32F746", "nRF52840"})
      targets.push_back({{"mcu", mcu}, {"runtime", "tflm-cmsis-nn"},
                         {"budgets", {{"max_ram_kb", 32}, {"max_flash_kb", 256}, {"max_latency_ms", 0}, {"safety_margin", 0.1}}},
                         {"front", front}});
    write_text(run + "/pareto.json", nlohmann::json{{"targets", targets}}.dump());
    write_text(run + "/run.log", "[info] initial network " + fmt_id(0) + ": base.json (1000 parameters, 1 MACs)\n");
    // As many rejected networks as a run logs at most.
    std::string rejections;
    for (int i = 0; i < RejectionLog::kMaxLines; ++i) rejections += synthetic_rejection(i).dump() + "\n";
    write_text(run + "/rejected.jsonl", rejections);

    const auto start = Clock::now();
    const CommandResult r = run_nas_run("report '" + run + "'");
    const double generate = seconds_since(start);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const auto size = fs::file_size(run + "/report.html");
    const auto render_start = Clock::now();
    const CommandResult dom = render(dir, run + "/report.html");
    const double rendered = seconds_since(render_start);
    MESSAGE("500 candidates: report " << size << " bytes, generated in " << generate << " s, rendered by Chromium in "
                                      << rendered << " s");
    CHECK(size < 2u * 1024 * 1024);
    CHECK(generate < 5.0);
    CHECK(rendered < 10.0);  // loose: Chromium's own start-up on a busy 2-core machine
    REQUIRE(dom.exit_code == 0);
    check_sections(dom.output);
    CHECK(count_of(dom.output, "id=\"trial-") == 500);
    CHECK(count_of(dom.output, "class=\"pr\"") > 500);
    CHECK(contains(dom.output, "against wall time"));
    CHECK(contains(dom.output, "(baseline)"));
  }

  TEST_CASE("a run directory with fields missing still renders and shows them as missing") {
    TempDir dir("report-missing");
    const std::string run = dir.file("run");
    fs::create_directories(run);
    // A live run's first moment: only config.json.
    write_text(run + "/config.json", R"({"targets": [{"mcu": "STM32F746"}], "search": {"evaluations": 3}})");
    CommandResult r = run_nas_run("report '" + run + "'");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    check_sections(read_text(run + "/report.html"));
    // An older or damaged history: records without costs, fidelity or accuracies, a
    // string where a number belongs, and a last line cut short by a kill.
    write_text(run + "/history.jsonl",
               "{\"index\": 0, \"id\": \"aaaa\"}\n"
               "{\"index\": 1, \"id\": \"bbbb\", \"status\": \"ok\", \"val_accuracy_int8\": 0.7, \"params\": \"many\","
               " \"costs\": {\"STM32F746\": {\"ram_bytes\": 1000}}}\n"
               "{\"index\": 2, \"costs\": {\"OtherBoard\": {\"latency_ms\": 3, \"fits\": true}}, \"val_accuracy_int8\": 0.5}\n"
               "{\"index\": 3, \"id\": \"cc");
    write_text(run + "/pareto.json", R"({"targets": [{"mcu": "STM32F746", "front": [{"id": "bbbb"}, {"nothing": 1}]}]})");
    write_text(run + "/summary.json", "{not json");
    r = run_nas_run("report '" + run + "'");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const std::string html = read_text(run + "/report.html");
    check_sections(html);
    CHECK(count_of(html, "id=\"trial-") == 3);
    CHECK(contains(html, "OtherBoard"));
    CHECK(contains(html, "<td>-</td>"));
    CHECK(contains(html, "summary.json could not be read"));
    CHECK(contains(html, "cost_report.json: per-layer costs are missing"));
    // No finish times, proposal counts or rejected.jsonl (a run of an older version).
    CHECK(contains(html, "Against wall time: - (no history line records when it finished"));
    CHECK(contains(html, "Feasible share over the search: - "));
    CHECK(contains(html, "has no rejected.jsonl"));
  }

  TEST_CASE("nas-run report on bad input: one line, exit 2") {
    TempDir dir("report-bad");
    const auto one_line_error = [](const CommandResult& r, const std::string& part) {
      INFO(r.output);
      CHECK(r.exit_code == 2);
      CHECK(contains(r.output, part));
      CHECK(count_of(r.output, "\n") == 1);
    };
    one_line_error(run_nas_run("report '" + dir.file("nope") + "'"), "nope: not a run directory");
    fs::create_directories(dir.file("empty"));
    one_line_error(run_nas_run("report '" + dir.file("empty") + "'"), "neither history.jsonl nor config.json");
    fs::create_directories(dir.file("run"));
    write_text(dir.file("run/history.jsonl"), "");
    one_line_error(run_nas_run("report '" + dir.file("run") + "' --out '" + dir.file("no/such/folder/r.html") + "'"),
                   "cannot write the report");
  }
}

}  // namespace hwnas::test
