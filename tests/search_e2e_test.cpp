// This file implements end-to-end tests of `nas-run CONFIG`: the run directory it writes,
// determinism across thread counts, a real (tiny) Fashion-MNIST run, and CLI conventions.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "space/arch_json.hpp"
#include "tests/test_support.hpp"
#include "trainers/training/model_weights.hpp"

namespace hwnas::test {

namespace {

nlohmann::json tiny_config(const std::string& out_dir) {
  nlohmann::json c = nlohmann::json::parse(R"({
    "dataset": {"format": "synthetic", "shape": [12, 12, 1], "classes": 3, "train_size": 240, "test_size": 60},
    "space": {"name": "tiny", "stages": [
      {"block": "conv", "depth": {"min": 1, "max": 2}, "filters": {"choice": [4, 8]}, "kernel": {"choice": [3, 5]},
       "stride": {"choice": [1, 2]}},
      {"block": "global_pool"},
      {"block": "dense", "depth": {"min": 0, "max": 1}, "units": 8},
      {"block": "classifier"}]},
    "targets": [{"mcu": "STM32F746"}, {"mcu": "RP2040", "max_ram_kb": 16}],
    "search": {"evaluations": 4, "seed": 11},
    "training": {"epochs": 1, "batch_size": 32}
  })");
  c["output"] = {{"dir", out_dir}};
  return c;
}

std::vector<nlohmann::json> read_history(const std::string& run_dir) {
  std::istringstream in(read_text(run_dir + "/history.jsonl"));
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// History keyed by candidate index, without the fields that measure time.
std::map<int, nlohmann::json> comparable(const std::vector<nlohmann::json>& history) {
  std::map<int, nlohmann::json> out;
  for (auto record : history) {
    record.erase("train_seconds");
    record.erase("images_per_second");
    record.erase("int8_seconds");
    record.erase("qat_seconds");
    record.erase("finished_at");
    out[record["index"].get<int>()] = record;
  }
  return out;
}

CommandResult run_config(const TempDir& dir, const nlohmann::json& config, const std::string& extra = "") {
  write_text(dir.file("config.json"), config.dump(2));
  return run_nas_run("'" + dir.file("config.json") + "' --log-level warn " + extra);
}


/// A .npy file (format 1.0) of `shape` with little-endian `data` of dtype `descr`.
std::string npy_bytes(const std::string& descr, const std::vector<size_t>& shape, const std::string& data) {
  std::string dims;
  for (size_t d : shape) dims += std::to_string(d) + ",";
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  while ((10 + dict.size() + 1) % 64 != 0) dict += ' ';
  dict += '\n';
  return std::string("\x93NUMPY\x01\x00", 8) + char(dict.size() & 0xFF) + char(dict.size() >> 8) + dict + data;
}

/// Three learnable classes: each sample's level (and so its mean) depends on its class.
/// Writes <prefix>_x.npy (N x 8 x 8 uint8) and <prefix>_y.npy (N int64), and <prefix>.csv
/// (a label column, then 16 steps x 3 channels of a sensor window).
void write_tiny_files(const TempDir& dir, const std::string& prefix, size_t n) {
  std::string x, y, csv = "label";
  for (int f = 0; f < 48; ++f) csv += ",s" + std::to_string(f);
  csv += "\n";
  uint32_t state = uint32_t(n);
  auto noise = [&state] { return int((state = state * 1664525u + 1013904223u) >> 27); };  // 0..31
  for (size_t i = 0; i < n; ++i) {
    const int label = int(i % 3);
    for (int p = 0; p < 64; ++p) x += char(uint8_t(40 + 70 * label + noise()));
    for (int b = 0; b < 8; ++b) y += char(b == 0 ? label : 0);
    csv += std::to_string(label);
    for (int f = 0; f < 48; ++f) csv += "," + std::to_string((f % 3 == label ? 1.0 : 0.0) + noise() / 32.0);
    csv += "\n";
  }
  write_text(dir.file(prefix + "_x.npy"), npy_bytes("|u1", {n, 8, 8}, x));
  write_text(dir.file(prefix + "_y.npy"), npy_bytes("<i8", {n}, y));
  write_text(dir.file(prefix + ".csv"), csv);
}

/// Runs a 2-candidate search on the tiny files of write_tiny_files with `dataset` as the
/// config's dataset section; checks every candidate learned, returns summary.json.
nlohmann::json run_on_tiny_files(const nlohmann::json& dataset) {
  TempDir dir("e2e");
  write_tiny_files(dir, "train", 180);
  write_tiny_files(dir, "test", 60);
  nlohmann::json c = tiny_config(dir.file("run"));
  c["dataset"] = dataset;
  c["search"]["evaluations"] = 2;
  c["training"]["epochs"] = 3;
  const CommandResult r = run_config(dir, c);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto history = read_history(dir.file("run"));
  REQUIRE(history.size() == 2);
  for (const auto& h : history) {
    CHECK(h["status"] == "ok");
    CHECK(h["val_accuracy"].get<double>() > 0.6);  // 3 separable classes: chance is 1/3
  }
  return nlohmann::json::parse(read_text(dir.file("run") + "/summary.json"));
}

}  // namespace

TEST_SUITE("search_e2e") {
  TEST_CASE("a run writes history.jsonl, summary.json, run.log and the candidates' arch.json") {
    TempDir dir("e2e");
    const std::string run = dir.file("run");
    const CommandResult r = run_config(dir, tiny_config(run));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const auto history = read_history(run);
    REQUIRE(history.size() == 4);
    for (const auto& h : history) {
      CHECK(h["status"] == "ok");
      CHECK(h["val_accuracy"].get<double>() >= 0.0);
      CHECK(h["costs"].contains("STM32F746"));
      // Rejected before training unless the estimator says it fits (planned RAM, not a bound).
      CHECK(h["costs"]["RP2040"]["ram_bytes"].get<int64_t>() <= int64_t(0.9 * 16 * 1024));
      CHECK(h["costs"]["RP2040"]["runtime"] == "tflm-cmsis-nn");
      CHECK(h["costs"]["RP2040"]["latency_ms"].get<double>() > 0);
      // Every trained candidate is also scored as the int8 network the board would run.
      CHECK(h["val_accuracy_int8"].get<double>() >= 0.0);
      CHECK(h["test_accuracy_int8"].get<double>() >= 0.0);
      CHECK(h["int8_agreement"].get<double>() > 0.5);
      const std::string model_dir = run + "/models/" + h["id"].get<std::string>();
      CHECK(std::filesystem::exists(model_dir + "/arch.json"));
      // The trained weights load back for the network they belong to.
      const TrainedModel weights = load_model_weights(model_dir, load_architecture(model_dir + "/arch.json"));
      // (params counts batch norm as Keras does: gamma, beta and the two moving statistics)
      CHECK(weights.parameters.size() + weights.state.size() == h["params"].get<int64_t>());
      // The cost report keeps the schedule and buffer plan per target, for the exporter.
      const auto report = nlohmann::json::parse(read_text(run + "/models/" + h["id"].get<std::string>() + "/cost_report.json"));
      REQUIRE(report["targets"].size() == 2);
      CHECK(report["targets"][1]["mcu"] == "RP2040");
      CHECK(report["targets"][1]["ram"]["total_bytes"] == h["costs"]["RP2040"]["ram_bytes"]);
      CHECK(report["targets"][1]["buffers"].size() >= report["targets"][1]["schedule"].size());
    }
    const auto summary = nlohmann::json::parse(read_text(run + "/summary.json"));
    CHECK(summary["evaluated"] == 4);
    CHECK(summary["ranking"].size() == 4);
    CHECK(summary["pareto"]["RP2040"].size() >= 1);
    CHECK(summary["dataset"]["train"].get<int>() + summary["dataset"]["validation"].get<int>() == 240);
    CHECK(read_text(run + "/run.log").find("[4/4]") != std::string::npos);
    CHECK(read_text(run + "/run.log").find("rejected before training") != std::string::npos);
    CHECK(nlohmann::json::parse(read_text(run + "/config.json")) == tiny_config(run));
    // The space travels with the run: a space file edited later cannot change it.
    CHECK(nlohmann::json::parse(read_text(run + "/space.json")) == tiny_config(run)["space"]);
  }

  TEST_CASE("search.min_budget_use rejects networks that leave a budget mostly unused") {
    TempDir dir("e2e");
    // The share of the STM32F746's latency budget (1 ms, less the 10% margin) a record uses.
    const auto use = [](const nlohmann::json& h) { return h["costs"]["STM32F746"]["latency_ms"].get<double>() / 0.9; };
    const auto run_with = [&](const std::string& name, double floor) {
      nlohmann::json c = tiny_config(dir.file(name));
      c["targets"][0]["max_latency_ms"] = 1;
      c["search"]["evaluations"] = 12;
      if (floor > 0) c["search"]["min_budget_use"] = {{"latency", floor}};
      const CommandResult r = run_config(dir, c);
      INFO(r.output);
      REQUIRE(r.exit_code == 0);
      return read_history(dir.file(name));
    };
    const auto free_run = run_with("free", 0);
    REQUIRE(free_run.size() == 12);
    // Without the floor, uniform samples of this space use 15-96% of the latency budget.
    CHECK(std::count_if(free_run.begin(), free_run.end(), [&](const auto& h) { return use(h) < 0.6; }) >= 3);
    const auto floored = run_with("floored", 0.6);
    REQUIRE(floored.size() == 12);
    for (const auto& h : floored) CHECK(use(h) >= 0.6);
    CHECK(read_text(dir.file("floored") + "/run.log").find("less than 60% of the latency budget") != std::string::npos);
  }

  TEST_CASE("a space that chooses the input resolution trains each candidate on resized data") {
    TempDir dir("e2e");
    const std::string run = dir.file("run");
    nlohmann::json c = tiny_config(run);
    c["space"]["input"] = {{"resolution", {{"choice", {8, 12, 16}}}}};
    c["search"]["evaluations"] = 6;
    const CommandResult r = run_config(dir, c);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    std::set<int> heights;
    for (const auto& h : read_history(run)) {
      CHECK(h["status"] == "ok");
      const auto arch = nlohmann::json::parse(read_text(run + "/models/" + h["id"].get<std::string>() + "/arch.json"));
      heights.insert(arch["input"]["shape"][0].get<int>());
      CHECK(arch["input"]["shape"][2] == 1);  // channels always come from the data
    }
    CHECK(heights.size() >= 2);
    CHECK(read_text(run + "/run.log").find("resizing the data from 12x12") != std::string::npos);
  }

  TEST_CASE("same seed gives the same history with 1 and 2 threads, and another seed differs") {
    TempDir dir("e2e");
    REQUIRE(run_config(dir, tiny_config(dir.file("t1")), "--threads 1").exit_code == 0);
    REQUIRE(run_config(dir, tiny_config(dir.file("t2")), "--threads 2").exit_code == 0);
    REQUIRE(run_config(dir, tiny_config(dir.file("s2")), "--threads 2 --seed 12").exit_code == 0);
    const auto one = comparable(read_history(dir.file("t1")));
    const auto two = comparable(read_history(dir.file("t2")));
    const auto other = comparable(read_history(dir.file("s2")));
    CHECK(one == two);
    CHECK(one != other);
  }

  TEST_CASE("a real Fashion-MNIST run on a few hundred images") {
    TempDir dir("e2e");
    nlohmann::json c = tiny_config(dir.file("run"));
    c["dataset"] = {{"format", "idx"},
                    {"train_images", "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"},
                    {"train_labels", "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"},
                    {"test_images", "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"},
                    {"test_labels", "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"},
                    {"train_limit", 1000},
                    {"test_limit", 200}};
    c["search"]["evaluations"] = 2;
    c["training"]["epochs"] = 3;
    const CommandResult r = run_config(dir, c);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const auto history = read_history(dir.file("run"));
    REQUIRE(history.size() == 2);
    for (const auto& h : history) {
      CHECK(h["status"] == "ok");
      CHECK(h["val_accuracy"].get<double>() > 0.2);  // 10 classes: chance is 0.1
      CHECK(h["test_accuracy"].get<double>() > 0.2);
    }
    const auto summary = nlohmann::json::parse(read_text(dir.file("run") + "/summary.json"));
    CHECK(summary["dataset"]["shape"] == nlohmann::json::array({28, 28, 1}));
    CHECK(summary["dataset"]["classes"] == 10);
    CHECK(summary["dataset"]["test"] == 200);
  }

  TEST_CASE("an existing run directory is never overwritten") {
    TempDir dir("e2e");
    const std::string run = dir.file("run");
    nlohmann::json c = tiny_config(run);
    c["search"]["evaluations"] = 1;
    REQUIRE(run_config(dir, c).exit_code == 0);
    const std::string first = read_text(run + "/history.jsonl");
    // Same output.dir again: the run goes to run-2.
    REQUIRE(run_config(dir, c).exit_code == 0);
    CHECK(std::filesystem::exists(run + "-2/history.jsonl"));
    CHECK(read_text(run + "/history.jsonl") == first);
    // An explicit --out that is not empty is refused.
    const CommandResult r = run_config(dir, c, "--out '" + run + "'");
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("exists and is not empty") != std::string::npos);
    CHECK(read_text(run + "/history.jsonl") == first);
  }

  TEST_CASE("a truncated IDX file is one clear error with exit code 2, not a crash") {
    TempDir dir("e2e");
    // IDX header of 60,000 images of 28x28 uint8 (as many as the labels, which are checked
    // first), followed by only 50 data bytes.
    std::string idx("\x00\x00\x08\x03\x00\x00\xea\x60\x00\x00\x00\x1c\x00\x00\x00\x1c", 16);
    idx += std::string(50, '\x07');
    write_text(dir.file("images.idx"), idx);
    nlohmann::json c = tiny_config(dir.file("run"));
    const std::string fm = "/usr/share/datasets/fashion-mnist/";
    c["dataset"] = {{"format", "idx"}, {"train_images", dir.file("images.idx")},
                    {"train_labels", fm + "train-labels-idx1-ubyte.gz"},
                    {"test_images", fm + "t10k-images-idx3-ubyte.gz"},
                    {"test_labels", fm + "t10k-labels-idx1-ubyte.gz"}};
    const CommandResult r = run_config(dir, c);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(dir.file("images.idx") + ": truncated") != std::string::npos);
  }

  TEST_CASE("a run on a tiny NumPy .npy dataset") {
    const auto summary = run_on_tiny_files(
        {{"format", "npy"}, {"train_images", "train_x.npy"}, {"train_labels", "train_y.npy"},
         {"test_images", "test_x.npy"}, {"test_labels", "test_y.npy"}, {"train_limit", 150}});
    CHECK(summary["dataset"]["shape"] == nlohmann::json::array({8, 8, 1}));
    CHECK(summary["dataset"]["classes"] == 3);
    CHECK(summary["dataset"]["train"].get<int>() + summary["dataset"]["validation"].get<int>() == 150);
    CHECK(summary["dataset"]["test"] == 60);
  }

  TEST_CASE("a run on a tiny CSV dataset of sensor windows") {
    const auto summary = run_on_tiny_files(
        {{"format", "csv"}, {"train", "train.csv"}, {"test", "test.csv"}, {"label_column", "label"}, {"shape", {16, 1, 3}}});
    CHECK(summary["dataset"]["shape"] == nlohmann::json::array({16, 1, 3}));
    CHECK(summary["dataset"]["classes"] == 3);
    CHECK(summary["dataset"]["test"] == 60);
  }

  TEST_CASE("a NaN in a CSV file and a truncated .npy file are one-line errors with exit code 2") {
    TempDir dir("e2e");
    write_tiny_files(dir, "train", 30);
    write_text(dir.file("nan.csv"), "a,b,label\n1,2,0\n1,nan,1\n");
    nlohmann::json c = tiny_config(dir.file("run"));
    c["dataset"] = {{"format", "csv"}, {"train", "train.csv"}, {"test", "nan.csv"}, {"label_column", "label"}};
    CommandResult r = run_config(dir, c);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, dir.file("nan.csv") + ": line 3, column 2 (\"b\"): expected a finite number, found \"nan\""));
    const std::string npy = read_text(dir.file("train_x.npy"));
    write_text(dir.file("cut_x.npy"), npy.substr(0, npy.size() - 5));
    c["dataset"] = {{"format", "npy"}, {"train_images", "cut_x.npy"}, {"train_labels", "train_y.npy"},
                    {"test_images", "train_x.npy"}, {"test_labels", "train_y.npy"}};
    r = run_config(dir, c);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, dir.file("cut_x.npy") + ": truncated: header promises 1920 data bytes"));
  }

  TEST_CASE("CLI conventions: --help, --version, bad options and files exit with 2") {
    CHECK(run_nas_run("--help").exit_code == 0);
    CHECK(run_nas_run("search --help").output.find("--seed") != std::string::npos);
    const CommandResult v = run_nas_run("--version");
    CHECK(v.exit_code == 0);
    CHECK(v.output.find("nas-run (hwnas) ") == 0);
    CHECK(run_nas_run("--no-such-option x.json").exit_code == 2);
    CHECK(run_nas_run("/nonexistent/config.json").exit_code == 2);
    CHECK(run_nas_run("--log-level loud validate '" + source_path("configs/quickstart.json") + "'").exit_code == 2);
  }
}

}  // namespace hwnas::test
