// This file implements the tests of the Network's activation fusion: a ReLU / ReLU6 that
// alone reads a batch norm's output runs inside the batch norm kernel. Fused and unfused
// networks compute the same arithmetic in the same order, so their outputs, parameter
// gradients and input gradients must be bit-identical; only the activations that nothing
// else shares are fused.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "space/architecture.hpp"
#include "trainers/training/network.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

Layer conv(const std::string& name, const std::string& in, int filters, int k) {
  Layer l = make_test_layer(name, OpKind::kConv2D, {in});
  l.filters = filters;
  l.kernel_h = l.kernel_w = k;
  l.padding = Padding::kSame;
  return l;
}

Layer depthwise(const std::string& name, const std::string& in) {
  Layer l = make_test_layer(name, OpKind::kDepthwiseConv2D, {in});
  l.kernel_h = l.kernel_w = 3;
  l.padding = Padding::kSame;
  return l;
}

Layer op(const std::string& name, OpKind kind, std::vector<std::string> inputs) {
  return make_test_layer(name, kind, std::move(inputs));
}

// conv-bn-relu, depthwise-bn-relu6 (both fusable), a pointwise conv whose batch norm feeds
// both a relu and an add (not fusable: the add reads the batch norm's own output), and a
// final bn-relu6 as the network output.
Architecture fusion_network() {
  std::vector<Layer> layers = {
      conv("c1", "input", 8, 3),         op("bn1", OpKind::kBatchNorm, {"c1"}),
      op("r1", OpKind::kReLU, {"bn1"}),  depthwise("dw", "r1"),
      op("bn2", OpKind::kBatchNorm, {"dw"}), op("r2", OpKind::kReLU6, {"bn2"}),
      conv("pw", "r2", 8, 1),            op("bn3", OpKind::kBatchNorm, {"pw"}),
      op("r3", OpKind::kReLU, {"bn3"}),  op("sum", OpKind::kAdd, {"r3", "bn3"}),
      op("bn4", OpKind::kBatchNorm, {"sum"}), op("r4", OpKind::kReLU6, {"bn4"})};
  return Architecture("fusion", {6, 6, 2}, layers);
}

struct Pass {
  Tensor training_output, inference_output, input_grad;
  Eigen::VectorXf gradients, state;
};

// Two training steps' worth of forward/backward (the second reads the first's moving
// statistics and stale gradient buffers), then an inference forward.
Pass run(bool fuse, int expect_fused) {
  constexpr int kBatch = 10;  // chunks of 4, 4 and 2 samples
  NetworkOptions options;
  options.chunk_rows = 4;
  options.input_gradient = true;
  options.fuse_activations = fuse;
  Network net(fusion_network(), kBatch, 11, options);
  CHECK(net.fused_activations() == expect_fused);
  // Batch norm outputs are about standard normal: gamma 4 takes some past relu6's 6.
  for (const ParamBlock& b : net.blocks())
    if (b.name == "gamma") net.parameters().segment(b.offset, b.size).setConstant(4.0f);
  std::mt19937_64 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (Eigen::Index i = 0; i < net.input().size(); ++i) net.input().data()[i] = normal(rng);
  Pass p;
  for (const float sign : {-2.0f, 1.0f}) {
    net.forward(kBatch, Mode::kTraining);
    for (Eigen::Index i = 0; i < net.logits_grad().size(); ++i)
      net.logits_grad().data()[i] = sign * float(i % 7) - 3.0f;
    net.backward();
  }
  p.training_output = net.output().topRows(kBatch);
  p.input_grad = net.input_grad().topRows(kBatch);
  p.gradients = net.gradients();
  p.state = net.state();
  net.forward(kBatch, Mode::kInference);
  p.inference_output = net.output().topRows(kBatch);
  return p;
}

}  // namespace

TEST_SUITE("activation_fusion") {
  TEST_CASE("fused batch norm and activation match the separate kernels bit for bit") {
    const Pass fused = run(true, 3), separate = run(false, 0);
    // The activations clamp some outputs, pass others: the comparison covers both sides.
    CHECK((separate.training_output.array() == 0.0f).count() > 0);
    CHECK((separate.training_output.array() == 6.0f).count() > 0);
    CHECK((separate.training_output.array() > 0.0f && separate.training_output.array() < 6.0f)
              .count() > 0);
    CHECK(fused.training_output == separate.training_output);
    CHECK(fused.inference_output == separate.inference_output);
    CHECK(fused.input_grad == separate.input_grad);
    CHECK(fused.gradients == separate.gradients);
    CHECK(fused.state == separate.state);
    CHECK(separate.gradients.cwiseAbs().maxCoeff() > 0.0f);
  }
}

}  // namespace hwnas::test
