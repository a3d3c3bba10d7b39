// This file implements the tests of the C exporter: the generated C, compiled by the host's
// C compiler as strict C99 with warnings as errors, gives bit for bit the outputs of the C++
// integer reference on 100 inputs, for networks that together use every deployed op kind
// (convolutions, depthwise with a multiplier, dense, pooling with partial windows, an
// unfolded batch norm, concat with requantisation, residual add, standalone ReLU, reshape,
// softmax), each laid out with the hwnas-c memory plan (in-place element-wise ops and
// aliased reshapes included).
#include "exporters/c_export.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "estimators/cost_model.hpp"
#include "estimators/mcu_database.hpp"
#include "estimators/runtime_profile.hpp"
#include "space/arch_json.hpp"
#include "tests/quantize_test_nets.hpp"
#include "trainers/int8_reference.hpp"
#include "trainers/quantize.hpp"

namespace hwnas::test {

namespace {

constexpr int kInputs = 100;

// Reads inputs.bin (kInputs inputs), writes outputs.bin: the harness a test links with model.c.
const char* const kDriver = R"(#include <stdio.h>
#include <stdlib.h>
#include "model.h"
int main(int argc, char **argv) {
  static int8_t input[MODEL_INPUT_SIZE], output[MODEL_OUTPUT_SIZE];
  FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
  int n = atoi(argv[3]), i;
  if (argc != 4 || !in || !out) return 1;
  for (i = 0; i < n; ++i) {
    if (fread(input, 1, MODEL_INPUT_SIZE, in) != MODEL_INPUT_SIZE) return 2;
    if (model_invoke(input, output) != 0) return 3;
    if (fwrite(output, 1, MODEL_OUTPUT_SIZE, out) != MODEL_OUTPUT_SIZE) return 4;
  }
  fclose(in);
  return fclose(out) == 0 ? 0 : 5;
}
)";

MemoryPlan hwnas_c_plan(const Architecture& arch) {
  const CostTarget target = CostTarget::make(*McuDatabase::builtin().find("STM32F746"),
                                             *RuntimeProfiles::builtin().find("hwnas-c"));
  return cost_report(arch, target).plan;
}

std::vector<int8_t> random_int8(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<int8_t> v(n);
  for (int8_t& x : v) x = int8_t(d(rng));
  return v;
}

void check_exported_c_matches_reference(const Architecture& arch) {
  CAPTURE(arch.name());
  Network net(arch, 1, 3);
  const QuantizedModel model = quantize(arch, random_weights(net, 4), random_inputs(arch, 16, 5));
  TempDir dir("c_export");
  write_source_files(dir.path().string(), export_c(model, hwnas_c_plan(arch), "test network " + arch.name()));
  write_text(dir.file("main.c"), kDriver);
  const CommandResult build =
      run_command("cd '" + dir.path().string() +
                  "' && cc -std=c99 -pedantic -Wall -Wextra -Werror -O1 main.c model.c hwnas_kernels.c -o model");
  REQUIRE_MESSAGE(build.exit_code == 0, build.output);

  const auto input_size = size_t(model.input_shape.elements());
  const std::vector<int8_t> inputs = random_int8(input_size * kInputs, 7);
  {
    std::ofstream f(dir.file("inputs.bin"), std::ios::binary);
    f.write(reinterpret_cast<const char*>(inputs.data()), std::streamsize(inputs.size()));
  }
  const CommandResult run = run_command("'" + dir.file("model") + "' '" + dir.file("inputs.bin") + "' '" +
                                        dir.file("outputs.bin") + "' " + std::to_string(kInputs));
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  const std::string outputs = read_text(dir.file("outputs.bin"));
  const size_t output_size = size_t(model.tensor_shapes[size_t(model.output_tensor)].elements());
  REQUIRE(outputs.size() == output_size * kInputs);

  Int8Reference reference(model);
  int differing = 0;
  for (int i = 0; i < kInputs; ++i) {
    const std::vector<int8_t>& expected = reference.run_quantized(inputs.data() + size_t(i) * input_size);
    for (size_t k = 0; k < output_size; ++k)
      if (int8_t(outputs[size_t(i) * output_size + k]) != expected[k]) ++differing;
  }
  CHECK(differing == 0);
}

}  // namespace

TEST_SUITE("c_export") {
  TEST_CASE("generated C99 is bit-exact with the integer reference on every deployed op kind") {
    for (const Architecture& arch : {depthwise_net(), avg_pool_net(), concat_net()})
      check_exported_c_matches_reference(arch);
  }

  TEST_CASE("generated C99 is bit-exact on DS-CNN, ResNet-8 and a small MobileNetV2 with the hwnas-c plan") {
    for (const char* file : {"configs/archs/ds_cnn.json", "configs/archs/resnet8.json", "bench/networks/mobilenet_v2_small.json"})
      check_exported_c_matches_reference(load_architecture(source_path(file)));
  }
}

}  // namespace hwnas::test
