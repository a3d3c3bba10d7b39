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
#include "tests/c_model_runner.hpp"
#include "tests/quantize_test_nets.hpp"
#include "trainers/deploy/int8_reference.hpp"
#include "trainers/deploy/quantize.hpp"

namespace hwnas::test {

namespace {

constexpr int kInputs = 100;

MemoryPlan hwnas_c_plan(const Architecture& arch) {
  const CostTarget target = CostTarget::make(*McuDatabase::builtin().find("STM32F746"),
                                             *RuntimeProfiles::builtin().find("hwnas-c"));
  return cost_report(arch, target).plan;
}

void check_exported_c_matches_reference(const Architecture& arch) {
  CAPTURE(arch.name());
  Network net(arch, 1, 3);
  const QuantizedModel model = quantize(arch, random_weights(net, 4), random_inputs(arch, 16, 5));
  TempDir dir("c_export");
  write_source_files(dir.path().string(), export_c(model, hwnas_c_plan(arch), "test network " + arch.name()));
  const auto input_size = size_t(model.input_shape.elements());
  const std::vector<int8_t> inputs = random_int8(input_size * kInputs, 7);
  const std::vector<int8_t> outputs = run_generated_c(dir.path().string(), inputs, kInputs);
  const size_t output_size = size_t(model.tensor_shapes[size_t(model.output_tensor)].elements());
  REQUIRE(outputs.size() == output_size * kInputs);

  Int8Reference reference(model);
  int differing = 0;
  for (int i = 0; i < kInputs; ++i) {
    const std::vector<int8_t>& expected = reference.run_quantized(inputs.data() + size_t(i) * input_size);
    for (size_t k = 0; k < output_size; ++k)
      if (outputs[size_t(i) * output_size + k] != expected[k]) ++differing;
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
