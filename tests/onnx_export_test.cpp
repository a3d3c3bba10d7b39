// This file implements the tests of the ONNX exporter (exporters/onnx_export.hpp) against
// independent tools: both exported forms of trained networks (a plain CNN, a DS-CNN and a
// MobileNetV2 with skips, one epoch on real Fashion-MNIST images) pass Debian's
// onnx.checker with full_check; in ONNX Runtime the float model gives our float inference
// within 1e-4, and the int8 QDQ model gives our integer reference's logits within 1 LSB
// on at least 99% of values and the same top-1 class on at least 99.5% of test images.
// Networks with random weights cover the remaining op kinds (depthwise multipliers,
// unfolded batch norm, concat, average pooling, reshape, standalone ReLU).
#include "exporters/onnx_export.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "space/arch_json.hpp"
#include "tests/onnx_runtime_runner.hpp"
#include "tests/quantize_test_nets.hpp"
#include "tests/test_support.hpp"
#include "trainers/deploy/float_reference.hpp"
#include "trainers/deploy/int8_reference.hpp"
#include "trainers/deploy/quantize.hpp"
#include "trainers/training/trainer.hpp"

namespace hwnas::test {

namespace {

struct Exported {
  FoldedModel folded;
  QuantizedModel quantized;
};

template <typename T>
std::vector<T> values_of(const std::string& bytes) {
  std::vector<T> v(bytes.size() / sizeof(T));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(T));
  return v;
}

size_t argmax(const int8_t* v, size_t n) { return size_t(std::max_element(v, v + n) - v); }

// Float: ONNX Runtime's "output" (and "logits") against run_float on every sample.
void check_float_model(const FoldedModel& folded, const Dataset& samples, const std::string& path) {
  const auto n = int64_t(samples.size());
  const std::string input(reinterpret_cast<const char*>(samples.x.data()), size_t(samples.x.size()) * sizeof(float));
  std::vector<std::pair<std::string, int>> outputs = {{"output", folded.output_tensor}};
  if (folded.score_tensor != folded.output_tensor) outputs.push_back({"logits", folded.score_tensor});
  for (const auto& [name, tensor] : outputs) {
    CAPTURE(name);
    const std::vector<float> ort = values_of<float>(run_onnx_runtime(path, input, false, n, folded.input_shape, name));
    const auto size = size_t(folded.tensor_shapes[size_t(tensor)].elements());
    REQUIRE(ort.size() == size * size_t(n));
    double worst = 0.0;
    for (int64_t s = 0; s < n; ++s) {
      const std::vector<double> x(samples.x.row(s).data(), samples.x.row(s).data() + samples.x.cols());
      const FloatTensors t = run_float(folded, x.data());
      for (size_t k = 0; k < size; ++k) worst = std::max(worst, std::abs(double(ort[size_t(s) * size + k]) - t[size_t(tensor)][k]));
    }
    MESSAGE(name << ": largest difference from our float inference " << worst);
    CHECK(worst <= 1e-4);
  }
}

// The share of int8 logits within 1 LSB of ours, and of samples with our top-1 class.
struct Int8Bars {
  double within_one = 0.99;
  double same_class = 0.995;
};

// Int8: ONNX Runtime's int8 logits against Int8Reference's score tensor on every sample.
void check_qdq_model(const QuantizedModel& model, const Dataset& samples, const std::string& path, Int8Bars bars) {
  const auto n = int64_t(samples.size());
  const auto input_size = size_t(model.input_shape.elements());
  std::string input(size_t(n) * input_size, '\0');
  for (int64_t s = 0; s < n; ++s)
    for (size_t k = 0; k < input_size; ++k)
      input[size_t(s) * input_size + k] = char(quantize_value(samples.x(s, Eigen::Index(k)), model.tensor_params[0]));
  const std::vector<int8_t> ort = values_of<int8_t>(run_onnx_runtime(path, input, true, n, model.input_shape, "logits"));
  const auto size = size_t(model.tensor_shapes[size_t(model.score_tensor)].elements());
  REQUIRE(ort.size() == size * size_t(n));
  // ONNX Runtime requantises with a float multiplier and one rounding: our reference's
  // single rounding, not the TF Lite default it scores with (fixed_point.hpp).
  Int8Reference reference(model, Rounding::kSingle);
  int64_t within_one = 0, exact = 0, same_class = 0, worst = 0;
  for (int64_t s = 0; s < n; ++s) {
    reference.run_quantized(reinterpret_cast<const int8_t*>(input.data()) + size_t(s) * input_size);
    const std::vector<int8_t>& ours = reference.tensors()[size_t(model.score_tensor)];
    const int8_t* theirs = ort.data() + size_t(s) * size;
    for (size_t k = 0; k < size; ++k) {
      const int diff = std::abs(int(ours[k]) - int(theirs[k]));
      within_one += diff <= 1;
      exact += diff == 0;
      worst = std::max<int64_t>(worst, diff);
    }
    same_class += argmax(ours.data(), size) == argmax(theirs, size);
  }
  const double values = double(n) * double(size);
  MESSAGE("int8 logits: " << exact / values * 100 << "% identical, " << within_one / values * 100
                          << "% within 1 LSB (largest difference " << worst << "), top-1 identical on "
                          << double(same_class) / double(n) * 100 << "% of " << n << " samples");
  CHECK(double(within_one) >= bars.within_one * values);
  CHECK(double(same_class) >= bars.same_class * double(n));
}

void check_both_forms(const std::string& name, const Exported& e, const Dataset& samples, Int8Bars bars = {}) {
  CAPTURE(name);
  TempDir dir("onnx");
  const std::string float_path = dir.file(name + "_float.onnx"), int8_path = dir.file(name + "_int8.onnx");
  write_text(float_path, export_onnx_float(e.folded, name, "test network " + name));
  write_text(int8_path, export_onnx_qdq(e.quantized, name, "test network " + name));
  CHECK(onnx_checker_errors(float_path) == "");
  CHECK(onnx_checker_errors(int8_path) == "");
  check_float_model(e.folded, samples, float_path);
  check_qdq_model(e.quantized, samples, int8_path, bars);
}

}  // namespace

TEST_SUITE("onnx_export") {
  TEST_CASE("trained CNN, DS-CNN and MobileNetV2 export to ONNX that ONNX Runtime runs as we do") {
    DatasetConfig config = fashion_mnist_config(600, 1000);
    const DatasetSplits data = load_dataset(config, 1);
    for (const char* file : {"bench/networks/plain_cnn.json", "bench/networks/ds_cnn_small.json",
                             "bench/networks/mobilenet_v2_small.json"}) {
      const Architecture arch = load_architecture(source_path(file));
      const TrainedModel trained = train_model(arch, data.train, data.validation, nullptr, adam_recipe(), 3);
      REQUIRE(trained.result.ok);
      check_both_forms(arch.name(), {fold_model(arch, trained), quantize(arch, trained, data.train)}, data.test);
    }
  }

  TEST_CASE("every other deployed op kind exports to ONNX that ONNX Runtime runs as we do") {
    for (const Architecture& arch : {depthwise_net(), avg_pool_net(), concat_net()}) {
      Network net(arch, 1, 3);
      const TrainedModel weights = random_weights(net, 4);
      const Dataset samples = random_inputs(arch, 300, 6);
      // Average pooling cannot be encoded exactly: ours rounds ties of sum / count away
      // from zero (as TF Lite and CMSIS-NN), ONNX's QuantizeLinear to even, and a 2x2
      // window ties on a quarter of its outputs. Measured: 94% within 1 LSB, 98% same class.
      // Random weights leave near-ties between logits, so a 1-LSB difference (ONNX Runtime
      // requantises in float) flips some top-1 classes: measured 99.3% on depthwise_net.
      const Int8Bars bars = arch.name() == "avg_pool_net"    ? Int8Bars{0.9, 0.95}
                            : arch.name() == "depthwise_net" ? Int8Bars{0.99, 0.99}
                                                             : Int8Bars{};
      check_both_forms(arch.name(), {fold_model(arch, weights), quantize(arch, weights, random_inputs(arch, 64, 5))},
                       samples, bars);
    }
  }
}

}  // namespace hwnas::test
