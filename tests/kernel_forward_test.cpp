// This file implements the forward-value tests of the training kernels: TensorFlow's
// padding rule, the depthwise channel layout, and batch norm's statistics (training and
// inference), on one-layer networks with known inputs.
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "space/architecture.hpp"
#include "tests/layer_builders.hpp"
#include "tests/test_support.hpp"
#include "trainers/kernels/batch_norm_kernel.hpp"
#include "trainers/training/network.hpp"

namespace hwnas::test {

namespace {

// The parameters (or state) of `layer`'s block `name`.
Eigen::Map<Eigen::VectorXf> block(Network& net, int layer, const std::string& name) {
  for (const ParamBlock& b : net.blocks())
    if (b.layer == layer && b.name == name)
      return {(b.trainable ? net.parameters() : net.state()).data() + b.offset, b.size};
  FAIL("no block ", name);
  return {nullptr, 0};
}

// Output of a one-layer network on a single 5x5x1 sample holding 1, 2, ..., 25.
Tensor forward_ramp(Layer layer, const std::function<void(Network&)>& set = {}) {
  Network net(Architecture("ramp", {5, 5, 1}, {std::move(layer)}), 1, 1);
  for (int i = 0; i < 25; ++i) net.input()(0, i) = float(i + 1);
  if (set) set(net);
  net.forward(1, Mode::kInference);
  return net.output().topRows(1);
}

}  // namespace

TEST_SUITE("gradient_check") {
  TEST_CASE("forward values follow TensorFlow's padding rule") {
    // 5x5, window 2, stride 2, same: 3x3 output, pad_total 1, all of it after.
    const Tensor c = forward_ramp(conv("c", "input", 1, 2, 2, Padding::kSame), [](Network& net) {
      block(net, 0, "kernel").setOnes();
      block(net, 0, "bias").setZero();
    });
    CHECK(c(0, 0) == 1 + 2 + 6 + 7);
    CHECK(c(0, 8) == 25);
    // Window 3, stride 2, same: pad_total 2, one before and one after; averages count
    // only the valid elements.
    const Tensor avg = forward_ramp(pool("p", OpKind::kAvgPool2D, "input", 3, 2, Padding::kSame));
    CHECK(avg(0, 0) == doctest::Approx((1 + 2 + 6 + 7) / 4.0));
    CHECK(avg(0, 4) == doctest::Approx(13.0));
    CHECK(avg(0, 8) == doctest::Approx((19 + 20 + 24 + 25) / 4.0));
    const Tensor max = forward_ramp(pool("p", OpKind::kMaxPool2D, "input", 3, 2, Padding::kSame));
    CHECK(max(0, 0) == 7);
    CHECK(max(0, 8) == 25);
    const Tensor valid =
        forward_ramp(pool("p", OpKind::kMaxPool2D, "input", 2, 2, Padding::kValid));
    REQUIRE(valid.cols() == 4);
    CHECK(valid(0, 3) == 19);
  }
  TEST_CASE("depthwise output channel c*M+m uses weight c*M+m of input channel c") {
    Network net(Architecture("dw", {1, 1, 2}, {depthwise("d", "input", 1, 1, Padding::kValid, 2)}),
                1, 1);
    net.input() << 2.0f, 3.0f;
    block(net, 0, "kernel") << 1.0f, 10.0f, 100.0f, 1000.0f;
    block(net, 0, "bias").setZero();
    net.forward(1, Mode::kInference);
    CHECK(net.output()(0, 0) == 2.0f);
    CHECK(net.output()(0, 1) == 20.0f);
    CHECK(net.output()(0, 2) == 300.0f);
    CHECK(net.output()(0, 3) == 3000.0f);
  }
  TEST_CASE("batch_norm: debiased moving averages in training, used in inference") {
    Network net(Architecture("bn", {1, 1, 1}, {make_test_layer("bn", OpKind::kBatchNorm, {"input"})}), 4,
                1);
    net.input() << 1.0f, 2.0f, 3.0f, 6.0f;  // mean 3, biased variance 3.5
    net.forward(4, Mode::kTraining);
    // The first update copies the batch statistics (zero-debiased averages).
    CHECK(block(net, 0, "moving_mean")[0] == doctest::Approx(3.0));
    CHECK(block(net, 0, "moving_variance")[0] == doctest::Approx(3.5));
    net.input() << 2.0f, 2.0f, 2.0f, 2.0f;  // mean 2, variance 0
    net.forward(4, Mode::kTraining);
    // Weights 0.99 and 1 for the two batches.
    CHECK(block(net, 0, "moving_mean")[0] == doctest::Approx((0.99 * 3.0 + 2.0) / 1.99));
    CHECK(block(net, 0, "moving_variance")[0] == doctest::Approx(0.99 * 3.5 / 1.99));
    net.input() << 1.0f, 2.0f, 3.0f, 6.0f;
    net.forward(4, Mode::kTraining);
    CHECK(net.output()(3, 0) == doctest::Approx(3.0 / std::sqrt(3.5 + 1e-3)).epsilon(1e-5));
    block(net, 0, "moving_mean")[0] = 1.0f;
    block(net, 0, "moving_variance")[0] = 4.0f;
    block(net, 0, "gamma")[0] = 2.0f;
    block(net, 0, "beta")[0] = 0.5f;
    net.forward(4, Mode::kInference);
    CHECK(net.output()(3, 0) == doctest::Approx(2.0 * 5.0 / std::sqrt(4.0 + 1e-3) + 0.5));
  }
  TEST_CASE("batch_norm statistics of inputs far from zero (mean 1003, variance 3.5)") {
    Network net(Architecture("bn", {1, 1, 1}, {make_test_layer("bn", OpKind::kBatchNorm, {"input"})}), 4,
                1, NetworkOptions{2});  // two chunks: their partial moments are combined
    net.input() << 1001.0f, 1002.0f, 1003.0f, 1006.0f;
    net.forward(4, Mode::kTraining);
    CHECK(block(net, 0, "moving_mean")[0] == doctest::Approx(1003.0));
    CHECK(block(net, 0, "moving_variance")[0] == doctest::Approx(3.5).epsilon(1e-6));
    CHECK(net.output()(3, 0) == doctest::Approx(3.0 / std::sqrt(3.5 + 1e-3)).epsilon(1e-5));
  }
}

}  // namespace hwnas::test
