// This file implements the small networks and random weights and inputs that the
// quantisation tests share (quantize_test.cpp, int8_batch_runner_test.cpp, qat_test.cpp,
// fake_quantization_test.cpp): together with
// DS-CNN and ResNet-8 they cover every kind of deployed op.
#pragma once

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/layer_builders.hpp"
#include "tests/test_support.hpp"
#include "trainers/data/dataset.hpp"
#include "trainers/training/network.hpp"
#include "trainers/training/trainer.hpp"

namespace hwnas::test {

inline Layer op(const std::string& name, OpKind kind, std::vector<std::string> inputs) {
  return make_test_layer(name, kind, std::move(inputs));
}

// Depthwise with multiplier 2 (strided, valid padding) between BN+ReLU6 and pointwise convs.
inline Architecture depthwise_net() {
  Layer dw = make_test_layer("dw", OpKind::kDepthwiseConv2D, {"r1"});
  dw.kernel_h = dw.kernel_w = 3;
  dw.stride_h = dw.stride_w = 2;
  dw.padding = Padding::kValid;
  dw.depth_multiplier = 2;
  return Architecture("depthwise_net", {9, 9, 3},
                      {conv("c1", "input", 4, 3), op("bn1", OpKind::kBatchNorm, {"c1"}),
                       op("r1", OpKind::kReLU6, {"bn1"}), dw, op("bn2", OpKind::kBatchNorm, {"dw"}),
                       op("r2", OpKind::kReLU, {"bn2"}), conv("pw", "r2", 8, 1),
                       op("gap", OpKind::kGlobalAvgPool, {"pw"}), dense("fc", "gap", 5),
                       op("sm", OpKind::kSoftmax, {"fc"})});
}

// Average pooling with partial windows ("same", stride 2), then a batch norm that cannot
// be folded (a kScale op) with a fused ReLU, flatten and dense.
inline Architecture avg_pool_net() {
  return Architecture("avg_pool_net", {10, 10, 2},
                      {conv("c1", "input", 6, 5, 2), op("r1", OpKind::kReLU, {"c1"}),
                       pool("ap", OpKind::kAvgPool2D, "r1", 3, 2, Padding::kSame),
                       op("bn", OpKind::kBatchNorm, {"ap"}), op("r2", OpKind::kReLU, {"bn"}),
                       op("f", OpKind::kFlatten, {"r2"}), dense("fc", "f", 4)});
}

// Concat of a ReLU branch and a linear branch (different scales, so requantised), max
// pool, a residual add with a fused ReLU, global pooling, a standalone ReLU, softmax.
inline Architecture concat_net() {
  return Architecture("concat_net", {8, 8, 3},
                      {conv("a", "input", 4, 3), op("ra", OpKind::kReLU, {"a"}),
                       conv("b", "input", 3, 1), op("cat", OpKind::kConcat, {"ra", "b"}),
                       pool("mp", OpKind::kMaxPool2D, "cat", 2, 2), conv("pw", "mp", 7, 1),
                       op("sum", OpKind::kAdd, {"mp", "pw"}), op("rs", OpKind::kReLU, {"sum"}),
                       op("gap", OpKind::kGlobalAvgPool, {"rs"}), op("rg", OpKind::kReLU6, {"gap"}),
                       dense("fc", "rg", 3), op("sm", OpKind::kSoftmax, {"fc"})});
}

// A small CNN for 28x28x1 images (Fashion-MNIST): conv-BN-ReLU, max pool, strided
// conv-BN-ReLU, flatten, dense, softmax.
inline Architecture fashion_cnn() {
  return Architecture("fashion_cnn", {28, 28, 1},
                      {conv("c1", "input", 8, 3), op("bn1", OpKind::kBatchNorm, {"c1"}),
                       op("r1", OpKind::kReLU, {"bn1"}), pool("mp", OpKind::kMaxPool2D, "r1", 2, 2),
                       conv("c2", "mp", 16, 3, 2), op("bn2", OpKind::kBatchNorm, {"c2"}),
                       op("r2", OpKind::kReLU, {"bn2"}), op("f", OpKind::kFlatten, {"r2"}),
                       dense("fc", "f", 10), op("sm", OpKind::kSoftmax, {"fc"})});
}

// The recipe the quantisation tests train with: one epoch of Adam.
inline TrainingOptions adam_recipe() {
  TrainingOptions o;
  o.epochs = 1;
  o.batch_size = 32;
  o.optimizer = OptimizerKind::kAdam;
  o.learning_rate = 0.003;
  return o;
}

// A network's weights as initialised, with biases and batch-norm parameters and
// statistics drawn at random too (they start at 0 and 1, which would hide mistakes).
inline TrainedModel random_weights(Network& net, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (const ParamBlock& b : net.blocks()) {
    float* p = (b.trainable ? net.parameters().data() : net.state().data()) + b.offset;
    for (int64_t i = 0; i < b.size; ++i) {
      if (b.name == "bias" || b.name == "beta" || b.name == "moving_mean") p[i] = 0.2f * u(rng);
      if (b.name == "gamma") p[i] = 1.0f + 0.4f * u(rng);
      if (b.name == "moving_variance") p[i] = 1.2f + u(rng);
    }
  }
  return snapshot_model(net);
}

inline Dataset random_inputs(const Architecture& arch, int n, uint64_t seed) {
  Dataset d;
  d.name = "random";
  d.sample_shape = arch.input_shape();
  d.num_classes = int(arch.output_shape().elements());
  d.x.resize(n, arch.input_shape().elements());
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (Eigen::Index i = 0; i < d.x.size(); ++i) d.x.data()[i] = normal(rng);
  d.y.assign(size_t(n), 0);
  return d;
}

}  // namespace hwnas::test
