// This file implements the tests of fake quantisation and of the deployed network it runs
// on: the deployed Architecture with folded weights computes the folded model, its
// fake-quantised forward computes the int8 model's float simulation, the straight-through
// gradient masks, and the moving-average ranges.
#include "trainers/qat/fake_quantization.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "space/arch_json.hpp"
#include "tests/quantize_test_nets.hpp"
#include "tests/test_support.hpp"
#include "trainers/qat/deployed_network.hpp"
#include "trainers/deploy/float_reference.hpp"
#include "trainers/qat/qat.hpp"
#include "trainers/deploy/quantize.hpp"
#include "trainers/deploy/quantized_simulation.hpp"

namespace hwnas::test {

namespace {

// Every kind of deployed op the QAT network must express: conv+BN+ReLU6, depthwise
// (multiplier 2) +BN+ReLU, a residual add, a batch norm that cannot be folded (after the
// add), concat, average pooling with partial windows and a fused ReLU, global pooling, a
// standalone ReLU6, dense, softmax.
Architecture every_op_net() {
  Layer dw = make_test_layer("dw", OpKind::kDepthwiseConv2D, {"r1"});
  dw.kernel_h = dw.kernel_w = 3;
  dw.depth_multiplier = 2;
  Layer ap = make_test_layer("ap", OpKind::kAvgPool2D, {"cat"});
  ap.kernel_h = ap.kernel_w = 3;
  ap.stride_h = ap.stride_w = 2;
  return Architecture(
      "every_op_net", {9, 9, 2},
      {conv("c1", "input", 4, 3), op("bn1", OpKind::kBatchNorm, {"c1"}),
       op("r1", OpKind::kReLU6, {"bn1"}), dw, op("bn2", OpKind::kBatchNorm, {"dw"}),
       op("r2", OpKind::kReLU, {"bn2"}), conv("pw", "r2", 8, 1), op("sum", OpKind::kAdd, {"r2", "pw"}),
       op("bn3", OpKind::kBatchNorm, {"sum"}), conv("b", "input", 3, 1), op("cat", OpKind::kConcat, {"bn3", "b"}),
       ap, op("ra", OpKind::kReLU, {"ap"}), op("gap", OpKind::kGlobalAvgPool, {"ra"}),
       op("rg", OpKind::kReLU6, {"gap"}), dense("fc", "rg", 5), op("sm", OpKind::kSoftmax, {"fc"})});
}

// The network's weights with biases and batch-norm parameters drawn at random too.
TrainedModel random_model(const Architecture& arch, uint64_t seed) {
  Network net(arch, 1, seed);
  return random_weights(net, seed);
}

// One dense layer 4 -> 3 (no activation) to test the hooks in isolation.
Architecture dense_net() { return Architecture("dense_net", {1, 1, 4}, {dense("fc", "input", 3)}); }

}  // namespace

TEST_SUITE("fake_quantization") {
  TEST_CASE("weights round per output channel to the grid quantize() uses") {
    // Column c is channel c: max |w| 127/16 -> scale 1/16; max 0 -> unchanged; 254 -> 2.
    const std::vector<float> w = {7.9375f, 0.0f, 254.0f,    //
                                  0.09375f, 0.0f, -3.0f,    //
                                  -0.03125f, 0.0f, 1.0f};
    std::vector<float> q(9);
    fake_quantize_weights(w.data(), 3, 3, q.data());
    CHECK(q[0] == 7.9375f);
    CHECK(q[3] == 0.125f);    // 1.5 steps round away from zero
    CHECK(q[6] == -0.0625f);  // -0.5 steps too
    CHECK(q[1] == 0.0f);
    CHECK(q[5] == -4.0f);     // -1.5 steps
    CHECK(q[8] == 2.0f);      // 0.5 steps
    const QuantParams p = params_for_range(-1.0, 3.0);  // scale 4/255, zero point -64
    CHECK(fake_quantize_value(1.0f, p) == doctest::Approx(64 * 4.0 / 255.0));
    CHECK(fake_quantize_value(100.0f, p) == doctest::Approx(191 * 4.0 / 255.0));  // 127 + 64
    CHECK(fake_quantize_value(-100.0f, p) == doctest::Approx(-64 * 4.0 / 255.0));
  }

  TEST_CASE("the deployed network computes the folded model") {
    for (const Architecture& arch :
         {every_op_net(), load_architecture(source_path("configs/archs/ds_cnn.json"))}) {
      const FoldedModel folded = fold_model(arch, random_model(arch, 3));
      const DeployedArchitecture deployed = deployed_architecture(arch);
      CHECK(deployed.op_layer.size() == folded.ops.size());
      Network net(deployed.arch, 4, 0);
      load_folded_weights(folded, deployed, net.blocks(), net.parameters());
      const Dataset inputs = random_inputs(arch, 4, 4);
      net.input() = inputs.x;
      net.forward(4, Mode::kInference);
      double worst = 0.0, range = 0.0;
      for (int i = 0; i < 4; ++i) {
        const std::vector<double> x(inputs.x.row(i).data(), inputs.x.row(i).data() + inputs.x.cols());
        const std::vector<double> want = run_float(folded, x.data())[size_t(folded.score_tensor)];
        for (size_t k = 0; k < want.size(); ++k) {
          worst = std::max(worst, std::abs(double(net.logits()(i, Eigen::Index(k))) - want[k]));
          range = std::max(range, std::abs(want[k]));
        }
      }
      INFO(arch.name(), ": largest difference ", worst, " for scores up to ", range);
      CHECK(range > 0.1);
      CHECK(worst <= 1e-4 * range);
      // And back: the weights survive the round trip through the Network's layouts.
      const FoldedModel back = read_folded_weights(folded, deployed, net.blocks(), net.parameters());
      for (size_t o = 0; o < folded.ops.size(); ++o)
        for (size_t k = 0; k < folded.ops[o].weights.size(); ++k)
          CHECK(back.ops[o].weights[k] == double(float(folded.ops[o].weights[k])));
    }
  }

  TEST_CASE("the fake-quantised forward computes the int8 model's float simulation") {
    const Architecture arch = every_op_net();
    const FoldedModel folded = fold_model(arch, random_model(arch, 5));
    const Dataset calibration = random_inputs(arch, 16, 6), inputs = random_inputs(arch, 8, 7);
    const std::vector<TensorRange> ranges = calibrate(folded, calibration);
    const QuantizedModel q = quantize_with_ranges(folded, ranges);
    const DeployedArchitecture deployed = deployed_architecture(arch);
    Network net(deployed.arch, 8, 0);
    load_folded_weights(folded, deployed, net.blocks(), net.parameters());
    // Weights: the fake-quantised kernels are the dequantised int8 weights.
    Eigen::VectorXf fake = net.parameters();
    for (const ParamBlock& b : net.blocks())
      if (b.name == "kernel") {
        const int64_t channels = weight_scale_count(deployed.arch.layer(size_t(b.layer)));
        fake_quantize_weights(net.parameters().data() + b.offset, b.size / channels, channels,
                              fake.data() + b.offset);
      }
    const FoldedModel fake_folded = read_folded_weights(folded, deployed, net.blocks(), fake);
    const FoldedModel dequantized = dequantize_model(q);
    for (size_t o = 0; o < q.ops.size(); ++o)
      for (size_t k = 0; k < q.ops[o].weights.size(); ++k) {
        const double scale = q.ops[o].weight_scales[size_t(weight_channel(folded.ops[o], k))];
        CHECK(std::abs(fake_folded.ops[o].weights[k] - dequantized.ops[o].weights[k]) <= 1e-4 * scale);  // float rounding, far below a step
      }
    // Activations: the score tensor lands on the int8 model's levels.
    const auto fq = make_fake_quantization(deployed, folded, ranges, net, 1.0);
    net.set_hooks(fq.get());
    net.input() = inputs.x;
    net.forward(8, Mode::kInference);
    const QuantizedSimulation simulation(q);
    const QuantParams score = q.tensor_params[size_t(q.score_tensor)];
    int64_t equal = 0, total = 0;
    int worst = 0;
    for (int i = 0; i < 8; ++i) {
      const Int8Tensors t = simulation.run(inputs.x.row(i).data());
      for (size_t k = 0; k < t[size_t(q.score_tensor)].size(); ++k) {
        const double level = double(net.logits()(i, Eigen::Index(k))) / score.scale + score.zero_point;
        CHECK(std::abs(level - std::round(level)) < 1e-3);  // on the grid
        const int diff = std::abs(int(std::lround(level)) - int(t[size_t(q.score_tensor)][k]));
        worst = std::max(worst, diff);
        equal += diff == 0;
        ++total;
      }
    }
    MESSAGE(equal << " of " << total << " int8 scores equal the simulation's, largest difference "
                  << worst << " LSB");
    // Float32 against double arithmetic can round a value near a tie the other way, and
    // the difference then propagates: rare, and a few LSB at most.
    CHECK(worst <= 3);
    CHECK(double(equal) >= 0.8 * double(total));
  }

  TEST_CASE("straight-through gradients pass inside the grid's range only") {
    const Architecture arch = dense_net();
    Network net(arch, 8, 1);
    net.parameters().setConstant(0.3f);  // kernel then bias
    net.parameters()[5] = -0.37f;        // one weight off the grid of its channel
    const Eigen::VectorXf shadow = net.parameters();
    const Dataset inputs = random_inputs(arch, 8, 2);
    net.input() = inputs.x;
    net.forward(8, Mode::kTraining);
    const Tensor unrounded = net.output().topRows(8);
    FakeQuantization fq(arch, 8, 1.0);
    const int t = fq.add_tensor({-0.4, 0.5});
    fq.quantize_output(0, t, true);
    fq.quantize_weights(net.blocks()[0], 3);
    net.set_hooks(&fq);
    net.input() = inputs.x;
    net.forward(8, Mode::kTraining);
    CHECK(net.parameters() == shadow);  // the optimiser keeps updating the float weights
    // Forward: y = fq(x * fq(W) + b).
    Eigen::MatrixXf w = Eigen::Map<const Eigen::MatrixXf>(shadow.data(), 3, 4).transpose();
    Eigen::MatrixXf wq(4, 3);
    {
      const Tensor wt = w;
      Tensor out(4, 3);
      fake_quantize_weights(wt.data(), 4, 3, out.data());
      wq = out;
    }
    CHECK(wq(0, 2) != w(0, 2));
    const QuantParams p = fq.params(t);
    const float lo = p.scale * float(-128 - p.zero_point), hi = p.scale * float(127 - p.zero_point);
    Eigen::VectorXf inside = Eigen::VectorXf::Zero(3);
    Tensor x_inside = Tensor::Zero(4, 3);
    int clipped = 0;
    for (int i = 0; i < 8; ++i)
      for (int u = 0; u < 3; ++u) {
        const float pre = inputs.x.row(i).transpose().dot(wq.col(u)) + shadow[12 + u];
        CHECK(net.output()(i, u) == doctest::Approx(fake_quantize_value(pre, p)).epsilon(1e-5));
        CHECK(std::abs(pre - unrounded(i, u)) < 0.05f);
        if (pre >= lo && pre <= hi) {
          inside[u] += 1.0f;
          x_inside.col(u) += inputs.x.row(i).transpose();
        } else {
          ++clipped;
        }
      }
    REQUIRE(clipped > 0);
    REQUIRE(clipped < 24);
    // Backward with dL/dy = 1: db_u counts the samples inside the range, dW sums their x.
    net.logits_grad().setOnes();
    net.backward();
    for (int u = 0; u < 3; ++u) {
      CHECK(net.gradients()[12 + u] == doctest::Approx(inside[u]));
      for (int k = 0; k < 4; ++k)
        CHECK(net.gradients()[k * 3 + u] == doctest::Approx(x_inside(k, u)).epsilon(1e-5));
    }
  }

  TEST_CASE("ranges follow the moving average of the training batches' extremes") {
    const Architecture arch = dense_net();
    Network net(arch, 8, 1);
    FakeQuantization fq(arch, 8, 0.75);
    const int t = fq.add_tensor({-0.1, 0.1});
    fq.quantize_output(0, t, true);
    net.set_hooks(&fq);
    const Dataset inputs = random_inputs(arch, 8, 3);
    net.input() = inputs.x;
    net.forward(8, Mode::kInference);  // inference never moves the ranges
    fq.fold_pending_ranges();
    CHECK(fq.ranges()[0].lo == -0.1);
    net.input() = inputs.x;
    net.forward(8, Mode::kTraining);
    net.set_hooks(nullptr);
    net.input() = inputs.x;
    net.forward(8, Mode::kTraining);
    const float batch_lo = net.output().topRows(8).minCoeff(), batch_hi = net.output().topRows(8).maxCoeff();
    REQUIRE(batch_hi - batch_lo > 0.5f);
    fq.fold_pending_ranges();
    CHECK(fq.ranges()[0].lo == doctest::Approx(0.75 * -0.1 + 0.25 * batch_lo));
    CHECK(fq.ranges()[0].hi == doctest::Approx(0.75 * 0.1 + 0.25 * batch_hi));
    CHECK(fq.params(t).scale == params_for_range(fq.ranges()[0].lo, fq.ranges()[0].hi).scale);
    const TensorRange once = fq.ranges()[0];
    fq.fold_pending_ranges();  // folded once only
    CHECK(fq.ranges()[0].lo == once.lo);
  }
}

}  // namespace hwnas::test
