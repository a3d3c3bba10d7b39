// This file implements the tests of the saved int8 model (trainers/deploy/quantized_model_io.hpp):
// a saved and reloaded model is the same model, field by field and output by output, and
// files that are missing, truncated or of another network are refused with the file named.
#include "trainers/deploy/quantized_model_io.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "space/arch_json.hpp"
#include "tests/quantize_test_nets.hpp"
#include "tests/test_support.hpp"
#include "trainers/deploy/int8_reference.hpp"
#include "trainers/deploy/quantize.hpp"
#include "util/errors.hpp"

namespace hwnas::test {

namespace {

QuantizedModel quantized_random(const Architecture& arch) {
  Network net(arch, 1, 3);
  return quantize(arch, random_weights(net, 4), random_inputs(arch, 16, 5));
}

bool same_multipliers(const std::vector<QuantizedMultiplier>& a, const std::vector<QuantizedMultiplier>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].multiplier != b[i].multiplier || a[i].shift != b[i].shift) return false;
  return true;
}

void check_same_model(const QuantizedModel& a, const QuantizedModel& b) {
  REQUIRE(a.ops.size() == b.ops.size());
  REQUIRE(a.tensor_params.size() == b.tensor_params.size());
  for (size_t t = 0; t < a.tensor_params.size(); ++t) {
    CHECK(a.tensor_params[t].scale == b.tensor_params[t].scale);
    CHECK(a.tensor_params[t].zero_point == b.tensor_params[t].zero_point);
  }
  for (size_t i = 0; i < a.ops.size(); ++i) {
    CAPTURE(i);
    const QuantizedOp& x = a.ops[i];
    const QuantizedOp& y = b.ops[i];
    CHECK(x.deploy.kind == y.deploy.kind);
    CHECK(x.deploy.inputs == y.deploy.inputs);
    CHECK(x.geometry.pad_top == y.geometry.pad_top);
    CHECK(x.geometry.stride_w == y.geometry.stride_w);
    CHECK(x.activation == y.activation);
    CHECK(x.activation_min == y.activation_min);
    CHECK(x.activation_max == y.activation_max);
    CHECK(x.weights == y.weights);
    CHECK(x.weight_scales == y.weight_scales);
    CHECK(x.biases == y.biases);
    CHECK(same_multipliers(x.output_multipliers, y.output_multipliers));
    CHECK(same_multipliers(x.input_multipliers, y.input_multipliers));
    CHECK(x.left_shift == y.left_shift);
  }
  CHECK(a.output_tensor == b.output_tensor);
  CHECK(a.score_tensor == b.score_tensor);
  CHECK(a.input_mean == b.input_mean);
  CHECK(a.input_std == b.input_std);
}

}  // namespace

TEST_SUITE("quantized_model_io") {
  TEST_CASE("a saved int8 model reloads as the same model with the same outputs") {
    for (const Architecture& arch : {depthwise_net(), avg_pool_net(), concat_net(),
                                     load_architecture(source_path("configs/archs/ds_cnn.json"))}) {
      CAPTURE(arch.name());
      QuantizedModel saved = quantized_random(arch);
      if (arch.name() == "ds_cnn") {  // with the training's standardisation (one channel per input channel)
        saved.input_mean.assign(size_t(saved.input_shape.c), 0.2860407);
        saved.input_std.assign(size_t(saved.input_shape.c), 0.3530242);
      }
      TempDir dir("int8_io");
      save_quantized_model(saved, dir.path().string());
      const QuantizedModel loaded = load_quantized_model(arch, dir.path().string());
      check_same_model(saved, loaded);
      Int8Reference a(saved), b(loaded);
      const Dataset inputs = random_inputs(arch, 8, 9);
      for (size_t s = 0; s < inputs.size(); ++s) {
        const float* x = inputs.x.row(Eigen::Index(s)).data();
        const std::vector<int8_t> expected = a.run(x);
        CHECK(b.run(x) == expected);
      }
    }
  }

  TEST_CASE("a missing, truncated or foreign int8 model is refused naming the file") {
    const Architecture arch = depthwise_net();
    TempDir dir("int8_io_bad");
    const std::string d = dir.path().string();
    CHECK_THROWS_WITH_AS(load_quantized_model(arch, d), doctest::Contains("model_int8.json: missing"), UserError);
    save_quantized_model(quantized_random(arch), d);
    CHECK_THROWS_WITH_AS(load_quantized_model(avg_pool_net(), d), doctest::Contains("model_int8.json: /"), UserError);
    const std::string blob = read_text(dir.file("model_int8.bin"));
    write_text(dir.file("model_int8.bin"), blob.substr(0, blob.size() / 2));
    CHECK_THROWS_WITH_AS(load_quantized_model(arch, d), doctest::Contains("/blob_bytes"), UserError);

    QuantizedModel model = quantized_random(arch);
    model.input_mean.assign(size_t(model.input_shape.c), 0.5);
    model.input_std.assign(size_t(model.input_shape.c), 0.0);  // a zero standard deviation cannot be
    save_quantized_model(model, d);
    CHECK_THROWS_WITH_AS(load_quantized_model(arch, d), doctest::Contains("/input_standardization/std"), UserError);
  }
}

}  // namespace hwnas::test
