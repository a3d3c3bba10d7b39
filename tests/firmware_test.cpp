// This file implements the tests of the generated C on emulated microcontrollers: three
// networks (a plain CNN with flatten, a DS-CNN and a MobileNetV2 with skips, all small
// enough for the microbit's 16 KB) are exported, built with the firmware harness for a
// Cortex-M4 (mps2-an386), M7 (mps2-an500) and M0+ (microbit) and run under QEMU on 100
// Fashion-MNIST test images each: every output is bit for bit the C++ integer
// reference's. On the M4 the flash and RAM the model adds to a firmware
// (arm-none-eabi-size, and the stack high-water mark) are compared with the estimator's
// hwnas-c prediction: each within 5%.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <regex>
#include <sstream>

#include "estimators/cost_model.hpp"
#include "estimators/mcu_database.hpp"
#include "estimators/runtime_profile.hpp"
#include "exporters/c_export.hpp"
#include "space/arch_json.hpp"
#include "tests/firmware_runner.hpp"
#include "tests/quantize_test_nets.hpp"
#include "tests/test_support.hpp"
#include "trainers/deploy/int8_reference.hpp"
#include "trainers/deploy/quantize.hpp"

namespace hwnas::test {

namespace {

constexpr int kInputs = 100;

// The model.c of a network that does nothing: the harness alone, to subtract.
const char* const kStubModel = R"(#include "model.h"
int model_invoke(const int8_t *input, int8_t *output) {
  (void)input;
  (void)output;
  return 0;
}
)";

int64_t total_macs(const Architecture& arch) {
  int64_t macs = 0;
  for (const DeployOp& op : DeployGraph(arch).ops()) macs += op.macs;
  return macs;
}

CostReport hwnas_c_cost(const Architecture& arch, const char* mcu) {
  return cost_report(arch, CostTarget::make(*McuDatabase::builtin().find(mcu), *RuntimeProfiles::builtin().find("hwnas-c")));
}

int64_t stack_bytes_of(const std::string& console) {
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_search(console, m, std::regex("inputs=(\\d+) stack_bytes=(\\d+)")), console);
  CHECK(std::stoi(m[1]) == kInputs);
  return std::stoll(m[2]);
}

struct Measured {
  int64_t flash = 0;
  int64_t ram = 0;
};

void check_within_5_percent(const char* what, int64_t predicted, int64_t measured) {
  const double error = double(predicted - measured) / double(measured);
  MESSAGE(std::string(what) << ": predicted " << predicted << " B, measured " << measured << " B (" << error * 100 << "%)");
  CHECK(std::abs(error) <= 0.05);
}

void check_network_on_boards(const Architecture& arch, const DatasetSplits& data) {
  CAPTURE(arch.name());
  Network net(arch, 1, 3);
  const TrainedModel weights = random_weights(net, 4);
  const QuantizedModel model = quantize(arch, weights, data.train);
  const CostReport cost = hwnas_c_cost(arch, "nRF52840");
  TempDir dir("firmware");
  write_source_files(dir.path().string(),
                     export_c(model, cost.plan, "firmware test " + arch.name(), op_layer_names(arch, model)));

  // 100 test images, quantised as the application on the board would.
  const auto input_size = size_t(model.input_shape.elements());
  std::string inputs(input_size * kInputs, '\0');
  for (int s = 0; s < kInputs; ++s)
    for (size_t k = 0; k < input_size; ++k)
      inputs[size_t(s) * input_size + k] = char(quantize_value(data.test.x(s, Eigen::Index(k)), model.tensor_params[0]));
  write_text(dir.file("inputs.bin"), inputs);
  Int8Reference reference(model);
  std::string expected;
  for (int s = 0; s < kInputs; ++s) {
    const std::vector<int8_t>& y = reference.run_quantized(reinterpret_cast<const int8_t*>(inputs.data()) + size_t(s) * input_size);
    expected.append(reinterpret_cast<const char*>(y.data()), y.size());
  }

  for (const EmulatedBoard& board : emulated_boards()) {
    CAPTURE(board.core);
    const FirmwareSize size = build_firmware(dir.path().string(), board, "run_inputs_main.c",
                                             {dir.file("model.c"), dir.file("hwnas_kernels.c")});
    const int64_t stack = stack_bytes_of(run_firmware(dir.path().string(), board));
    CHECK(read_text(dir.file("outputs.bin")) == expected);
    if (board.core != "cortex-m4") continue;

    // What the model adds to the same firmware without it.
    TempDir stub_dir("firmware_stub");
    write_text(stub_dir.file("model.h"), read_text(dir.file("model.h")));
    write_text(stub_dir.file("model.c"), kStubModel);
    write_text(stub_dir.file("inputs.bin"), inputs);
    const FirmwareSize stub = build_firmware(stub_dir.path().string(), board, "run_inputs_main.c", {stub_dir.file("model.c")});
    const int64_t stub_stack = stack_bytes_of(run_firmware(stub_dir.path().string(), board));
    MESSAGE(arch.name() << " on " << board.core << ": firmware text " << size.text << " data " << size.data << " bss "
                        << size.bss << " stack used " << stack << "; without the model text " << stub.text << " data "
                        << stub.data << " bss " << stub.bss << " stack used " << stub_stack);
    check_within_5_percent("flash", cost.totals.flash.total(), size.flash() - stub.flash());
    check_within_5_percent("RAM", cost.totals.ram.total(), size.data + size.bss + stack - stub.data - stub.bss - stub_stack);
  }
}

// The profiling build under QEMU: the DWT counter reads 0 there, so the plugin's
// per-layer instruction counts stand in for cycles; `nas-run calibrate` must take the table.
void check_profiling_build(const Architecture& arch, const DatasetSplits& data, const EmulatedBoard& board) {
  CAPTURE(arch.name());
  CAPTURE(board.core);
  Network net(arch, 1, 3);
  const QuantizedModel model = quantize(arch, random_weights(net, 4), data.train);
  const CostReport cost = hwnas_c_cost(arch, "nRF52840");
  TempDir dir("firmware_profile");
  write_source_files(dir.path().string(), export_c(model, cost.plan, "profiling test", op_layer_names(arch, model)));
  save_architecture(arch, dir.file("arch.json"));
  // A Cortex-M0+ has no DWT: the profiling build then reads a counter of the user's; 0 here.
  const bool m0 = board.core == "cortex-m0plus";
  build_firmware(dir.path().string(), board, "profile_main.c", {dir.file("model.c"), dir.file("hwnas_kernels.c")},
                 std::string("-DHWNAS_PROFILE -DHWNAS_PROFILE_MCU='\"nRF52840\"'") +
                     (m0 ? " '-DHWNAS_CYCLE_COUNTER()=0u'" : ""));
  const std::string plugin = build_layer_insns_plugin(dir.path().string());
  const std::string console = run_firmware(dir.path().string(), board, "-plugin '" + plugin + ",out=" + dir.file("insns.txt") + "'");
  // The firmware's table: a header and one row per layer, named by the layer's first IR layer.
  const size_t layers = cost.plan.schedule.size();
  std::istringstream table(console.substr(console.find("row_id")));
  std::vector<std::string> rows;
  for (std::string line; std::getline(table, line);) rows.push_back(line);
  REQUIRE(rows.size() == layers + 1);
  CHECK(rows[0] == "row_id,arch,layer,mcu,cycles,runtime");
  CHECK(rows[1] == "layer0,arch.json," + op_layer_names(arch, model)[size_t(cost.plan.schedule[0])] + ",nRF52840,0,hwnas-c");

  // The plugin's counts: two runs of every layer.
  std::istringstream counts(read_text(dir.file("insns.txt")));
  std::string key;
  int64_t invokes = 0;
  counts >> key >> invokes;
  CHECK(key == "invokes");
  CHECK(invokes == 2);
  std::string csv = "row_id,arch,layer,mcu,cycles,runtime\n";
  int64_t total_layers = 0;
  for (size_t i = 0; i < layers; ++i) {
    int64_t index = -1, count = 0;
    counts >> key >> index >> count;
    REQUIRE(key == "layer");
    CHECK(index == int64_t(i));
    CHECK(count > 0);
    total_layers += count / 2;
    // The instruction counts of one run in the firmware's own rows, in place of its zero cycles.
    std::string row = rows[i + 1];
    row = row.substr(0, row.rfind(",0,hwnas-c")) + "," + std::to_string(count / 2) + ",hwnas-c";
    csv += row + "\n";
    MESSAGE(arch.name() << " layer " << i << " (" << op_layer_names(arch, model)[size_t(cost.plan.schedule[i])]
                        << ", " << std::string(deploy_kind_name(model.ops[size_t(cost.plan.schedule[i])].deploy.kind))
                        << "): " << count / 2 << " instructions on a " << board.core);
  }
  MESSAGE(arch.name() << ": " << total_layers << " instructions per inference on a " << board.core << " ("
                      << double(total_layers) / double(total_macs(arch))
                      << " per MAC)");
  write_text(dir.file("profile.csv"), csv);
  const CommandResult calibrate = run_nas_run("calibrate '" + dir.file("profile.csv") + "' --mcu nRF52840 --profile hwnas-c --out '" +
                                              dir.file("calibration.json") + "'");
  INFO(calibrate.output);
  CHECK(calibrate.exit_code == 0);
}

}  // namespace

TEST_SUITE("firmware") {
  TEST_CASE("the profiling build prints a per-layer table nas-run calibrate reads, QEMU counts each layer's instructions") {
    const DatasetSplits data = load_dataset(fashion_mnist_config(200, 10), 1);
    for (const char* file : {"tests/firmware/plain_cnn_m0.json", "bench/networks/ds_cnn_small.json",
                             "bench/networks/mobilenet_v2_small.json"})
      for (const EmulatedBoard& board : emulated_boards())
        if (board.core != "cortex-m7") check_profiling_build(load_architecture(source_path(file)), data, board);
  }

  TEST_CASE("generated C runs bit-exact on emulated Cortex-M4, M7 and M0+, in the flash and RAM predicted") {
    const DatasetSplits data = load_dataset(fashion_mnist_config(200, kInputs), 1);
    for (const char* file : {"tests/firmware/plain_cnn_m0.json", "bench/networks/ds_cnn_small.json",
                             "bench/networks/mobilenet_v2_small.json"})
      check_network_on_boards(load_architecture(source_path(file)), data);
  }
}

}  // namespace hwnas::test
