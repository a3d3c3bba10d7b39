// This file implements the tests of the training engine: a tiny CNN learns a synthetic
// three-class problem, results are bit-identical for a seed and for 1 or 2 threads,
// a diverging run is reported (not thrown), and the optimiser and schedule formulas.
#include "trainers/training/trainer.hpp"

#include <doctest/doctest.h>

#include "tests/test_support.hpp"
#include <tbb/task_arena.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "trainers/training/lr_schedule.hpp"
#include "trainers/training/model_weights.hpp"
#include "trainers/training/network.hpp"
#include "trainers/training/optimizer.hpp"
#include "trainers/training/training_loop.hpp"

namespace hwnas::test {

namespace {

// 8x8x1 images of a horizontal, a vertical or a diagonal line at a random offset, plus
// Gaussian noise: the classes differ only in orientation, so a CNN must learn filters.
Dataset make_lines(int n, uint64_t seed) {
  Dataset d;
  d.name = "lines";
  d.sample_shape = {8, 8, 1};
  d.num_classes = 3;
  d.x = RowMatrix::Zero(n, 64);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.3f);
  std::uniform_int_distribution<int> offset(0, 7);
  for (int i = 0; i < n; ++i) {
    const int label = i % 3, at = offset(rng);
    for (int k = 0; k < 8; ++k) {
      const int row = label == 0 ? at : k;
      const int col = label == 1 ? at : label == 0 ? k : (k + at) % 8;
      d.x(i, row * 8 + col) = 1.0f;
    }
    for (int j = 0; j < 64; ++j) d.x(i, j) += noise(rng);
    d.y.push_back(label);
  }
  return d;
}


Layer conv(const std::string& name, const std::string& in, int filters, int k) {
  Layer l = make_test_layer(name, OpKind::kConv2D, {in});
  l.filters = filters;
  l.kernel_h = l.kernel_w = k;
  return l;
}

Layer max_pool(const std::string& name, const std::string& in) {
  Layer l = make_test_layer(name, OpKind::kMaxPool2D, {in});
  l.kernel_h = l.kernel_w = l.stride_h = l.stride_w = 2;
  return l;
}

Layer dense(const std::string& name, const std::string& in, int units) {
  Layer l = make_test_layer(name, OpKind::kDense, {in});
  l.units = units;
  return l;
}

// conv 8 -> bn -> relu -> max_pool -> conv 16 -> relu -> global_avg_pool -> dense -> softmax
Architecture tiny_cnn() {
  return Architecture(
      "tiny_cnn", {8, 8, 1},
      {conv("c1", "input", 8, 3), make_test_layer("bn", OpKind::kBatchNorm, {"c1"}),
       make_test_layer("r1", OpKind::kReLU, {"bn"}), max_pool("p1", "r1"), conv("c2", "p1", 16, 3),
       make_test_layer("r2", OpKind::kReLU, {"c2"}), make_test_layer("gap", OpKind::kGlobalAvgPool, {"r2"}),
       dense("fc", "gap", 3), make_test_layer("sm", OpKind::kSoftmax, {"fc"})});
}

// A DAG with every kind of merge and both normalisations, for the determinism checks.
Architecture tiny_dag() {
  Layer dw = make_test_layer("dw", OpKind::kDepthwiseConv2D, {"bn"});
  dw.kernel_h = dw.kernel_w = 3;
  dw.depth_multiplier = 2;
  return Architecture(
      "tiny_dag", {8, 8, 1},
      {conv("c1", "input", 4, 3), make_test_layer("bn", OpKind::kBatchNorm, {"c1"}), dw,
       make_test_layer("r", OpKind::kReLU6, {"dw"}), conv("pw", "bn", 8, 1),
       make_test_layer("sum", OpKind::kAdd, {"r", "pw"}), make_test_layer("cat", OpKind::kConcat, {"sum", "c1"}),
       max_pool("p", "cat"), make_test_layer("bn2", OpKind::kBatchNorm, {"p"}),
       make_test_layer("f", OpKind::kFlatten, {"bn2"}), dense("fc", "f", 3)});
}

TrainingOptions recipe() {
  TrainingOptions o;
  o.epochs = 3;
  o.batch_size = 32;
  o.learning_rate = 0.05;
  o.warmup_epochs = 0.5;
  return o;
}

void check_identical(const TrainResult& a, const TrainResult& b) {
  CHECK(a.ok == b.ok);
  CHECK(a.train_loss == b.train_loss);  // exact, not approximate
  CHECK(a.train_accuracy == b.train_accuracy);
  CHECK(a.validation_accuracy == b.validation_accuracy);
  CHECK(a.test_accuracy == b.test_accuracy);
  CHECK(a.steps == b.steps);
}

}  // namespace

TEST_SUITE("trainer") {
  TEST_CASE("a tiny CNN learns oriented lines well above chance") {
    const Dataset train = make_lines(360, 1), validation = make_lines(150, 2);
    int epochs_seen = 0;
    const TrainResult r = train_and_evaluate(tiny_cnn(), train, validation, &validation, recipe(),
                                             42, [&](const EpochReport& e) {
                                               ++epochs_seen;
                                               CHECK(e.epoch == epochs_seen);
                                               CHECK(e.images_per_second > 0);
                                             });
    INFO("failure: ", r.failure, ", loss ", r.train_loss, ", validation ", r.validation_accuracy);
    REQUIRE(r.ok);
    CHECK(epochs_seen == 3);
    CHECK(r.steps == 3 * 12);
    CHECK(r.validation_accuracy > 0.8);  // chance is 1/3
    CHECK(r.test_accuracy == r.validation_accuracy);
    CHECK(r.train_loss < std::log(3.0));
    CHECK(r.images_per_second > 0);
  }

  TEST_CASE("the same seed gives an identical result, another seed a different one") {
    const Dataset train = make_lines(200, 3), validation = make_lines(90, 4);
    TrainingOptions o = recipe();
    o.epochs = 2;
    const TrainResult a = train_and_evaluate(tiny_cnn(), train, validation, nullptr, o, 7);
    const TrainResult b = train_and_evaluate(tiny_cnn(), train, validation, nullptr, o, 7);
    check_identical(a, b);
    CHECK(a.test_accuracy == -1.0);
    const TrainResult c = train_and_evaluate(tiny_cnn(), train, validation, nullptr, o, 8);
    CHECK(c.train_loss != a.train_loss);
  }

  TEST_CASE("1 and 2 threads give bit-identical parameters and results") {
    // Batches of 64 are 4 chunks of 16 (the last batch of an epoch 3): chunk gradients and
    // batch-norm statistics are reduced across chunks, whichever thread computed them.
    const Dataset train = make_lines(300, 5), validation = make_lines(60, 6);
    for (const OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kAdam}) {
      TrainingOptions o = recipe();
      o.epochs = 2;
      o.batch_size = 64;
      o.optimizer = kind;
      o.learning_rate = kind == OptimizerKind::kAdam ? 0.003 : 0.05;
      o.label_smoothing = 0.1;
      auto run = [&](int threads, Eigen::VectorXf& params, Eigen::VectorXf& state) {
        TrainResult r;
        tbb::task_arena arena(threads);
        arena.execute([&] {
          Network net(tiny_dag(), 64, 11);
          r = train_network(net, train, validation, &validation, o, 12);
          params = net.parameters();
          state = net.state();
        });
        return r;
      };
      Eigen::VectorXf p1, s1, p2, s2;
      const TrainResult one = run(1, p1, s1);
      const TrainResult two = run(2, p2, s2);
      REQUIRE(one.ok);
      check_identical(one, two);
      CHECK(p1 == p2);
      CHECK(s1 == s2);
      tbb::task_arena arena(1);
      const TrainResult via_api = arena.execute(
          [&] { return train_and_evaluate(tiny_dag(), train, validation, nullptr, o, 5); });
      tbb::task_arena arena2(2);
      check_identical(via_api, arena2.execute([&] {
        return train_and_evaluate(tiny_dag(), train, validation, nullptr, o, 5);
      }));
    }
  }

  TEST_CASE("augmentation: the same seed gives the same run, and it changes what is learned") {
    const Dataset train = make_lines(200, 13), validation = make_lines(60, 14);
    TrainingOptions o = recipe();
    o.epochs = 2;
    const TrainedModel plain = train_model(tiny_cnn(), train, validation, nullptr, o, 3);
    o.augment.max_shift = 2;
    o.augment.horizontal_flip = true;
    const TrainedModel a = train_model(tiny_cnn(), train, validation, nullptr, o, 3);
    tbb::task_arena one_thread(1);
    const TrainedModel b =
        one_thread.execute([&] { return train_model(tiny_cnn(), train, validation, nullptr, o, 3); });
    REQUIRE(a.result.ok);
    check_identical(a.result, b.result);
    CHECK(a.parameters == b.parameters);
    CHECK(a.parameters != plain.parameters);
    // Lines stay lines when shifted or mirrored: the task is still learned.
    CHECK(a.result.validation_accuracy > 0.6);
  }

  TEST_CASE("saved weights load back bit for bit, and a mismatched or damaged file is refused") {
    const Dataset train = make_lines(90, 15), validation = make_lines(30, 16);
    TrainingOptions o = recipe();
    o.epochs = 1;
    const TrainedModel model = train_model(tiny_cnn(), train, validation, nullptr, o, 4);
    TempDir dir("weights");
    save_model_weights(dir.path().string(), tiny_cnn(), model);
    const TrainedModel back = load_model_weights(dir.path().string(), tiny_cnn());
    CHECK(back.parameters == model.parameters);
    CHECK(back.state == model.state);
    REQUIRE(back.blocks.size() == model.blocks.size());
    CHECK(back.blocks[0].name == model.blocks[0].name);
    // Another architecture: the manifest's sizes do not match.
    CHECK_THROWS_AS(load_model_weights(dir.path().string(), tiny_dag()), UserError);
    // A truncated weights file.
    const std::string bin = dir.file("weights.bin");
    std::string bytes = read_text(bin);
    write_text(bin, bytes.substr(0, bytes.size() - 4));
    try {
      load_model_weights(dir.path().string(), tiny_cnn());
      FAIL("a truncated file loaded");
    } catch (const UserError& e) {
      CHECK(contains(e.what(), "weights.bin"));
      CHECK(contains(e.what(), "bytes"));
    }
  }

  TEST_CASE("a diverging run is reported as a failure, not thrown") {
    const Dataset train = make_lines(120, 9), validation = make_lines(30, 10);
    TrainingOptions o = recipe();
    o.learning_rate = 1e12;
    o.warmup_epochs = 0;
    TrainResult r;
    CHECK_NOTHROW(r = train_and_evaluate(tiny_dag(), train, validation, nullptr, o, 1));
    CHECK_FALSE(r.ok);
    INFO("failure: ", r.failure);
    CHECK((r.failure.find("NaN") != std::string::npos ||
           r.failure.find("infinite") != std::string::npos ||
           r.failure.find("non-finite") != std::string::npos));
  }

  TEST_CASE("data that does not fit the architecture is a user error") {
    Dataset wrong = make_lines(10, 1);
    wrong.num_classes = 4;
    CHECK_THROWS_AS(train_and_evaluate(tiny_cnn(), wrong, wrong, nullptr, recipe(), 1), UserError);
  }

  TEST_CASE("learning-rate schedule: linear warm-up then cosine decay") {
    const LrSchedule s(0.1, 4, 14);
    CHECK(s.at(0) == doctest::Approx(0.025));
    CHECK(s.at(3) == doctest::Approx(0.1));
    CHECK(s.at(4) == doctest::Approx(0.1));
    CHECK(s.at(9) == doctest::Approx(0.05));
    CHECK(s.at(13) == doctest::Approx(0.1 * 0.5 * (1 + std::cos(M_PI * 0.9))));
    CHECK(LrSchedule(0.1, 0, 10).at(0) == doctest::Approx(0.1));
  }

  TEST_CASE("SGD: Nesterov momentum, weight decay only where the block asks") {
    const std::vector<ParamBlock> blocks = {{0, "kernel", 0, 1, true, true},
                                            {0, "bias", 1, 1, true, false}};
    SgdOptimizer sgd(decay_factors(blocks, 2, 0.1), 0.9, true);
    Eigen::VectorXf w(2), g(2);
    w << 1.0f, 1.0f;
    g << 0.5f, 0.5f;
    sgd.step(w, g, 0.1f);
    // kernel: g' = 0.5 + 0.1 = 0.6, v = 0.6, w -= 0.1 * (0.6 + 0.9 * 0.6)
    CHECK(w[0] == doctest::Approx(1.0 - 0.1 * 1.14));
    // bias: g' = 0.5, v = 0.5, w -= 0.1 * (0.5 + 0.45)
    CHECK(w[1] == doctest::Approx(1.0 - 0.1 * 0.95));
  }

  TEST_CASE("Adam's first step moves each parameter by about the learning rate") {
    AdamOptimizer adam(Eigen::ArrayXf::Zero(2));
    Eigen::VectorXf w = Eigen::VectorXf::Zero(2), g(2);
    g << 3.0f, -0.01f;
    adam.step(w, g, 0.01f);
    CHECK(w[0] == doctest::Approx(-0.01).epsilon(1e-4));
    CHECK(w[1] == doctest::Approx(0.01).epsilon(1e-3));
  }
}

}  // namespace hwnas::test
