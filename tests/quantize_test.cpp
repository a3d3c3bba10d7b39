// This file implements the tests of int8 post-training quantisation: the quantisation
// formulas, batch-norm folding against the trained Network, the integer-only reference
// against the float simulation of the same quantised model (within one LSB, op by op,
// on the reference networks and on nets with every kind of deployed op), and the int8
// accuracy of a CNN trained on real Fashion-MNIST images.
#include "trainers/deploy/quantize.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "space/arch_json.hpp"
#include "space/deploy_graph.hpp"
#include "tests/quantize_test_nets.hpp"
#include "tests/test_support.hpp"
#include "trainers/data/dataset_config.hpp"
#include "trainers/deploy/float_reference.hpp"
#include "trainers/deploy/int8_evaluation.hpp"
#include "trainers/deploy/int8_reference.hpp"
#include "trainers/deploy/quantized_simulation.hpp"

namespace hwnas::test {

namespace {

struct LsbStats {
  int64_t elements = 0;
  int64_t off_by_one = 0;
  int max_diff = 0;
  std::vector<int64_t> kind_elements = std::vector<int64_t>(kDeployKindCount, 0);
  std::vector<int64_t> kind_off_by_one = std::vector<int64_t>(kDeployKindCount, 0);

  std::string per_kind() const {
    std::string text;
    for (int k = 0; k < kDeployKindCount; ++k)
      if (kind_elements[size_t(k)] > 0)
        text += std::string(" ") + deploy_kind_name(DeployKind(k)) + " " +
                std::to_string(kind_off_by_one[size_t(k)]) + "/" +
                std::to_string(kind_elements[size_t(k)]);
    return text;
  }
};

// Every op of the int8 reference against the float simulation of that op on the same
// int8 inputs, for each sample of `inputs`.
LsbStats compare_ops(const QuantizedModel& q, const Dataset& inputs) {
  LsbStats s;
  Int8Reference reference(q);
  const QuantizedSimulation simulation(q);
  for (Eigen::Index i = 0; i < inputs.x.rows(); ++i) {
    reference.run(inputs.x.row(i).data());
    for (size_t o = 0; o < q.ops.size(); ++o) {
      const std::vector<int8_t> expected = simulation.run_op(o, reference.tensors());
      const std::vector<int8_t>& got = reference.tensors()[size_t(q.ops[o].deploy.output)];
      REQUIRE(got.size() == expected.size());
      for (size_t k = 0; k < got.size(); ++k) {
        const int d = std::abs(int(got[k]) - int(expected[k]));
        const auto kind = size_t(q.ops[o].deploy.kind);
        s.elements += 1;
        s.off_by_one += d == 1;
        s.kind_elements[kind] += 1;
        s.kind_off_by_one[kind] += d == 1;
        s.max_diff = std::max(s.max_diff, d);
      }
    }
  }
  return s;
}

// Largest difference of the score tensors when the simulation runs on its own from the
// input (rounding differences then propagate): reported, not bounded.
int end_to_end_difference(const QuantizedModel& q, const Dataset& inputs) {
  Int8Reference reference(q);
  const QuantizedSimulation simulation(q);
  int worst = 0;
  for (Eigen::Index i = 0; i < inputs.x.rows(); ++i) {
    reference.run(inputs.x.row(i).data());
    const Int8Tensors simulated = simulation.run(inputs.x.row(i).data());
    const std::vector<int8_t>& got = reference.tensors()[size_t(q.score_tensor)];
    for (size_t k = 0; k < got.size(); ++k)
      worst = std::max(worst, std::abs(int(got[k]) - int(simulated[size_t(q.score_tensor)][k])));
  }
  return worst;
}

// The quantised model's score tensor, dequantised, against the float model's: the
// largest difference relative to the float scores' range.
double score_error(const FoldedModel& f, const QuantizedModel& q, const Dataset& inputs) {
  Int8Reference reference(q);
  double worst = 0.0;
  for (Eigen::Index i = 0; i < inputs.x.rows(); ++i) {
    reference.run(inputs.x.row(i).data());
    const std::vector<double> x(inputs.x.row(i).data(), inputs.x.row(i).data() + inputs.x.cols());
    const std::vector<double> want = run_float(f, x.data())[size_t(f.score_tensor)];
    const std::vector<int8_t>& got = reference.tensors()[size_t(q.score_tensor)];
    const auto [lo, hi] = std::minmax_element(want.begin(), want.end());
    for (size_t k = 0; k < want.size(); ++k)
      worst = std::max(
          worst,
          std::abs(dequantize_value(got[k], q.tensor_params[size_t(q.score_tensor)]) - want[k]) /
              std::max(*hi - *lo, 1e-9));
  }
  return worst;
}

void check_int8_matches_simulation(const Architecture& arch) {
  Network net(arch, 1, 3);
  const TrainedModel trained = random_weights(net, 4);
  const FoldedModel folded = fold_model(arch, trained);
  const QuantizedModel q = quantize(folded, random_inputs(arch, 12, 5));
  const Dataset inputs = random_inputs(arch, 3, 6);
  const LsbStats s = compare_ops(q, inputs);
  MESSAGE(arch.name() << ": " << q.ops.size() << " ops, " << s.elements << " output elements, "
                      << s.off_by_one << " off by one LSB, max difference " << s.max_diff
                      << "; int8 scores within " << score_error(folded, q, inputs)
                      << " of the float range; end to end, scores differ by up to "
                      << end_to_end_difference(q, inputs)
                      << " LSB; off by one per op kind:" << s.per_kind());
  CHECK(s.max_diff <= 1);
  // Off by one only where x * multiplier lies within the fixed-point error of a rounding
  // boundary (the multiplier's 31 bits, then two roundings): a few percent at most.
  CHECK(double(s.off_by_one) <= 0.1 * double(s.elements));
  CHECK(score_error(folded, q, inputs) < 0.15);
  // Symmetric weights use the full int8 range: per output channel for convolutions
  // (every non-zero channel), over the whole tensor for dense ops, whose channels share
  // one scale.
  for (const QuantizedOp& o : q.ops) {
    const bool per_tensor = per_tensor_weights(o.deploy.kind);
    for (size_t c = 0; c < o.weight_scales.size(); ++c) {
      if (per_tensor) CHECK(o.weight_scales[c] == o.weight_scales[0]);
      int largest = 0;
      for (size_t i = 0; i < o.weights.size(); ++i) {
        const bool output_major = o.deploy.kind == DeployKind::kConv ||
                                  o.deploy.kind == DeployKind::kPointwiseConv ||
                                  o.deploy.kind == DeployKind::kDense;
        const bool in_channel = per_tensor || (output_major
                                    ? i / (o.weights.size() / o.weight_scales.size()) == c
                                    : i % o.weight_scales.size() == c);
        if (in_channel) largest = std::max(largest, std::abs(int(o.weights[i])));
      }
      CHECK(largest == 127);
    }
  }
}

}  // namespace

TEST_SUITE("quantize") {
  TEST_CASE("activation parameters, clamps and rounding follow TF Lite") {
    // [-1, 3]: scale 4/255, zero point round(-128 + 255/4) = round(-64.25) = -64.
    const QuantParams p = params_for_range(-1.0, 3.0);
    CHECK(p.scale == float(4.0 / 255.0));
    CHECK(p.zero_point == -64);
    // [0.5, 2] widens to [0, 2]: zero point -128; [-2, -1] to [-2, 0]: zero point 127.
    CHECK(params_for_range(0.5, 2.0).zero_point == -128);
    CHECK(params_for_range(-2.0, -1.0).zero_point == 127);
    CHECK(params_for_range(0.0, 0.0).scale == 1.0f);
    CHECK(int(quantize_value(1.0, p)) == -64 + 64);  // 1 / (4/255) = 63.75 -> 64
    CHECK(int(quantize_value(100.0, p)) == 127);
    CHECK(int(quantize_value(-100.0, p)) == -128);
    CHECK(activation_range(Activation::kNone, p) == std::pair<int32_t, int32_t>{-128, 127});
    CHECK(activation_range(Activation::kRelu, p) == std::pair<int32_t, int32_t>{-64, 127});
    // 6 / (4/255) = 382.5 -> 383, beyond 127 - (-64): clamped to 127.
    CHECK(activation_range(Activation::kRelu6, p) == std::pair<int32_t, int32_t>{-64, 127});
    const QuantParams wide = params_for_range(0.0, 25.5);  // scale 0.1, zero point -128
    CHECK(activation_range(Activation::kRelu6, wide) == std::pair<int32_t, int32_t>{-128, -68});
  }

  TEST_CASE("batch-norm folding keeps the trained network's outputs") {
    for (const Architecture& arch : {depthwise_net(), avg_pool_net(), concat_net(),
                                     load_architecture(source_path("configs/archs/ds_cnn.json"))}) {
      Network net(arch, 4, 7);
      const TrainedModel trained = random_weights(net, 8);
      const Dataset inputs = random_inputs(arch, 4, 9);
      net.input() = inputs.x;
      net.forward(4, Mode::kInference);
      const FoldedModel folded = fold_model(arch, trained);
      double worst = 0.0, range = 0.0;
      for (int i = 0; i < 4; ++i) {
        const std::vector<double> x(inputs.x.row(i).data(),
                                    inputs.x.row(i).data() + inputs.x.cols());
        const FloatTensors t = run_float(folded, x.data());
        for (Eigen::Index k = 0; k < net.logits().cols(); ++k) {
          const double want = net.logits()(i, k);
          worst = std::max(worst, std::abs(t[size_t(folded.score_tensor)][size_t(k)] - want));
          range = std::max(range, std::abs(want));
        }
      }
      INFO(arch.name(), ": largest difference ", worst, " for scores up to ", range);
      CHECK(range > 0.1);
      CHECK(worst <= 1e-4 * range);
    }
  }

  TEST_CASE("int8 reference matches the float simulation within 1 LSB on DS-CNN") {
    check_int8_matches_simulation(load_architecture(source_path("configs/archs/ds_cnn.json")));
  }

  TEST_CASE("int8 reference matches the float simulation within 1 LSB on ResNet-8") {
    check_int8_matches_simulation(load_architecture(source_path("configs/archs/resnet8.json")));
  }

  TEST_CASE(
      "int8 reference matches the float simulation within 1 LSB on a depthwise multiplier 2 net") {
    check_int8_matches_simulation(depthwise_net());
  }

  TEST_CASE("int8 reference matches the float simulation within 1 LSB on an average-pool net") {
    check_int8_matches_simulation(avg_pool_net());
  }

  TEST_CASE("int8 reference matches the float simulation within 1 LSB on a concat and add net") {
    check_int8_matches_simulation(concat_net());
  }

  TEST_CASE("every deployed op kind is covered by the test nets") {
    std::vector<int> seen(kDeployKindCount, 0);
    for (const Architecture& arch :
         {depthwise_net(), avg_pool_net(), concat_net(),
          load_architecture(source_path("configs/archs/ds_cnn.json")),
          load_architecture(source_path("configs/archs/resnet8.json"))}) {
      const DeployGraph graph(arch);
      for (const DeployOp& o : graph.ops()) seen[size_t(o.kind)] = 1;
    }
    for (int k = 0; k < kDeployKindCount; ++k) {
      INFO(deploy_kind_name(DeployKind(k)));
      CHECK(seen[size_t(k)] == 1);
    }
  }

  TEST_CASE("int8 accuracy of a CNN trained on Fashion-MNIST stays near float") {
    const DatasetSplits data = load_dataset(fashion_mnist_config(1000, 500), 1);
    const Architecture arch = fashion_cnn();
    const TrainedModel trained =
        train_model(arch, data.train, data.validation, &data.test, adam_recipe(), 3);
    REQUIRE(trained.result.ok);
    CHECK(trained.result.test_accuracy ==
          train_and_evaluate(arch, data.train, data.validation, &data.test, adam_recipe(), 3)
              .test_accuracy);
    const FoldedModel folded = fold_model(arch, trained);
    const QuantizedModel q = quantize(folded, data.train);
    const QuantizedAccuracy acc = evaluate_quantized(folded, q, data.test);
    MESSAGE("Fashion-MNIST, " << data.train.size() << " training images, 1 epoch: float "
                              << acc.float_accuracy << " (Network " << trained.result.test_accuracy
                              << "), int8 " << acc.int8_accuracy << ", same prediction on "
                              << acc.agreement << " of " << acc.samples << " test images");
    CHECK(acc.samples == 500);
    CHECK(acc.float_accuracy == doctest::Approx(trained.result.test_accuracy).epsilon(0.005));
    CHECK(acc.float_accuracy > 0.5);  // chance is 0.1
    CHECK(std::abs(acc.int8_accuracy - acc.float_accuracy) <= 0.02);
    CHECK(acc.agreement >= 0.95);
  }
}

}  // namespace hwnas::test
