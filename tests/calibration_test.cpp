// This file implements the tests of latency calibration: the fit recovers known coefficients
// from synthetic measurements (written as a measurements CSV, so the reader is exercised
// too), the CSV reader's rules (quoting, skipped rows, fused layers, latency conversion),
// the calibration file round trip and its checks, and `nas-run calibrate` end to end: on the
// published measurements, and on malformed CSVs that must fail with one line and exit 2.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "estimators/calibration.hpp"
#include "space/arch_json.hpp"
#include "tests/split_output.hpp"
#include "tests/test_support.hpp"
#include "util/errors.hpp"
#include "util/json_reader.hpp"

namespace hwnas::test {

namespace {

namespace fs = std::filesystem;

const char* kHeader = "row_id,arch,layer,mcu,core,clock_mhz,cycles,latency_ms,runtime,trust,note,use\n";

const RuntimeProfile& tflm() { return *RuntimeProfiles::builtin().find("tflm-cmsis-nn"); }
McuSpec board(const std::string& name) { return *McuDatabase::builtin().find(name); }

std::vector<std::string> reference_archs() {
  std::vector<std::string> paths;
  for (const char* dir : {"configs/archs", "configs/archs/published"})
    for (const auto& e : fs::directory_iterator(source_path(dir)))
      if (e.path().extension() == ".json") paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Group factors unlike 1 (so the prior cannot pass the test by itself); every factor stays
// within the fit's bounds of [1/4, 4] x the common factor.
GroupScales synthetic_factors() { return {1.7, 0.6, 1.3, 2.2, 0.8}; }

// One row per deploy op (named by the op's first layer) and one per whole network, of
// every reference architecture, with cycles from `truth`.
std::string synthetic_csv(const LatencyVector& truth, const McuSpec& mcu, bool reshape_copies) {
  std::string csv = kHeader;
  int row = 0;
  for (const auto& path : reference_archs()) {
    const Architecture arch = load_architecture(path);
    const DeployGraph graph(arch);
    const auto add = [&](const std::string& layer, const LatencyVector& f) {
      csv += fmt::format("S{},{},{},{},{},,{:.17g},,tflm-cmsis-nn,synthetic,\"made up, from known coefficients\",1\n",
                         row++, path, layer, mcu.name, mcu.core, dot(f, truth));
    };
    add("", network_latency_features(graph, mcu.flash_wait_states, reshape_copies));
    for (size_t o = 0; o < graph.ops().size(); ++o)
      add(arch.layer(size_t(graph.ops()[o].first_layer)).name,
          op_latency_features(graph.ops()[o], mcu.flash_wait_states, reshape_copies));
  }
  return csv;
}

std::string user_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "no UserError";
}

}  // namespace

TEST_SUITE("calibration") {
  TEST_CASE("the fit recovers known group factors within 1% from synthetic measurements") {
    const McuSpec mcu = board("STM32U585");
    REQUIRE(mcu.flash_wait_states > 0);  // otherwise the memory group has little data
    const LatencyCoefficients& prior = *tflm().latency_for(mcu.core);
    const GroupScales factors = synthetic_factors();
    const LatencyVector truth = scaled_by_group(prior.cycles, factors);
    TempDir dir("calibration");
    write_text(dir.file("m.csv"), synthetic_csv(truth, mcu, !tflm().in_place.reshape_in_place));
    const MeasurementSet set = read_measurements_csv(dir.file("m.csv"), mcu, tflm());
    REQUIRE(set.samples.size() > 60);
    const CalibrationResult r = calibrate_latency(set.samples, prior, 0.0);
    for (int g = 0; g < kLatencyGroupCount; ++g) {
      INFO(latency_group_name(g));
      REQUIRE(r.has_data[size_t(g)]);
      CHECK(r.scale[size_t(g)] == doctest::Approx(factors[size_t(g)]).epsilon(0.01));
    }
    for (int j = 0; j < kLatencyFeatureCount; ++j)
      CHECK(r.cycles[size_t(j)] == doctest::Approx(truth[size_t(j)]).epsilon(0.01));
    CHECK(r.in_sample.median_ape < 1e-3);
    CHECK(r.leave_one_out.within_10 == 1.0);
    // Exact leave-one-out predictions leave only the profile's prior rows in the interval.
    CHECK(r.interval.known());
    CHECK(r.interval.upper < prior.interval.upper);
  }

  TEST_CASE("one row moves every coefficient by one common factor, and MAC coefficients stay at the core's limit") {
    const McuSpec mcu = board("STM32U585");
    const Architecture arch = load_architecture(source_path("configs/archs/published/tflm_micro_speech.json"));
    CalibrationSample s;
    s.features = network_latency_features(DeployGraph(arch), mcu.flash_wait_states, true);
    const LatencyCoefficients& prior = *tflm().latency_for(mcu.core);
    s.cycles = 1.2 * dot(s.features, prior.cycles);
    const LatencyFit fit = fit_latency_groups({s}, prior.cycles, 1.0, prior.min_cycles_per_mac);
    CHECK(fit.common == doctest::Approx(1.2));
    CHECK(dot(s.features, fit.cycles) == doctest::Approx(s.cycles).epsilon(0.01));
    for (int j = 0; j < kLatencyFeatureCount; ++j) CHECK(fit.cycles[size_t(j)] == doctest::Approx(1.2 * prior.cycles[size_t(j)]));
    // A measurement 20x faster than the prior cannot push a MAC below the core's limit.
    s.cycles = dot(s.features, prior.cycles) / 20;
    const LatencyFit fast = fit_latency_groups({s}, prior.cycles, 1.0, prior.min_cycles_per_mac);
    for (int j = 0; j < kLatencyFeatureCount; ++j)
      if (is_mac_feature(j) && prior.cycles[size_t(j)] > 0) CHECK(fast.cycles[size_t(j)] >= prior.min_cycles_per_mac - 1e-12);
  }

  TEST_CASE("intervals: +/-1.645 sigma of the log errors, shrunk towards the prior's sigma") {
    const LatencyInterval none = interval_from_errors({}, {}, 0.2, 3);
    CHECK(none.lower == doctest::Approx(std::exp(-1.645 * 0.2)));
    CHECK(none.upper == doctest::Approx(std::exp(1.645 * 0.2)));
    // Three rows off by a factor e^0.4 each way, and three prior rows of sigma 0.2.
    const double k = std::exp(0.4);
    const LatencyInterval some = interval_from_errors({k, 1, 1}, {1, k, 1}, 0.2, 3);
    const double sigma = std::sqrt((2 * 0.16 + 3 * 0.04) / 6);
    CHECK(some.upper == doctest::Approx(std::exp(1.645 * sigma)));
    CHECK(some.lower * some.upper == doctest::Approx(1.0));
  }

  TEST_CASE("CSV rules: quoting, use/core/runtime skips, fused layer names, latency at the row's clock") {
    const McuSpec mcu = board("STM32U585");
    TempDir dir("calibration");
    fs::copy_file(source_path("configs/archs/published/mltk_image_example1.json"), dir.file("net.json"));
    write_text(dir.file("m.csv"),
               "note,cycles,arch,layer,latency_ms,clock_mhz,core,runtime,use\r\n"
               "\"a note, with a comma and \"\"quotes\"\"\",1000000,net.json,l0_relu,,,cortex-m33,,\r\n"
               "\"multi\nline\",,net.json,l0_conv,2,100,,tflm-cmsis-nn,yes\r\n"
               "whole model,9500000,net.json,,,,,,0\r\n"
               "other core,9500000,net.json,,,,cortex-m7,,\r\n"
               "other runtime,9500000,net.json,,,,,hwnas-c,1\r\n"
               "\r\n"
               "board clock,,net.json,,1.5,,,,\r\n");
    const MeasurementSet set = read_measurements_csv(dir.file("m.csv"), mcu, tflm());
    REQUIRE(set.samples.size() == 3);
    CHECK(set.skipped_unused == 1);
    CHECK(set.skipped_core == 1);
    CHECK(set.skipped_runtime == 1);
    CHECK(set.samples[0].row_id == "line 2");
    CHECK(set.samples[0].features == set.samples[1].features);  // l0_relu is fused into l0_conv's op
    CHECK(set.samples[1].row_id == "line 3");
    CHECK(set.samples[1].cycles == doctest::Approx(200000.0));         // 2 ms at the row's 100 MHz
    CHECK(set.samples[2].row_id == "line 9");                          // the quoted line break counts
    CHECK(set.samples[2].cycles == doctest::Approx(1.5 * 160 * 1000));  // the board's 160 MHz
  }

  TEST_CASE("a UTF-8 byte-order mark (spreadsheet export) is not part of the first column's name") {
    TempDir dir("calibration");
    fs::copy_file(source_path("configs/archs/published/mltk_image_example1.json"), dir.file("net.json"));
    write_text(dir.file("m.csv"), "\xEF\xBB\xBF" "arch,cycles\nnet.json,9500000\n");
    const MeasurementSet set = read_measurements_csv(dir.file("m.csv"), board("STM32U585"), tflm());
    CHECK(set.samples.size() == 1);
  }

  TEST_CASE("a row's own board, when the database knows it, gives its core, clock and wait states") {
    const McuSpec u585 = board("STM32U585"), efr = board("EFR32MG24");
    REQUIRE(efr.core == u585.core);
    REQUIRE(efr.flash_wait_states != u585.flash_wait_states);
    TempDir dir("calibration");
    fs::copy_file(source_path("configs/archs/published/mltk_image_example1.json"), dir.file("net.json"));
    write_text(dir.file("m.csv"),
               "arch,mcu,latency_ms\n"
               "net.json,EFR32MG24,2\n"      // known board: its 78 MHz and wait states
               "net.json,Some-M33-board,2\n"  // unknown board: the --mcu board's
               "net.json,RP2040,2\n");       // known board of another core: skipped
    const MeasurementSet set = read_measurements_csv(dir.file("m.csv"), u585, tflm());
    REQUIRE(set.samples.size() == 2);
    CHECK(set.skipped_core == 1);
    CHECK(set.samples[0].cycles == doctest::Approx(2 * efr.clock_mhz * 1000));
    CHECK(set.samples[1].cycles == doctest::Approx(2 * u585.clock_mhz * 1000));
    const double weights = set.samples[0].features[kFlashWaitBytes] / efr.flash_wait_states;
    CHECK(set.samples[1].features[kFlashWaitBytes] == doctest::Approx(weights * u585.flash_wait_states));
    write_text(dir.file("m.csv"), "arch,mcu,core,cycles\nnet.json,RP2040,cortex-m33,5\n");
    CHECK(contains(user_error([&] { read_measurements_csv(dir.file("m.csv"), u585, tflm()); }),
                   "m.csv: line 2, column 'core': expected the core of board RP2040 (\"cortex-m0plus\") or empty"));
  }

  TEST_CASE("the calibration file round-trips and is checked against profile and core") {
    const McuSpec mcu = board("STM32U585");
    CalibrationResult r;
    r.prior = tflm().latency_for(mcu.core)->cycles;
    r.cycles = scaled_by_group(r.prior, synthetic_factors());
    r.interval = {0.8, 1.3, "test"};
    r.rows.push_back({"a", "", 100, 101, 90});
    TempDir dir("calibration");
    const std::string path = dir.file("cal.json");
    write_text(path, calibration_json(r, tflm(), mcu, "test").dump(2));
    const LatencyCoefficients c = read_calibration_file(path, tflm(), mcu);
    CHECK(c.cycles == r.cycles);
    CHECK(c.interval.lower == 0.8);
    CHECK(c.interval.upper == 1.3);
    CHECK(contains(c.source, "test"));
    // Another board of the same core may use it; another core or profile may not.
    CHECK(read_calibration_file(path, tflm(), McuSpec{mcu}).cycles == r.cycles);
    const std::string wrong_core = user_error([&] { read_calibration_file(path, tflm(), board("RP2040")); });
    CHECK(contains(wrong_core, path + ": /core: expected the core of board RP2040"));
    const std::string wrong_profile =
        user_error([&] { read_calibration_file(path, *RuntimeProfiles::builtin().find("hwnas-c"), mcu); });
    CHECK(contains(wrong_profile, "/profile: expected the runtime profile it is used with (\"hwnas-c\")"));
    nlohmann::json doc = nlohmann::json::parse(read_text(path));
    doc["cycles"].erase("op_calls");
    CHECK(contains(user_error([&] { calibration_from_json(doc, "x.json", tflm(), mcu); }), "/cycles"));
    doc = nlohmann::json::parse(read_text(path));
    doc["extra"] = 1;
    CHECK(contains(user_error([&] { calibration_from_json(doc, "x.json", tflm(), mcu); }), "/extra"));
  }

  TEST_CASE("nas-run calibrate on the published measurements prints the leave-one-out error") {
    TempDir dir("calibrate-e2e");
    const std::string csv = source_path("bench/calibration/published_measurements.csv");
    const SplitResult r = run_split(dir, "calibrate '" + csv + "' --mcu STM32U585 --profile tflm-cmsis-nn");
    INFO(r.out, r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "leave-one-out:"));
    CHECK(contains(r.out, "median APE"));
    CHECK(contains(r.out, "GT0410"));
    CHECK(!contains(r.out, "GT0415"));  // use = 0: TF Lite Micro's reference kernels, not CMSIS-NN
    const std::string out = dir.file("calibration-tflm-cmsis-nn-cortex-m33.json");
    REQUIRE(fs::exists(out));
    const nlohmann::json doc = nlohmann::json::parse(read_text(out));
    CHECK(doc["fit"]["rows_used"] == 2);  // GT0410, GT0411
    CHECK(doc["interval"]["upper"].get<double>() > 1);
    CHECK(doc["fit"]["leave_one_out"]["median_ape"].get<double>() > 0);
    CHECK(doc["cycles"].size() == size_t(kLatencyFeatureCount));
    CHECK(read_calibration_file(out, tflm(), board("STM32U585")).source.find("nas-run calibrate") != std::string::npos);

    const SplitResult j = run_split(dir, "calibrate '" + csv + "' --mcu RP2040 --profile tflm-cmsis-nn --json --out m0.json");
    REQUIRE(j.exit_code == 0);
    CHECK(nlohmann::json::parse(j.out)["fit"]["rows_used"] == 31);
    CHECK(fs::exists(dir.file("m0.json")));
  }

  TEST_CASE("malformed measurement files fail with one line on stderr and exit code 2") {
    TempDir dir("calibrate-bad");
    fs::copy_file(source_path("configs/archs/published/mltk_image_example1.json"), dir.file("net.json"));
    struct Case {
      const char* name;
      std::string csv;
      std::string expected;
    };
    const std::vector<Case> cases = {
        {"missing arch column", "row_id,cycles\nA,100\n", "bad.csv: line 1: the header has no 'arch' column"},
        {"no cycles or latency column", "arch,layer\nnet.json,\n", "needs a 'cycles' or a 'latency_ms' column"},
        {"non-numeric cycles", "arch,cycles\nnet.json,12abc\n",
         "bad.csv: line 2, column 'cycles': expected a positive number, found \"12abc\""},
        {"negative latency", "arch,latency_ms\nnet.json,-3\n", "line 2, column 'latency_ms': expected a positive"},
        {"unknown layer", "arch,layer,cycles\nnet.json,l9_conv,100\n",
         "line 2, column 'layer': expected a layer name of net.json or empty (whole network), found \"l9_conv\""},
        {"unknown column", "arch,cycles,cylces\nnet.json,100,1\n",
         "bad.csv: line 1, column 3: unknown column name \"cylces\""},
        {"neither cycles nor latency", "arch,cycles,latency_ms\nnet.json,100,\nnet.json,,\n",
         "line 3, column 'cycles': expected a value in 'cycles' or in 'latency_ms', found neither"},
        {"wrong field count", "arch,cycles\nnet.json,100,7\n", "line 2: expected 2 fields as in the header, found 3"},
        {"open quote", "arch,cycles\n\"net.json,100\n", "line 2: quoted field not closed"},
        {"bad use", "arch,cycles,use\nnet.json,100,maybe\n", "line 2, column 'use'"},
        {"bad core", "arch,cycles,core\nnet.json,100,cortex-m9\n", "line 2, column 'core': expected a core family"},
        {"missing arch file", "arch,cycles\nnope.json,100\n", "line 2, column 'arch': "},
        {"no rows for the core", "arch,cycles,core\nnet.json,100,cortex-m7\n", "no rows for core cortex-m33"},
    };
    for (const auto& c : cases) {
      INFO(c.name);
      write_text(dir.file("bad.csv"), c.csv);
      const SplitResult r = run_split(dir, "calibrate bad.csv --mcu STM32U585 --profile tflm-cmsis-nn");
      CHECK(r.exit_code == 2);
      CHECK(count_lines(r.err) == 1);
      CHECK(contains(r.err, c.expected));
      CHECK(r.out.empty());
    }
    const SplitResult unknown_board = run_split(dir, "calibrate bad.csv --mcu NoSuchBoard --profile tflm-cmsis-nn");
    CHECK(unknown_board.exit_code == 2);
    CHECK(contains(unknown_board.err, "--mcu: expected a known board"));
    CHECK(!fs::exists(dir.file("calibration-tflm-cmsis-nn-cortex-m33.json")));
  }
}

}  // namespace hwnas::test
