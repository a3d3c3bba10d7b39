// This file implements the tests of the flash, RAM, latency and energy model: the reference
// architectures against hand calculations written out below, the MCU database, runtime
// profiles, and nas-run estimate on every shipped architecture and board.
#include <doctest/doctest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "estimators/calibration.hpp"
#include "estimators/cost_model.hpp"
#include "space/arch_json.hpp"
#include "test_support.hpp"

namespace hwnas {

namespace {

CostEstimate estimate(const std::string& arch, const std::string& mcu, const std::string& profile) {
  const McuSpec* board = McuDatabase::builtin().find(mcu);
  REQUIRE(board);
  return estimate_costs(load_architecture(test::source_path(arch)),
                        CostTarget::make(*board, *RuntimeProfiles::builtin().find(profile)));
}

}  // namespace

TEST_SUITE("cost_model") {
  TEST_CASE("DS-CNN under tflm-cmsis-nn: flash and RAM by hand") {
    const CostEstimate e = estimate("configs/archs/ds_cnn.json", "STM32F746", "tflm-cmsis-nn");
    // Weights: conv1 10*4*1*64 = 2560; 4 depthwise 3*3*64 = 2304; 4 pointwise 64*64 = 16384; dense 64*12 = 768.
    CHECK(e.flash.weights == 2560 + 2304 + 16384 + 768);
    // One int32 bias per output channel: 64 + 4*64 + 4*64 + 12 = 588 channels.
    CHECK(e.flash.biases == 4 * 588);
    // Float scale + int64 zero point, weights and biases, per output channel; one set for the
    // dense op (per-tensor weights): 588 - 12 + 1 = 577.
    CHECK(e.flash.quant_params == 24 * 577);
    // 13 ops (conv, 4x dw, 4x pw, avg_pool, flatten, dense, softmax), 14 tensors, 10 ops
    // with weights.
    CHECK(e.flash.model_metadata == 112 + 13 * 80 + 14 * 112 + 10 * 200);
    // conv + depthwise + pointwise + pool + reshape + dense + softmax kernels.
    CHECK(e.flash.kernel_code == 6000 + 7000 + 3000 + 2500 + 600 + 2500 + 2000);
    CHECK(e.flash.total() == 22016 + 2352 + 13848 + 4720 + 23600 + 16384);
    // Arena: the 8000 B activations ([25,5,64]) alternate between [0,8000) and [8000,16000);
    // each depthwise op's 1152 B scratch (2 * 3*3*64) sits above both at 16000.
    CHECK(e.ram.arena == 16000 + 1152);
    // 13 ops x 64 + 14 tensors x 16 + 577 channels x 8 (multiplier + shift).
    CHECK(e.ram.persistent == 13 * 64 + 14 * 16 + 577 * 8);
    CHECK(e.ram.total() == 17152 + 5672 + 2048 + 2048);
  }

  TEST_CASE("DS-CNN under hwnas-c: no interpreter, no scratch, aliased flatten") {
    const CostEstimate e = estimate("configs/archs/ds_cnn.json", "STM32F746", "hwnas-c");
    CHECK(e.flash.quant_params == 8 * 588);                 // int32 multiplier + int32 shift
    CHECK(e.flash.model_metadata == 13 * 70);               // op parameters and calls
    // conv (pointwise runs on it: counted once), depthwise, average pool, aliased flatten,
    // dense, softmax.
    CHECK(e.flash.kernel_code == 230 + 202 + 258 + 0 + 78 + 652);
    CHECK(e.flash.total() == 22016 + 2352 + 4704 + 910 + 1420 + 280);
    CHECK(e.ram.arena == 16000);  // two [25,5,64] buffers; no scratch
    CHECK(e.ram.total() == 16000 + 256);
  }

  TEST_CASE("FC autoencoder under tflm-cmsis-nn: a dense chain by hand") {
    const CostEstimate e = estimate("configs/archs/fc_autoencoder.json", "nRF52840", "tflm-cmsis-nn");
    // 640-128-128-128-128-8-128-128-128-128-640: weights and output channels.
    CHECK(e.flash.weights == 640 * 128 + 3 * 128 * 128 + 128 * 8 + 8 * 128 + 3 * 128 * 128 + 128 * 640);
    const int64_t channels = 4 * 128 + 8 + 4 * 128 + 640;
    CHECK(e.flash.biases == 4 * channels);
    // Quantisation parameters: one set per dense op (per-tensor weights).
    CHECK(e.flash.total() == 264192 + 4 * channels + 24 * 10 + (112 + 10 * 80 + 11 * 112 + 10 * 200) + 2500 + 16384);
    // Peak: the 640 B input with the first 128 B output (and the last pair, mirrored).
    CHECK(e.ram.arena == 640 + 128);
    CHECK(e.ram.total() == 768 + (10 * 64 + 11 * 16 + 10 * 8) + 2048 + 2048);
  }

  TEST_CASE("ResNet-8 under tflm-cmsis-nn: the residual keeps the stack input alive") {
    const CostEstimate e = estimate("configs/archs/resnet8.json", "STM32F746", "tflm-cmsis-nn");
    // Weights: conv1 3*3*3*16, stack1 2 x 3*3*16*16, stack2 3*3*16*32 + 3*3*32*32 + 1x1 16*32,
    // stack3 3*3*32*64 + 3*3*64*64 + 1x1 32*64, dense 64*10.
    CHECK(e.flash.weights == 432 + 2 * 2304 + 4608 + 9216 + 512 + 18432 + 36864 + 2048 + 640);
    const int64_t channels = 16 + 2 * 16 + 3 * 32 + 3 * 64 + 10;  // output channels of the 10 MAC ops
    CHECK(e.flash.biases == 4 * channels);
    CHECK(e.flash.quant_params == 24 * (channels - 9));  // the dense op: one set, not 10
    // 16 ops (10 MAC ops, 3 adds, avg pool, flatten, softmax), 17 tensors.
    CHECK(e.flash.model_metadata == 112 + 16 * 80 + 17 * 112 + 10 * 200);
    CHECK(e.flash.kernel_code == 6000 + 3000 + 2500 + 2500 + 600 + 2500 + 2000);
    // Peak while stack1_conv2 runs: conv1's output (read again by the add), stack1_conv1's
    // output, stack1_conv2's output (3 x 32*32*16) and its im2col buffer (4 * 3*3*16).
    CHECK(e.ram.arena == 3 * 32 * 32 * 16 + 4 * 3 * 3 * 16);
    CHECK(e.ram.persistent == 16 * 64 + 17 * 16 + (channels - 9) * 8);
  }

  TEST_CASE("MobileNetV2 under tflm-cmsis-nn: weights from Keras' total, peak at the first strided block") {
    const CostEstimate e = estimate("configs/archs/mobilenet_v2.json", "STM32H743", "tflm-cmsis-nn");
    // Keras counts 3,538,984 parameters: weights, the classifier's 1000 biases, and 4 per
    // channel for 17,056 batch-norm channels, which fold into one int32 bias each.
    CHECK(e.flash.weights == 3538984 - 1000 - 4 * 17056);
    CHECK(e.flash.biases == 4 * (17056 + 1000));
    // Block 1 expands 112x112x16 to 112x112x96; its 3x3 stride-2 depthwise then writes
    // 56x56x96 while reading it, with a 2 * 3*3*96 B buffer.
    CHECK(e.ram.arena == 112 * 112 * 96 + 56 * 56 * 96 + 2 * 3 * 3 * 96);
  }

  TEST_CASE("latency is the features times the core's coefficients, and energy is latency x power") {
    const McuSpec board = *McuDatabase::builtin().find("STM32F446");
    const RuntimeProfile& profile = *RuntimeProfiles::builtin().find("tflm-cmsis-nn");
    LatencyCoefficients only_macs;
    for (int j = 0; j < kLatencyFeatureCount; ++j)
      if (is_mac_feature(j)) only_macs.cycles[size_t(j)] = 2.0;
    only_macs.cycles[kOpCalls] = 1000;
    only_macs.interval = {0.8, 1.5, "test"};
    const Architecture arch = load_architecture(test::source_path("configs/archs/ds_cnn.json"));
    const CostEstimate e = estimate_costs(arch, CostTarget::make(board, profile, &only_macs));
    CHECK(e.cycles == doctest::Approx(2.0 * 2656768 + 13 * 1000));
    CHECK(e.latency_ms == doctest::Approx(e.cycles / (180 * 1e3)));
    CHECK(e.latency_low_ms == doctest::Approx(0.8 * e.latency_ms));
    CHECK(e.latency_high_ms == doctest::Approx(1.5 * e.latency_ms));
    CHECK(e.energy_uj == doctest::Approx(e.latency_ms * board.active_power_mw));
  }

  TEST_CASE("the MCU database covers the required boards with datasheet, power and memory") {
    const auto& db = McuDatabase::builtin();
    CHECK(db.all().size() >= 10);
    for (const char* name : {"STM32F746", "STM32H743", "STM32L4R5", "STM32F446", "nRF52840", "RP2040", "STM32U585",
                             "nRF5340", "Alif-E3-HP", "ESP32-S3", "Apollo3", "RA8D1", "RA8M1", "RA6M4", "STM32U575",
                             "STM32H7A3", "STM32N657"})
      CHECK_MESSAGE(db.find(name), name);
    for (const auto& m : db.all()) {
      CHECK_MESSAGE(!m.datasheet.empty(), m.name);
      // 0 means unknown (no energy estimate): the notes must then say the power was not found.
      CHECK_MESSAGE((m.active_power_mw > 0 || m.notes.find("power not found") != std::string::npos), m.name);
      CHECK_MESSAGE(!m.notes.empty(), m.name);
      CHECK_MESSAGE(RuntimeProfiles::builtin().find("tflm-cmsis-nn")->latency_for(m.core), m.name);
      CHECK_MESSAGE(RuntimeProfiles::builtin().find("hwnas-c")->latency_for(m.core), m.name);
    }
    CHECK(db.find("Alif-E3-HP")->helium);
    CHECK(db.find("RA8D1")->core == "cortex-m85");
    CHECK(db.find("RA8D1")->helium);
    CHECK_FALSE(db.find("RP2040")->dsp);
  }

  TEST_CASE("a profile without coefficients for the board's core is a clear error") {
    RuntimeProfile p = *RuntimeProfiles::builtin().find("hwnas-c");
    p.latency.erase("cortex-m7");
    CHECK_THROWS_WITH_AS(CostTarget::make(*McuDatabase::builtin().find("STM32F746"), p),
                         doctest::Contains("no latency coefficients for cortex-m7"), UserError);
  }
}

TEST_SUITE("estimate_command") {
  TEST_CASE("nas-run estimate works for every shipped architecture on every board, both profiles") {
    std::vector<std::string> archs;
    for (const char* dir : {"configs/archs", "configs/archs/published"})
      for (const auto& f : std::filesystem::directory_iterator(test::source_path(dir)))
        if (f.path().extension() == ".json") archs.push_back(f.path().string());
    REQUIRE(archs.size() >= 8);
    for (const auto& arch : archs)
      for (const char* profile : {"tflm-cmsis-nn", "hwnas-c"}) {
        const auto r = test::run_nas_run("estimate '" + arch + "' --mcu all --profile " + profile + " --json");
        REQUIRE_MESSAGE(r.exit_code == 0, std::string(arch + ": " + r.output));
        const auto j = nlohmann::json::parse(r.output);
        CHECK(j.at("targets").size() == McuDatabase::builtin().all().size());
        for (const auto& t : j.at("targets")) {
          CHECK(t.at("latency_ms").get<double>() > 0);
          CHECK(t.at("ram").at("total_bytes").get<int64_t>() > t.at("ram").at("arena").get<int64_t>() - 1);
          CHECK(t.at("schedule").size() == t.at("ops").size());
          CHECK(t.at("fits").contains("ram_margin_kb"));
        }
      }
  }

  TEST_CASE("the table shows per-op rows, totals and the fit with its margin") {
    const auto r = test::run_nas_run("estimate '" + test::source_path("configs/archs/ds_cnn.json") + "' --mcu nRF52840");
    REQUIRE(r.exit_code == 0);
    CHECK(test::contains(r.output, "dw1+dw1_bn+dw1_relu"));
    CHECK(test::contains(r.output, "flash 82920 B"));
    CHECK(test::contains(r.output, "RAM   26920 B"));
    CHECK(test::contains(r.output, "fits SRAM (256 KiB): yes, margin"));
  }

  TEST_CASE("users add boards from a file, and bad input is one line and exit 2") {
    test::TempDir dir;
    test::write_text(dir.file("boards.json"), R"({"mcus": [{"name": "MyBoard", "core": "cortex-m4", "clock_mhz": 100,
      "sram_kb": 64, "flash_kb": 256, "fpu": "sp", "dsp": true, "datasheet": "my measurements"}]})");
    const std::string arch = "'" + test::source_path("configs/archs/ds_cnn.json") + "'";
    const auto ok = test::run_nas_run("estimate " + arch + " --mcu MyBoard --mcu-file " + dir.file("boards.json"));
    CHECK(ok.exit_code == 0);
    CHECK(test::contains(ok.output, "energy unknown"));

    test::write_text(dir.file("bad.json"), R"({"mcus": [{"name": "X", "core": "cortex-m99", "clock_mhz": 1,
      "sram_kb": 1, "flash_kb": 1, "fpu": "sp", "dsp": true, "datasheet": ""}]})");
    for (const std::string& args :
         {"estimate " + arch + " --mcu NoSuchBoard", "estimate " + arch + " --mcu all --profile nope",
          "estimate " + arch + " --mcu X --mcu-file " + dir.file("bad.json")}) {
      const auto r = test::run_nas_run(args);
      CHECK_MESSAGE(r.exit_code == 2, args);
      CHECK_MESSAGE(std::count(r.output.begin(), r.output.end(), '\n') == 1, r.output);
    }
  }
}

}  // namespace hwnas

namespace hwnas {

TEST_SUITE("cost_model") {
  TEST_CASE("the shipped coefficients are the fit of their first principles to the published rows") {
    // bench/latency_truth --write-profile fits every core with rows from its first_principles
    // (prior weight 0.3) and writes the result rounded to 4 decimals. Re-fitting must reproduce it.
    const std::string csv = test::source_path("bench/calibration/published_measurements.csv");
    int fitted_cores = 0;
    for (const std::string profile_name : {"tflm-cmsis-nn", "tflm-cmsis-nn@2021"}) {
      const RuntimeProfile& profile = *RuntimeProfiles::builtin().find(profile_name);
      for (const auto& [core, c] : profile.latency) {
        const McuSpec* board = nullptr;
        for (const auto& m : McuDatabase::builtin().all())
          if (!board && latency_family(m) == core) board = &m;
        if (!board) continue;
        const MeasurementSet set = read_measurements_csv(csv, *board, profile);
        if (set.samples.empty()) continue;
        ++fitted_cores;
        const LatencyFit fit = fit_latency_groups(set.samples, c.first_principles, 0.3, c.min_cycles_per_mac);
        for (int j = 0; j < kLatencyFeatureCount; ++j)
          CHECK_MESSAGE(c.cycles[size_t(j)] == doctest::Approx(fit.cycles[size_t(j)]).epsilon(1e-3),
                        std::string(profile_name + " " + core + " " + latency_feature_names()[size_t(j)]));
        CHECK_MESSAGE(c.interval.known(), core);
      }
    }
    CHECK(fitted_cores >= 5);  // m0plus, m33, m7, lx7; m7 of the 2021 release
  }

  TEST_CASE("depthwise convolutions are priced by the kernel CMSIS-NN runs for them") {
    const auto features_of = [](const std::string& layer) {
      const Architecture arch = architecture_from_json(
          nlohmann::json::parse(R"({"input": {"shape": [16, 16, 8]}, "layers": [)" + layer + "]}"), "t.json");
      return network_latency_features(DeployGraph(arch), 0, true);
    };
    const LatencyVector k3 = features_of(R"({"name": "d", "op": "depthwise_conv2d", "kernel": 3})");
    const LatencyVector k5 = features_of(R"({"name": "d", "op": "depthwise_conv2d", "kernel": 5})");
    const LatencyVector m2 = features_of(R"({"name": "d", "op": "depthwise_conv2d", "kernel": 3, "depth_multiplier": 2})");
    CHECK(k3[kDepthwise3x3Macs] == 16 * 16 * 8 * 9);
    CHECK(k3[kDepthwiseMacs] == 0);
    CHECK(k5[kDepthwiseMacs] == 16 * 16 * 8 * 25);
    CHECK(k5[kDepthwise3x3Macs] == 0);
    CHECK(m2[kDepthwiseGenericMacs] == 16 * 16 * 16 * 9);
    CHECK(k3[kDepthwisePixels] == 256);
    // A strided 1x1 convolution gathers its pixels (im2col); an unstrided one does not.
    const LatencyVector pw = features_of(R"({"name": "p", "op": "conv2d", "filters": 4, "kernel": 1})");
    const LatencyVector pw2 = features_of(R"({"name": "p", "op": "conv2d", "filters": 4, "kernel": 1, "stride": 2})");
    CHECK(pw[kConvPatchBytes] == 0);
    CHECK(pw2[kConvPatchBytes] == 8 * 8 * 8);
  }

  TEST_CASE("a release profile shares its base's flash and RAM rules and has its own latency") {
    const RuntimeProfile& base = *RuntimeProfiles::builtin().find("tflm-cmsis-nn");
    const RuntimeProfile& old = *RuntimeProfiles::builtin().find("tflm-cmsis-nn@2021");
    CHECK(old.base == "tflm-cmsis-nn");
    CHECK(old.runtime_code_bytes == base.runtime_code_bytes);
    CHECK(old.ram_per_op_bytes == base.ram_per_op_bytes);
    CHECK(old.scratch_for("cortex-m7").conv_per_patch_element == base.scratch_for("cortex-m7").conv_per_patch_element);
    REQUIRE(old.latency_for("cortex-m7"));
    CHECK(old.latency_for("cortex-m7")->cycles != base.latency_for("cortex-m7")->cycles);
    CHECK_FALSE(old.latency_for("cortex-m4"));
    const nlohmann::json bad = {{"name", "x"}, {"base", "nope"}, {"latency", nlohmann::json::object()}};
    CHECK_THROWS_WITH_AS(runtime_profile_from_json(bad, "x.json"), doctest::Contains("x.json: /base"), ConfigError);
    const nlohmann::json extra = {{"name", "x"}, {"base", "tflm-cmsis-nn"}, {"flash", nlohmann::json::object()},
                                  {"latency", nlohmann::json::object()}};
    CHECK_THROWS_WITH_AS(runtime_profile_from_json(extra, "x.json"), doctest::Contains("/flash"), ConfigError);
  }
}

}  // namespace hwnas
