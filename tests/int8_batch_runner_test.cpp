// This file implements the tests of the fast scoring path: Int8BatchRunner against the
// integer reference (every tensor, bit for bit), FloatBatchRunner against the double
// float reference, and evaluate_quantized against per-sample scoring with both
// references, at one and at two threads.
#include "trainers/deploy/int8_batch_runner.hpp"

#include <doctest/doctest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "space/arch_json.hpp"
#include "tests/quantize_test_nets.hpp"
#include "trainers/deploy/float_batch_runner.hpp"
#include "trainers/deploy/float_reference.hpp"
#include "trainers/deploy/int8_evaluation.hpp"
#include "trainers/deploy/int8_reference.hpp"
#include "trainers/deploy/quantize.hpp"

namespace hwnas::test {

namespace {

struct Case {
  Architecture arch;
  FoldedModel folded;
  QuantizedModel quantized;
  Dataset inputs;
};

// Every deploy op kind: the three small nets, DS-CNN and ResNet-8 (whose 3x3x64
// convolutions have too many taps for exact float accumulation: the double path).
std::vector<Case> cases(int samples) {
  std::vector<Case> all;
  for (const Architecture& arch : {depthwise_net(), avg_pool_net(), concat_net(),
                                   load_architecture(source_path("configs/archs/ds_cnn.json")),
                                   load_architecture(source_path("configs/archs/resnet8.json"))}) {
    Network net(arch, 1, 3);
    const TrainedModel trained = random_weights(net, 4);
    FoldedModel folded = fold_model(arch, trained);
    QuantizedModel q = quantize(folded, random_inputs(arch, 12, 5));
    Dataset inputs = random_inputs(arch, samples, 6);
    for (size_t i = 0; i < inputs.y.size(); ++i)
      inputs.y[i] = int32_t(i % size_t(inputs.num_classes));
    all.push_back({arch, std::move(folded), std::move(q), std::move(inputs)});
  }
  return all;
}

// Index of the first largest value (as the runners' predicted_class).
template <typename T>
int argmax(const std::vector<T>& v) {
  return int(std::max_element(v.begin(), v.end()) - v.begin());
}

}  // namespace

TEST_SUITE("int8_batch_runner") {
  TEST_CASE("Int8BatchRunner gives the int8 reference's bits in every tensor") {
    for (const Case& c : cases(21)) {
      INFO(c.arch.name());
      Int8Reference reference(c.quantized);
      Int8BatchRunner runner(c.quantized, 8);
      int64_t compared = 0, differing = 0;
      for (int first = 0; first < 21; first += 8) {  // batches of 8, 8 and 5
        const int n = std::min(8, 21 - first);
        runner.run(c.inputs.x.row(first).data(), c.inputs.x.cols(), n);
        for (int b = 0; b < n; ++b) {
          reference.run(c.inputs.x.row(first + b).data());
          for (size_t t = 0; t < c.quantized.tensor_shapes.size(); ++t) {
            const std::vector<int8_t>& want = reference.tensors()[t];
            REQUIRE(int64_t(want.size()) == c.quantized.tensor_shapes[t].elements());
            differing += !std::equal(want.begin(), want.end(), runner.tensor(t, b));
            compared += 1;
          }
          CHECK(runner.predicted_class(b) == reference.predicted_class());
        }
      }
      CHECK(compared == 21 * int64_t(c.quantized.tensor_shapes.size()));
      CHECK(differing == 0);
    }
  }

  TEST_CASE("FloatBatchRunner in float32 keeps the double reference's scores and predictions") {
    for (const Case& c : cases(20)) {
      INFO(c.arch.name());
      FloatBatchRunner runner(c.folded, 20);
      runner.run(c.inputs.x.data(), c.inputs.x.cols(), 20);
      const auto s = size_t(c.folded.score_tensor);
      const int64_t classes = c.folded.tensor_shapes[s].elements();
      double worst = 0.0;
      for (int b = 0; b < 20; ++b) {
        const std::vector<double> x(c.inputs.x.row(b).data(),
                                    c.inputs.x.row(b).data() + c.inputs.x.cols());
        const std::vector<double> want = run_float(c.folded, x.data())[s];
        const std::vector<float> got(runner.tensor(s, b), runner.tensor(s, b) + classes);
        const auto [lo, hi] = std::minmax_element(want.begin(), want.end());
        for (int64_t k = 0; k < classes; ++k)
          worst = std::max(worst, std::abs(double(got[size_t(k)]) - want[size_t(k)]) /
                                      std::max(*hi - *lo, 1e-9));
        CHECK(runner.predicted_class(b) == argmax(want));
      }
      MESSAGE(c.arch.name() << ": float32 scores within " << worst << " of the double range");
      CHECK(worst < 1e-4);
    }
  }

  TEST_CASE("evaluate_quantized counts as per-sample scoring does, at one and two threads") {
    for (const Case& c : cases(45)) {
      INFO(c.arch.name());
      Int8Reference reference(c.quantized);
      int64_t float_correct = 0, int8_correct = 0, agree = 0;
      for (Eigen::Index i = 0; i < c.inputs.x.rows(); ++i) {
        reference.run(c.inputs.x.row(i).data());
        const std::vector<double> x(c.inputs.x.row(i).data(),
                                    c.inputs.x.row(i).data() + c.inputs.x.cols());
        const int pf = argmax(run_float(c.folded, x.data())[size_t(c.folded.score_tensor)]);
        const int pq = reference.predicted_class();
        float_correct += pf == c.inputs.y[size_t(i)];
        int8_correct += pq == c.inputs.y[size_t(i)];
        agree += pf == pq;
      }
      for (int threads : {1, 2}) {
        INFO(threads, " threads");
        const tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                        size_t(threads));
        const QuantizedAccuracy a = evaluate_quantized(c.folded, c.quantized, c.inputs);
        CHECK(a.samples == 45);
        CHECK(a.int8_accuracy == double(int8_correct) / 45.0);
        CHECK(a.float_accuracy == double(float_correct) / 45.0);
        CHECK(a.agreement == double(agree) / 45.0);
        const QuantizedAccuracy q = evaluate_quantized(c.folded, c.quantized, c.inputs, false);
        CHECK(q.int8_accuracy == a.int8_accuracy);
        CHECK(q.float_accuracy == 0.0);
      }
    }
  }
}

}  // namespace hwnas::test
