// This file implements evaluate_quantized (see int8_evaluation.hpp).
#include "trainers/deploy/int8_evaluation.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <optional>

#include "trainers/deploy/float_batch_runner.hpp"
#include "trainers/deploy/int8_batch_runner.hpp"

namespace hwnas {

namespace {

// Samples per batch. NOTE: batches are fixed slices of the data set, whatever the thread
// count, so each sample is always computed in the same batch.
constexpr int64_t kBatch = 16;

struct Runners {
  Int8BatchRunner int8;
  std::optional<FloatBatchRunner> floats;  // only when the float side is compared
};

}  // namespace

QuantizedAccuracy evaluate_quantized(const FoldedModel& float_model,
                                     const QuantizedModel& int8_model, const Dataset& data,
                                     bool compare_float) {
  QuantizedAccuracy r;
  r.samples = int64_t(data.size());
  if (r.samples == 0) return r;
  std::atomic<int64_t> float_correct{0}, int8_correct{0}, agree{0};
  tbb::enumerable_thread_specific<Runners> runners([&] {
    Runners rs{Int8BatchRunner(int8_model, int(kBatch)), std::nullopt};
    if (compare_float) rs.floats.emplace(float_model, int(kBatch));
    return rs;
  });
  const int64_t batches = (r.samples + kBatch - 1) / kBatch;
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, batches),
                    [&](const tbb::blocked_range<int64_t>& range) {
                      Runners& rs = runners.local();
                      int64_t f = 0, q = 0, a = 0;
                      for (int64_t batch = range.begin(); batch < range.end(); ++batch) {
                        const int64_t first = batch * kBatch;
                        const int n = int(std::min(kBatch, r.samples - first));
                        const float* rows = data.x.row(Eigen::Index(first)).data();
                        const auto stride = int64_t(data.x.cols());
                        rs.int8.run(rows, stride, n);
                        if (rs.floats) rs.floats->run(rows, stride, n);
                        for (int b = 0; b < n; ++b) {
                          const int label = data.y[size_t(first + b)];
                          const int pq = rs.int8.predicted_class(b);
                          const int pf = rs.floats ? rs.floats->predicted_class(b) : -1;
                          f += pf == label;
                          q += pq == label;
                          a += pf == pq;
                        }
                      }
                      float_correct += f;
                      int8_correct += q;
                      agree += a;
                    });
  const auto n = double(r.samples);
  r.float_accuracy = double(float_correct) / n;
  r.int8_accuracy = double(int8_correct) / n;
  r.agreement = double(agree) / n;
  return r;
}

}  // namespace hwnas
