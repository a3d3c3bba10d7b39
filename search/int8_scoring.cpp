// This file implements int8 scoring of a candidate (see int8_scoring.hpp).
#include "search/int8_scoring.hpp"

#include <chrono>
#include <exception>
#include <utility>

#include "trainers/deploy/int8_evaluation.hpp"
#include "trainers/qat/qat.hpp"
#include "trainers/deploy/quantize.hpp"
#include "util/errors.hpp"

namespace hwnas {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool wants_qat(const Int8Scores& s, const Int8Options& int8) {
  return int8.qat_max_drop >= 0.0 && int8.qat_epochs > 0 &&
         s.val_float - s.val_int8_ptq > int8.qat_max_drop;
}

// Fine-tunes the deployed model with fake quantisation and re-quantises it; replaces the
// outcome's model when the new one scores higher on validation.
void try_qat(const Architecture& arch, const std::vector<TensorRange>& ranges, const Dataset& train,
             const Dataset& validation, const TrainingOptions& training, const Int8Options& int8,
             uint64_t seed, Int8Outcome& out) {
  const auto start = Clock::now();
  Int8Scores& s = out.scores;
  s.qat_applied = true;
  QatResult qat = quantization_aware_training(arch, out.folded, ranges, train, validation,
                                              training, int8, seed);
  if (qat.result.ok) {
    QuantizedModel q = quantize_with_ranges(qat.folded, qat.ranges);
    s.val_int8_qat = evaluate_quantized(qat.folded, q, validation, false).int8_accuracy;
    if (s.val_int8_qat > s.val_int8_ptq) {
      s.qat_kept = true;
      s.val_int8 = s.val_int8_qat;
      out.folded = std::move(qat.folded);
      out.quantized = std::move(q);
    }
  } else {
    s.qat_failure = qat.result.failure;
  }
  s.qat_seconds = seconds_since(start);
}

}  // namespace

Int8Outcome quantize_with_optional_qat(const Architecture& arch, const TrainedModel& trained,
                                       const Dataset& train, const Dataset& validation,
                                       const Dataset* test, const TrainingOptions& training,
                                       const Int8Options& int8, uint64_t seed) {
  const auto start = Clock::now();
  Int8Outcome out;
  Int8Scores& s = out.scores;
  try {
    out.folded = fold_model(arch, trained);
    const std::vector<TensorRange> ranges =
        calibrate(out.folded, train, QuantizeOptions{int8.calibration_samples});
    out.quantized = quantize_with_ranges(out.folded, ranges);
    const QuantizedAccuracy val = evaluate_quantized(out.folded, out.quantized, validation);
    s.val_float = val.float_accuracy;
    s.val_int8 = s.val_int8_ptq = val.int8_accuracy;
    s.val_agreement = val.agreement;
    // Without a validation split nothing could tell whether fine-tuning helped.
    if (wants_qat(s, int8) && train.size() > 0 && validation.size() > 0)
      try_qat(arch, ranges, train, validation, training, int8, seed, out);
    if (test) {
      // The test split is reported, never used to select: int8 only (the float test accuracy
      // comes from training).
      s.test_int8 = evaluate_quantized(out.folded, out.quantized, *test, false).int8_accuracy;
    }
    s.ok = true;
  } catch (const std::exception& e) {  // one odd candidate must not end the run
    if (is_environment_failure(e)) throw;  // but a failing machine does
    s.failure = e.what();
    out.quantized = QuantizedModel{};
  }
  s.seconds = seconds_since(start);
  return out;
}

Int8Scores score_int8(const Architecture& arch, const TrainedModel& trained, const Dataset& train,
                      const Dataset& validation, const Dataset* test,
                      const TrainingOptions& training, const Int8Options& int8, uint64_t seed) {
  return quantize_with_optional_qat(arch, trained, train, validation, test, training, int8, seed)
      .scores;
}

}  // namespace hwnas
