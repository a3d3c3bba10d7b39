// This file implements the tests of quantisation-aware training: on real Fashion-MNIST
// images a network whose int8 model loses much accuracy (activation ranges calibrated on a
// single blank image) loses much less after fine-tuning, the search's int8 scoring runs QAT only
// past the threshold and keeps the better model on validation, and fine-tuning is
// bit-identical for a seed at 1 and 2 threads.
#include "trainers/qat/qat.hpp"

#include <doctest/doctest.h>
#include <tbb/task_arena.h>

#include <random>
#include <string>
#include <vector>

#include "search/int8_scoring.hpp"
#include "tests/quantize_test_nets.hpp"
#include "tests/test_support.hpp"
#include "trainers/data/dataset_config.hpp"
#include "trainers/deploy/int8_evaluation.hpp"

namespace hwnas::test {

namespace {

DatasetSplits fashion(int64_t train_limit, int64_t test_limit) {
  DatasetConfig config = fashion_mnist_config(train_limit, test_limit);
  config.validation_fraction = 0.3;
  return load_dataset(config, 1);
}

}  // namespace

TEST_SUITE("qat") {
  TEST_CASE("fine-tuning recovers int8 accuracy lost to bad activation ranges") {
    const DatasetSplits data = fashion(800, 200);
    const Architecture arch = fashion_cnn();
    const TrainingOptions training = adam_recipe();
    const TrainedModel trained = train_model(arch, data.train, data.validation, nullptr, training, 3);
    REQUIRE(trained.result.ok);
    // Calibrated on one unrepresentative sample, a blank image (it leads the training set):
    // every activation range is far too narrow, and int8 inference clips heavily.
    Dataset train = data.train;
    train.x.row(0).setConstant(train.x.minCoeff());
    Int8Options int8;
    int8.calibration_samples = 1;
    int8.qat_epochs = 2;
    int8.qat_learning_rate = 0.001;  // Adam
    int8.qat_max_drop = 1.0;         // a drop never exceeds it: no QAT
    const Int8Outcome ptq = quantize_with_optional_qat(arch, trained, train, data.validation,
                                                       &data.test, training, int8, 4);
    REQUIRE(ptq.scores.ok);
    CHECK_FALSE(ptq.scores.qat_applied);
    CHECK(ptq.scores.val_int8 == ptq.scores.val_int8_ptq);
    CHECK(ptq.scores.val_int8_qat == -1.0);
    int8.qat_max_drop = 0.0;
    const Int8Outcome qat = quantize_with_optional_qat(arch, trained, train, data.validation,
                                                       &data.test, training, int8, 4);
    REQUIRE(qat.scores.ok);
    const Int8Scores& s = qat.scores;
    MESSAGE("validation: float " << s.val_float << ", int8 " << s.val_int8_ptq << " before QAT, "
                                 << s.val_int8_qat << " after (" << s.qat_seconds
                                 << " s); test int8 " << ptq.scores.test_int8 << " -> "
                                 << s.test_int8);
    CHECK(s.val_float == ptq.scores.val_float);
    CHECK(s.val_int8_ptq == ptq.scores.val_int8_ptq);
    REQUIRE(s.val_float - s.val_int8_ptq >= 0.1);  // the set-up is as hostile as meant
    CHECK(s.qat_applied);
    CHECK(s.qat_failure.empty());
    CHECK(s.qat_kept);
    CHECK(s.val_int8 == s.val_int8_qat);
    // Most of the loss is recovered, on validation and on the unseen test split.
    CHECK(s.val_float - s.val_int8_qat <= 0.5 * (s.val_float - s.val_int8_ptq));
    CHECK(s.test_int8 >= ptq.scores.test_int8 + 0.05);
    // The outcome is the deployable pair: its int8 model scores what was reported.
    CHECK(evaluate_quantized(qat.folded, qat.quantized, data.validation, false).int8_accuracy ==
          s.val_int8);
  }

  TEST_CASE("the same seed gives identical fine-tuning at 1 and 2 threads") {
    const DatasetSplits data = fashion(300, 10);
    const Architecture arch = fashion_cnn();
    const TrainingOptions training = adam_recipe();
    const TrainedModel trained = train_model(arch, data.train, data.validation, nullptr, training, 5);
    REQUIRE(trained.result.ok);
    const FoldedModel folded = fold_model(arch, trained);
    const std::vector<TensorRange> ranges = calibrate(folded, data.train, {16});
    Int8Options int8;
    int8.qat_epochs = 1;
    int8.qat_learning_rate = 0.001;
    auto run = [&](int threads, uint64_t seed) {
      tbb::task_arena arena(threads);
      return arena.execute([&] {
        return quantization_aware_training(arch, folded, ranges, data.train, data.validation,
                                           training, int8, seed);
      });
    };
    const QatResult one = run(1, 6), two = run(2, 6), other = run(2, 7);
    REQUIRE(one.result.ok);
    CHECK(one.result.train_loss == two.result.train_loss);
    CHECK(one.result.validation_accuracy == two.result.validation_accuracy);
    bool weights_equal = true, differs_from_other = false;
    for (size_t o = 0; o < folded.ops.size(); ++o) {
      weights_equal = weights_equal && one.folded.ops[o].weights == two.folded.ops[o].weights &&
                      one.folded.ops[o].bias == two.folded.ops[o].bias;
      differs_from_other = differs_from_other || one.folded.ops[o].weights != other.folded.ops[o].weights;
    }
    CHECK(weights_equal);
    CHECK(differs_from_other);  // the seed orders the samples
    REQUIRE(one.ranges.size() == two.ranges.size());
    for (size_t t = 0; t < one.ranges.size(); ++t) {
      CHECK(one.ranges[t].lo == two.ranges[t].lo);
      CHECK(one.ranges[t].hi == two.ranges[t].hi);
    }
  }
}

}  // namespace hwnas::test
