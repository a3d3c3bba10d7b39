// This file implements the central finite-difference checks of every training kernel:
// for a small network around the op under test, the analytic gradients of
// L = sum(w .* output) with respect to the network input and every parameter must
// match (L(x + eps) - L(x - eps)) / (2 eps). Computation is in float, L is summed in
// double; inputs of kinked ops (relu, relu6, max_pool) stay further than eps from kinks.
// Batches span several chunks (chunk_rows 4) so cross-chunk reductions are covered.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "space/architecture.hpp"
#include "trainers/kernels/batch_norm_kernel.hpp"
#include "trainers/training/network.hpp"
#include "trainers/training/softmax_cross_entropy.hpp"
#include "tests/layer_builders.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

enum class InputKind {
  kNormal,  ///< standard normal
  kSpaced,  ///< per sample, a permutation of (k - n/2 + 0.3) * spacing: distinct values,
            ///< none closer than 0.3 * spacing to a multiple of spacing (0 and 6 for relu6)
};

struct CheckSpec {
  int batch = 10;  // chunks of 4, 4 and 2 samples
  double eps = 1e-2;
  double tolerance = 1e-2;
  InputKind input = InputKind::kNormal;
  double spacing = 0.1;
  int max_checks = 60;  // sampled entries per group (all if fewer)
};

void fill_input(Tensor& x, int batch, const CheckSpec& spec, std::mt19937_64& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int n = int(x.cols());
  std::vector<int> perm(size_t(n), 0);
  for (int r = 0; r < batch; ++r) {
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    for (int j = 0; j < n; ++j)
      x(r, j) = spec.input == InputKind::kNormal
                    ? normal(rng)
                    : float((perm[size_t(j)] - n / 2 + 0.3) * spec.spacing);
  }
}

// Moves parameters and state off their constant initial values (biases 0, gamma 1, ...).
void perturb_parameters(Network& net, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> u(-0.3f, 0.3f);
  for (Eigen::Index i = 0; i < net.parameters().size(); ++i) net.parameters()[i] += u(rng);
  for (Eigen::Index i = 0; i < net.state().size(); ++i) net.state()[i] += 0.5f * std::abs(u(rng));
}

double projected_loss(Network& net, int batch, const Tensor& w) {
  net.forward(batch, Mode::kTraining);
  return (net.logits().topRows(batch).cast<double>().array() * w.cast<double>().array()).sum();
}

std::vector<Eigen::Index> sample_indices(Eigen::Index n, int max_checks, std::mt19937_64& rng) {
  std::vector<Eigen::Index> all(static_cast<size_t>(n));
  std::iota(all.begin(), all.end(), Eigen::Index(0));
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(std::min(all.size(), size_t(max_checks)));
  return all;
}

// Largest error of the numerical vs analytic derivative over `indices` of `values`,
// relative to max(|numeric|, |analytic|, 1% of the group's largest analytic value).
template <typename Loss, typename Values>
double worst_error(const Loss& loss, Values& values, const std::vector<Eigen::Index>& indices,
                   const std::vector<float>& analytic, double eps) {
  float scale = 0.0f;
  for (float a : analytic) scale = std::max(scale, std::abs(a));
  double worst = 0.0;
  for (size_t k = 0; k < indices.size(); ++k) {
    float& v = values(indices[k]);
    const float saved = v;
    v = float(saved + eps);
    const double plus = loss();
    v = float(saved - eps);
    const double minus = loss();
    v = saved;
    const double numeric = (plus - minus) / (2 * eps);
    const double a = analytic[k];
    const double denom = std::max({std::abs(numeric), std::abs(a), 0.01 * scale, 1e-6});
    worst = std::max(worst, std::abs(numeric - a) / denom);
  }
  return worst;
}

// Checks dL/d input and dL/d parameters of `net` (whose gradients() and input_grad()
// hold the analytic values at the current point) against central differences of loss().
template <typename Loss>
void check_against(Network& net, const Loss& loss, const CheckSpec& spec, std::mt19937_64& rng,
                   const std::string& name) {
  Tensor x_view = net.input().topRows(spec.batch);  // sampled over the live rows only
  const auto in_idx = sample_indices(x_view.size(), spec.max_checks, rng);
  std::vector<float> in_grad;
  for (auto i : in_idx) {
    const Eigen::Index r = i / x_view.cols(), c = i % x_view.cols();
    in_grad.push_back(net.input_grad()(r, c));
  }
  auto input_at = [&](Eigen::Index i) -> float& {
    return net.input()(i / x_view.cols(), i % x_view.cols());
  };
  const double input_error = worst_error(loss, input_at, in_idx, in_grad, spec.eps);
  INFO("architecture ", name, ": input gradient, worst relative error ", input_error);
  CHECK(input_error < spec.tolerance);

  const auto p_idx = sample_indices(net.parameters().size(), spec.max_checks, rng);
  std::vector<float> p_grad;
  for (auto i : p_idx) p_grad.push_back(net.gradients()[i]);
  auto param_at = [&](Eigen::Index i) -> float& { return net.parameters()[i]; };
  const double param_error = worst_error(loss, param_at, p_idx, p_grad, spec.eps);
  INFO("architecture ", name, ": parameter gradient, worst relative error ", param_error);
  CHECK(param_error < spec.tolerance);
}

void check_gradients(const Architecture& arch, const CheckSpec& spec = {}) {
  std::mt19937_64 rng(1234);
  Network net(arch, spec.batch, 7, NetworkOptions{4, true});
  fill_input(net.input(), spec.batch, spec, rng);
  perturb_parameters(net, rng);
  Tensor w(spec.batch, net.logits().cols());
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = normal(rng);

  // A first pass with other weights leaves stale values in every gradient buffer: the
  // second must overwrite or clear them.
  for (const float sign : {-3.0f, 1.0f}) {
    projected_loss(net, spec.batch, w);
    net.logits_grad().topRows(spec.batch) = sign * w;
    net.backward();
  }
  check_against(
      net, [&] { return projected_loss(net, spec.batch, w); }, spec, rng, arch.name());
}

Architecture single(const std::string& name, TensorShape in, Layer layer) {
  return Architecture(name, in, {std::move(layer)});
}

}  // namespace

TEST_SUITE("gradient_check") {
  TEST_CASE("conv2d same padding, stride 1, with bias") {
    check_gradients(single("conv_same", {5, 5, 3}, conv("c", "input", 4, 3, 1, Padding::kSame)));
  }
  TEST_CASE("conv2d valid padding, stride 2, without bias") {
    check_gradients(
        single("conv_valid_s2", {7, 6, 2}, conv("c", "input", 3, 3, 2, Padding::kValid, false)));
  }
  TEST_CASE("conv2d same padding, stride 2, asymmetric padding (even kernel)") {
    check_gradients(single("conv_same_s2", {5, 5, 2}, conv("c", "input", 3, 2, 2, Padding::kSame)));
    check_gradients(
        single("conv_same_s2_k3", {6, 6, 2}, conv("c", "input", 3, 3, 2, Padding::kSame)));
  }
  TEST_CASE("conv2d pointwise 1x1 (no im2col)") {
    check_gradients(single("conv_1x1", {4, 3, 5}, conv("c", "input", 6, 1, 1, Padding::kSame)));
  }
  TEST_CASE("depthwise_conv2d, multiplier 1 and 2, same and valid, stride 1 and 2") {
    check_gradients(single("dw_same", {5, 5, 3}, depthwise("d", "input", 3, 1, Padding::kSame, 1)));
    check_gradients(
        single("dw_valid_s2_m2", {7, 7, 3}, depthwise("d", "input", 3, 2, Padding::kValid, 2)));
    check_gradients(
        single("dw_same_s2_m2", {6, 5, 2}, depthwise("d", "input", 3, 2, Padding::kSame, 2)));
  }
  TEST_CASE("depthwise_conv2d register blocks: 27 channels are blocks of 16, 8 and 1") {
    check_gradients(single("dw_c27_s2", {5, 4, 27}, depthwise("d", "input", 3, 2, Padding::kSame, 1)));
    check_gradients(single("dw_c24_k5", {6, 6, 24}, depthwise("d", "input", 5, 1, Padding::kValid, 1)));
    // 3x3 and 5x5 run on a padded copy (depthwise_fixed_window): odd sizes, both paddings,
    // stride 2; other kernel sizes (4x4, 1x3) take the general per-pixel loops.
    check_gradients(single("dw_c40_k5_s2", {7, 6, 40}, depthwise("d", "input", 5, 2, Padding::kSame, 1)));
    check_gradients(single("dw_c9_k3_valid_s2", {8, 7, 9}, depthwise("d", "input", 3, 2, Padding::kValid, 1)));
    check_gradients(single("dw_c20_k4", {6, 5, 20}, depthwise("d", "input", 4, 1, Padding::kSame, 1)));
    Layer wide = depthwise("d", "input", 3, 1, Padding::kSame, 1);
    wide.kernel_h = 1;
    check_gradients(single("dw_c17_k1x3", {4, 5, 17}, wide));
  }
  TEST_CASE("dense with and without bias") {
    check_gradients(single("dense", {1, 1, 12}, dense("d", "input", 5)));
    check_gradients(single("dense_nobias", {1, 1, 7}, dense("d", "input", 3, false)));
  }
  TEST_CASE("avg_pool2d same (partial windows) and valid") {
    check_gradients(single("avg_same", {5, 5, 2},
                           pool("p", OpKind::kAvgPool2D, "input", 3, 2, Padding::kSame)));
    check_gradients(single("avg_valid", {6, 4, 3},
                           pool("p", OpKind::kAvgPool2D, "input", 2, 2, Padding::kValid)));
  }
  TEST_CASE("max_pool2d same and valid") {
    CheckSpec spec;
    spec.input = InputKind::kSpaced;
    check_gradients(
        single("max_same", {5, 5, 2}, pool("p", OpKind::kMaxPool2D, "input", 3, 2, Padding::kSame)),
        spec);
    check_gradients(single("max_valid", {6, 4, 3},
                           pool("p", OpKind::kMaxPool2D, "input", 2, 2, Padding::kValid)),
                    spec);
    // Disjoint windows that leave the last row and column out (their gradient is 0).
    check_gradients(single("max_valid_rest", {5, 5, 2},
                           pool("p", OpKind::kMaxPool2D, "input", 2, 2, Padding::kValid)),
                    spec);
    check_gradients(single("max_same_s3", {7, 8, 2},
                           pool("p", OpKind::kMaxPool2D, "input", 3, 3, Padding::kSame)),
                    spec);
  }
  TEST_CASE("global_avg_pool") {
    check_gradients(single("gap", {4, 3, 5}, make_test_layer("g", OpKind::kGlobalAvgPool, {"input"})));
  }
  TEST_CASE("relu and relu6 across their kinks") {
    CheckSpec spec;
    spec.input = InputKind::kSpaced;
    check_gradients(single("relu", {3, 3, 4}, make_test_layer("r", OpKind::kReLU, {"input"})), spec);
    spec.spacing = 0.2;  // values reach beyond 6
    check_gradients(single("relu6", {3, 3, 8}, make_test_layer("r", OpKind::kReLU6, {"input"})), spec);
  }
  TEST_CASE("batch_norm in training mode (batch statistics over three chunks)") {
    Layer bn = make_test_layer("bn", OpKind::kBatchNorm, {"input"});
    check_gradients(single("bn", {3, 3, 4}, bn));
    check_gradients(single("bn_flat", {1, 1, 6}, bn));
  }
  TEST_CASE("add of three inputs, one of them the network input twice consumed") {
    std::vector<Layer> layers = {conv("a", "input", 3, 3, 1, Padding::kSame),
                                 conv("b", "input", 3, 1, 1, Padding::kSame),
                                 make_test_layer("sum", OpKind::kAdd, {"input", "a", "b"})};
    check_gradients(Architecture("add3", {4, 4, 3}, layers));
  }
  TEST_CASE("concat of three inputs with different channel counts") {
    std::vector<Layer> layers = {conv("a", "input", 2, 3, 1, Padding::kSame),
                                 depthwise("b", "input", 3, 1, Padding::kSame, 2),
                                 make_test_layer("cat", OpKind::kConcat, {"a", "input", "b"})};
    check_gradients(Architecture("concat3", {4, 4, 3}, layers));
  }
  TEST_CASE("kernels that assign a gradient also accumulate it") {
    // b = op(input) is listed before the pointwise conv a: in backward order a writes the
    // input gradient first and op must add to it (the single-op cases cover assigning).
    auto check_accumulates = [](Layer op, TensorShape in) {
      op.name = "b";
      std::vector<Layer> layers = {op, conv("a", "input", 2, 1, 1, Padding::kSame),
                                   make_test_layer("fb", OpKind::kFlatten, {"b"}),
                                   make_test_layer("fa", OpKind::kFlatten, {"a"}),
                                   make_test_layer("cat", OpKind::kConcat, {"fb", "fa"})};
      CheckSpec spec;
      spec.input = InputKind::kSpaced;
      check_gradients(Architecture(std::string("accumulate_") + op_name(op.op), in, layers), spec);
    };
    const TensorShape image{2, 2, 3}, flat{1, 1, 6};
    for (OpKind op : {OpKind::kReLU, OpKind::kReLU6, OpKind::kSoftmax, OpKind::kBatchNorm,
                      OpKind::kFlatten, OpKind::kGlobalAvgPool})
      check_accumulates(make_test_layer("", op, {"input"}), image);
    check_accumulates(depthwise("", "input", 3, 1, Padding::kSame, 1), image);
    Layer reshape = make_test_layer("", OpKind::kReshape, {"input"});
    reshape.target_shape = {3, 2, 2};
    check_accumulates(reshape, image);
    check_accumulates(make_test_layer("", OpKind::kAdd, {"input", "input"}), image);
    check_accumulates(make_test_layer("", OpKind::kConcat, {"input", "input"}), image);
    check_accumulates(dense("", "input", 4), flat);
    check_accumulates(conv("", "input", 3, 1, 1, Padding::kValid), image);
    check_accumulates(pool("", OpKind::kMaxPool2D, "input", 2, 2, Padding::kValid), image);
    check_accumulates(pool("", OpKind::kMaxPool2D, "input", 2, 1, Padding::kSame), image);
  }
  TEST_CASE("flatten, reshape and an intermediate softmax") {
    check_gradients(single("flatten", {2, 3, 2}, make_test_layer("f", OpKind::kFlatten, {"input"})));
    Layer reshape = make_test_layer("r", OpKind::kReshape, {"input"});
    reshape.target_shape = {3, 2, 2};
    check_gradients(single("reshape", {2, 3, 2}, reshape));
    std::vector<Layer> layers = {make_test_layer("s", OpKind::kSoftmax, {"input"}),
                                 make_test_layer("f", OpKind::kFlatten, {"s"})};
    check_gradients(Architecture("softmax", {2, 2, 5}, layers));
  }
  TEST_CASE("softmax cross-entropy fused with a final softmax, with label smoothing") {
    const Architecture arch("fused", {1, 1, 6},
                            {dense("fc", "input", 4), make_test_layer("sm", OpKind::kSoftmax, {"fc"})});
    CheckSpec spec;
    std::mt19937_64 rng(99);
    Network net(arch, spec.batch, 3, NetworkOptions{4, true});
    CHECK(net.fuses_softmax());
    fill_input(net.input(), spec.batch, spec, rng);
    const std::vector<int32_t> labels = {0, 1, 2, 3, 0, 1, 2, 3, 3, 2};
    auto loss = [&] {
      net.forward(spec.batch, Mode::kTraining);
      return softmax_cross_entropy(net.logits(), spec.batch, labels.data(), 0.1, 1.0f, nullptr)
                 .loss /
             spec.batch;
    };
    loss();
    softmax_cross_entropy(net.logits(), spec.batch, labels.data(), 0.1, 1.0f / float(spec.batch),
                          &net.logits_grad());
    net.backward();
    // The network output is the softmax of the logits.
    CHECK(net.output().row(0).sum() == doctest::Approx(1.0).epsilon(1e-6));
    check_against(net, loss, spec, rng, arch.name());
  }
  TEST_CASE("softmax cross-entropy values") {
    Tensor logits = Tensor::Zero(2, 4);
    logits(1, 2) = 100.0f;  // stable for large logits
    const std::vector<int32_t> labels = {1, 2};
    const LossSums sums = softmax_cross_entropy(logits, 2, labels.data(), 0.0, 1.0f, nullptr);
    CHECK(sums.loss == doctest::Approx(std::log(4.0)).epsilon(1e-9));
    CHECK(sums.correct == 1);  // row 0 ties: the first class wins
    // Label smoothing 0.2 over 4 classes: targets 0.05 / 0.85 on uniform logits.
    CHECK(softmax_cross_entropy(logits, 1, labels.data(), 0.2, 1.0f, nullptr).loss ==
          doctest::Approx(std::log(4.0)).epsilon(1e-9));
    logits(0, 0) = std::nanf("");
    CHECK(std::isnan(softmax_cross_entropy(logits, 1, labels.data(), 0.0, 1.0f, nullptr).loss));
  }
  TEST_CASE("a small DAG: conv, batch_norm, avg_pool, depthwise, add, concat") {
    // Smooth ops only: a parameter step moves every activation, so inside a network some
    // would cross a relu or max_pool kink (those are checked alone, on spaced inputs).
    // It ends in the concatenation: a global average after batch norm would make the
    // input gradient tiny (batch norm cancels it) and float finite differences noisy.
    std::vector<Layer> layers = {conv("c1", "input", 4, 3, 1, Padding::kSame),
                                 make_test_layer("bn", OpKind::kBatchNorm, {"c1"}),
                                 pool("mp", OpKind::kAvgPool2D, "bn", 2, 2, Padding::kValid),
                                 depthwise("dw", "mp", 3, 1, Padding::kSame, 1),
                                 conv("pw", "mp", 4, 1, 1, Padding::kSame),
                                 make_test_layer("sum", OpKind::kAdd, {"dw", "pw"}),
                                 make_test_layer("cat", OpKind::kConcat, {"sum", "mp"})};
    // eps 3e-2: with 1e-2 the float noise of L(x +- eps) alone gave relative errors of
    // 0.009 to 0.018 on the input gradient, depending on the GEMMs' summation order.
    CheckSpec spec;
    spec.eps = 3e-2;
    check_gradients(Architecture("dag", {6, 6, 2}, layers), spec);
  }
}

}  // namespace hwnas::test
