// This file implements evaluate_quantized (see int8_evaluation.hpp).
#include "trainers/int8_evaluation.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "trainers/float_reference.hpp"
#include "trainers/int8_reference.hpp"

namespace hwnas {

namespace {

int float_prediction(const FoldedModel& model, const float* row) {
  const std::vector<double> input(row, row + model.input_shape.elements());
  const FloatTensors t = run_float(model, input.data());
  const std::vector<double>& s = t[size_t(model.score_tensor)];
  return int(std::max_element(s.begin(), s.end()) - s.begin());
}

}  // namespace

QuantizedAccuracy evaluate_quantized(const FoldedModel& float_model,
                                     const QuantizedModel& int8_model, const Dataset& data,
                                     bool compare_float) {
  QuantizedAccuracy r;
  r.samples = int64_t(data.size());
  if (r.samples == 0) return r;
  std::atomic<int64_t> float_correct{0}, int8_correct{0}, agree{0};
  tbb::enumerable_thread_specific<Int8Reference> references(
      [&] { return Int8Reference(int8_model); });
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, r.samples),
                    [&](const tbb::blocked_range<int64_t>& range) {
                      Int8Reference& reference = references.local();
                      int64_t f = 0, q = 0, a = 0;
                      for (int64_t i = range.begin(); i < range.end(); ++i) {
                        const float* row = data.x.row(Eigen::Index(i)).data();
                        const int pf = compare_float ? float_prediction(float_model, row) : -1;
                        reference.run(row);
                        const int pq = reference.predicted_class();
                        f += pf == data.y[size_t(i)];
                        q += pq == data.y[size_t(i)];
                        a += pf == pq;
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
