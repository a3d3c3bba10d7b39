// This file implements int8 scoring of a candidate (see int8_scoring.hpp).
#include "search/int8_scoring.hpp"

#include <chrono>
#include <exception>

#include "trainers/folded_model.hpp"
#include "trainers/int8_evaluation.hpp"
#include "trainers/quantize.hpp"

namespace hwnas {

Int8Scores score_int8(const Architecture& arch, const TrainedModel& trained, const Dataset& train,
                      const Dataset& validation, const Dataset* test) {
  const auto start = std::chrono::steady_clock::now();
  Int8Scores s;
  try {
    const FoldedModel folded = fold_model(arch, trained);
    const QuantizedModel q = quantize(folded, train);
    const QuantizedAccuracy val = evaluate_quantized(folded, q, validation);
    s.val_float = val.float_accuracy;
    s.val_int8 = val.int8_accuracy;
    s.val_agreement = val.agreement;
    if (test) {
      // The test split is reported, never used to select: int8 only (the float test accuracy
      // comes from training).
      s.test_int8 = evaluate_quantized(folded, q, *test, false).int8_accuracy;
    }
    s.ok = true;
  } catch (const std::exception& e) {  // one odd candidate must not end the run
    s.failure = e.what();
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace hwnas
