// This file implements the result of evaluating one candidate: how its training went, how
// its int8 model scores, and (for a final model trained from several seeds) each
// training's scores. Its JSON form is the one history.jsonl, pareto.json and
// `nas-run train`'s result.json all write, so a field has one name everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/int8_scoring.hpp"
#include "trainers/deploy/quantized_model.hpp"
#include "trainers/model/trained_model.hpp"

namespace hwnas {

/// How an evaluation ended. A cancelled one (the run stopped mid-evaluation) is never
/// recorded: it runs again on resume.
enum class EvaluationStatus { kOk, kFailed, kCancelled };

/// "ok", "failed", "cancelled": history.jsonl's `status`.
const char* status_name(EvaluationStatus status);

/// One of several trainings of a candidate from different seeds (search.final_seeds).
struct SeedRun {
  uint64_t seed = 0;
  TrainResult train;
  Int8Scores int8;
};

struct EvaluationScores {
  EvaluationStatus status = EvaluationStatus::kFailed;
  TrainResult train;  ///< the float training (means over seed_runs when there are several)
  Int8Scores int8;    ///< the int8 model's accuracy (when the training succeeded)
  /// With several trainings (search.final_seeds > 1): each one's scores. `train` and
  /// `int8` then hold the means of the accuracies (and the deployed training's other
  /// fields); the saved weights are those of seed_runs[deployed_seed_run].
  std::vector<SeedRun> seed_runs;
  int deployed_seed_run = -1;

  bool ok() const { return status == EvaluationStatus::kOk; }
  /// What selection ranks candidates by: the int8 model's validation accuracy; -1 when the
  /// network failed to train or to quantise.
  double selection_accuracy() const { return ok() && int8.ok ? int8.val_int8 : -1.0; }
};

/// status, failure, float and int8 accuracies, timings, seed_runs: the result fields of a
/// history.jsonl line and of result.json.
void to_json(nlohmann::json& j, const EvaluationScores& s);
/// The inverse (on resume). @throws nlohmann::json::exception when a field is missing.
void from_json(const nlohmann::json& j, EvaluationScores& s);

/// An evaluation's whole outcome: the scores and what the caller saves to disk.
struct EvaluationResult {
  EvaluationScores scores;
  int64_t train_samples = 0;  ///< the samples it actually trained on
  TrainedModel weights;       ///< the deployed training's float weights (empty if none)
  std::optional<QuantizedModel> int8_model;  ///< the scored int8 model (when int8.ok)
};

}  // namespace hwnas
