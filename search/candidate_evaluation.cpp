// This file implements evaluate_candidate (see candidate_evaluation.hpp).
#include "search/candidate_evaluation.hpp"

#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

#include "util/errors.hpp"
#include "util/seed_streams.hpp"

namespace hwnas {

namespace {

TrainingOptions training_at(const TrainingOptions& recipe, const FidelitySpec& fidelity,
                            const std::atomic<bool>* cancel) {
  TrainingOptions training = recipe;
  training.cancel = cancel;
  training.epochs = fidelity.epochs;
  if (fidelity.learning_rate > 0) training.learning_rate = fidelity.learning_rate;
  training.warmup_epochs = std::min(training.warmup_epochs, double(training.epochs));
  return training;
}

bool cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(); }

EvaluationResult evaluate_unguarded(const EvaluationRequest& request, const EvaluationRecipe& recipe,
                                    TrainingData& data, const std::atomic<bool>* cancel,
                                    const EpochCallback& on_epoch) {
  const Architecture& arch = request.arch;
  const TrainingOptions training = training_at(recipe.training, request.fidelity, cancel);
  EvaluationResult out;
  out.train_samples =
      int64_t(data.at(arch.input_shape(), request.fidelity.train_samples, request.validation_split).train.size());
  // A final model may be trained several times (search.final_seeds); the first training
  // uses the request's seed and split, so one training is the plain evaluation. Training
  // k holds out another validation split: repeating trainings on one validation set would
  // average out the seeds' noise but not that set's own, which decides as much between
  // networks this close (bench/README.md, run 19).
  std::vector<SeedRun> runs;
  std::vector<TrainedModel> models;
  std::vector<std::optional<Int8Outcome>> int8_models;
  for (int k = 0; k < request.trainings; ++k) {
    const uint64_t seed = k == 0 ? request.seed : derive_seed(request.seed, seed_stream::kSeedRun, uint64_t(k));
    const DatasetSplits& split =
        data.at(arch.input_shape(), request.fidelity.train_samples, request.validation_split + k);
    models.push_back(
        train_model(arch, split.train, split.validation, &split.test, training, seed, k == 0 ? on_epoch : EpochCallback{}));
    if (cancelled(cancel)) {
      out.scores.status = EvaluationStatus::kCancelled;
      return out;
    }
    std::optional<Int8Outcome>& int8 = int8_models.emplace_back();
    if (models.back().result.ok)
      int8 = quantize_with_optional_qat(arch, models.back(), split.train, split.validation, &split.test, training,
                                        recipe.int8, seed);
    if (int8) {  // the exported model says how its inputs were prepared
      int8->quantized.input_mean = split.input_mean;
      int8->quantized.input_std = split.input_std;
    }
    if (cancelled(cancel)) {
      out.scores.status = EvaluationStatus::kCancelled;
      return out;
    }
    runs.push_back({seed, models.back().result, int8 ? int8->scores : Int8Scores{}});
    // One model's trainings take many minutes: say how each one ended.
    if (request.trainings > 1 && runs.back().int8.ok)
      spdlog::info("final {}: training {}/{} (seed {}, validation split {}) val int8 {:.4f}, test int8 {:.4f}",
                   arch.name(), k + 1, request.trainings, seed, request.validation_split + k,
                   runs.back().int8.val_int8, runs.back().int8.test_int8);
    if (!runs.back().train.ok || !runs.back().int8.ok) break;  // a failed training fails the candidate
  }
  size_t deployed = 0;
  if (request.trainings == 1) {
    out.scores.train = runs[0].train;
    out.scores.int8 = runs[0].int8;
  } else {
    deployed = combine_seed_runs(out.scores, std::move(runs));
  }
  out.scores.status = out.scores.train.ok ? EvaluationStatus::kOk : EvaluationStatus::kFailed;
  out.weights = std::move(models[deployed]);
  if (int8_models[deployed] && int8_models[deployed]->scores.ok)
    out.int8_model = std::move(int8_models[deployed]->quantized);
  return out;
}

}  // namespace

EvaluationResult failed_evaluation(const std::string& failure) {
  EvaluationResult r;
  r.scores.status = EvaluationStatus::kFailed;
  r.scores.train.failure = failure;
  return r;
}

EvaluationResult evaluate_candidate(const EvaluationRequest& request, const EvaluationRecipe& recipe,
                                    TrainingData& data, const std::atomic<bool>* cancel,
                                    const EpochCallback& on_epoch) {
  try {
    return evaluate_unguarded(request, recipe, data, cancel, on_epoch);
  } catch (const std::exception& e) {
    if (is_environment_failure(e)) throw;  // the machine's failure ends the run, not the candidate
    return failed_evaluation(std::string("evaluation error: ") + e.what());  // a candidate must not take the search down
  }
}

size_t combine_seed_runs(EvaluationScores& scores, std::vector<SeedRun> runs) {
  size_t best = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!runs[i].train.ok || !runs[i].int8.ok) {  // a failure decides: it is what the record says
      scores.train = runs[i].train;
      scores.int8 = runs[i].int8;
      scores.seed_runs = std::move(runs);
      scores.deployed_seed_run = int(i);
      return i;
    }
    if (runs[i].int8.val_int8 > runs[best].int8.val_int8) best = i;
  }
  TrainResult mean = runs[best].train;
  Int8Scores mean8 = runs[best].int8;
  const double n = double(runs.size());
  mean.train_loss = mean.train_accuracy = mean.validation_accuracy = mean.test_accuracy = mean.seconds = 0;
  mean8.val_int8 = mean8.test_int8 = mean8.val_float = mean8.seconds = 0;
  for (const SeedRun& r : runs) {
    mean.train_loss += r.train.train_loss / n;
    mean.train_accuracy += r.train.train_accuracy / n;
    mean.validation_accuracy += r.train.validation_accuracy / n;
    mean.test_accuracy += r.train.test_accuracy / n;
    mean.seconds += r.train.seconds;
    mean8.val_int8 += r.int8.val_int8 / n;
    mean8.test_int8 += r.int8.test_int8 / n;
    mean8.val_float += r.int8.val_float / n;
    mean8.seconds += r.int8.seconds;
  }
  scores.train = mean;
  scores.int8 = mean8;
  scores.seed_runs = std::move(runs);
  scores.deployed_seed_run = int(best);
  return best;
}

}  // namespace hwnas
