// This file implements `nas-run train` (see train_command.hpp).
#include "apps/train_command.hpp"

#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "search/candidate.hpp"
#include "search/candidate_evaluation.hpp"
#include "search/history.hpp"
#include "search/run_config.hpp"
#include "search/run_directory.hpp"
#include "search/run_search.hpp"
#include "space/arch_json.hpp"
#include "trainers/training/model_weights.hpp"
#include "trainers/data/npy_writer.hpp"
#include "util/logging.hpp"
#include "util/seed_streams.hpp"

namespace hwnas {

namespace {

OutputConfig output_folder(const TrainCommandOptions& o, const RunConfig& config, const Architecture& arch) {
  OutputConfig out;
  if (!o.out.empty()) {
    out.dir = std::filesystem::absolute(o.out).lexically_normal().string();
    out.if_exists = IfExists::kFail;  // an explicit folder is never renamed
  } else {
    // Beside the config's run directories, one folder per architecture.
    const std::filesystem::path runs = std::filesystem::path(config.output.dir).parent_path();
    out.dir = (runs / ("train-" + arch.name())).string();
    out.if_exists = IfExists::kIncrement;
  }
  return out;
}

nlohmann::json epoch_record(const EpochReport& r) {
  return {{"epoch", r.epoch},
          {"epochs", r.epochs},
          {"train_loss", r.train_loss},
          {"train_accuracy", r.train_accuracy},
          {"val_accuracy", r.validation_accuracy},
          {"images_per_second", r.images_per_second}};
}

// result.json: the run's facts, then the result fields under the names history.jsonl gives them.
nlohmann::json result_record(const Architecture& arch, const EvaluationResult& r, const EvaluationRequest& request,
                             const DatasetSplits& data, uint64_t run_seed) {
  nlohmann::json j = r.scores;
  j["architecture"] = arch.name();
  j["parameters"] = r.weights.parameters.size();
  j["seed"] = request.seed;
  j["run_seed"] = run_seed;
  j["validation_split"] = request.validation_split;
  j["fidelity"] = fidelity_json({request.fidelity.epochs, r.train_samples, request.fidelity.learning_rate});
  j["train_samples"] = data.train.size();
  j["validation_samples"] = data.validation.size();
  j["test_samples"] = data.test.size();
  if (!data.input_mean.empty())  // what a deployment must do to its inputs
    j["input_standardization"] = {{"mean", data.input_mean}, {"std", data.input_std}};
  return j;
}

}  // namespace

CLI::App* add_train_subcommand(CLI::App& app, TrainCommandOptions& o) {
  auto* sub = app.add_subcommand("train", "train one arch.json with a config's data and recipe, then quantise it");
  sub->add_option("arch", o.arch_path, "arch.json")->required()->check(CLI::ExistingFile);
  sub->add_option("--config", o.config_path, "config.json: its dataset, training and quantization sections")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--out", o.out, "output folder (must not exist or be empty; default: train-<arch> beside the runs)");
  sub->add_option("--seed", o.seed, "override search.seed (splits and training)")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 53));
  sub->add_option("--training-seed", o.training_seed,
                  "train from this seed itself (a history.jsonl record's \"seed\": with the run's config, "
                  "the final stage's result of that candidate again) instead of one derived from search.seed");
  sub->add_option("--split", o.validation_split,
                  "hold out validation split K, as the final stage's training K+1 of a model does "
                  "(search.final_seeds); 0, the default, is the search's own")
      ->check(CLI::Range(0, 1000));
  sub->add_option("--epochs", o.epochs, "override training.epochs")->check(CLI::Range(1, 10000));
  sub->add_option("--save-splits", o.save_splits,
                  "also write the exact train/validation/test splits as .npy files into this folder");
  sub->add_flag("--json", o.json, "print result.json to stdout");
  sub->fallthrough();
  return sub;
}

int run_train_command(const TrainCommandOptions& o) {
  RunConfig config = load_run_config(o.config_path);
  if (o.seed >= 0) config.search.seed = uint64_t(o.seed);
  if (o.epochs > 0) config.training.epochs = o.epochs;
  const Architecture arch = load_architecture(o.arch_path);

  TrainingData splits([&config](int k) { return load_search_data(config, k); },
                      derive_seed(config.search.seed, seed_stream::kSubset, 0));
  const DatasetSplits& data = splits.at(arch.input_shape(), 0, o.validation_split);
  check_data_fits(arch, data.train, "train");  // before anything is written or logged
  if (!o.save_splits.empty()) {
    write_split_npy(data.train, o.save_splits, "train");
    write_split_npy(data.validation, o.save_splits, "validation");
    write_split_npy(data.test, o.save_splits, "test");
    spdlog::info("wrote the splits as .npy files to {}", o.save_splits);
  }
  RunDirectory dir = RunDirectory::create(output_folder(o, config, arch));
  add_log_file(dir.file("train.log"));
  save_architecture(arch, dir.file("arch.json"));
  dir.write_json("config.json", config.source);
  const TrainingOptions& t = config.training;
  spdlog::info("training '{}' on {}: {} train / {} validation / {} test samples, {} epochs, batch {}, lr {}, into {}",
               arch.name(), data.train.name, data.train.size(), data.validation.size(), data.test.size(), t.epochs,
               t.batch_size, t.learning_rate, dir.path());

  if (data.validation.size() == 0)
    spdlog::info("no validation split (validation_fraction 0): quantisation-aware fine-tuning is not considered");
  const uint64_t seed =
      o.training_seed ? *o.training_seed : derive_seed(config.search.seed, seed_stream::kTrainCommand, 0);
  const EvaluationRequest request{arch, {t.epochs, 0, t.learning_rate}, seed, 1, o.validation_split};
  HistoryWriter epochs(dir.file(kHistoryFile));
  const EvaluationResult result_value = evaluate_candidate(
      request, {config.training, config.int8}, splits, nullptr, [&](const EpochReport& r) {
        const std::string val =
            data.validation.size() > 0 ? fmt::format(", val acc {:.4f}", r.validation_accuracy) : "";
        spdlog::info("epoch {}/{}: loss {:.4f}, train acc {:.4f}{}, {:.0f} images/s", r.epoch, r.epochs,
                     r.train_loss, r.train_accuracy, val, r.images_per_second);
        nlohmann::json record = epoch_record(r);
        if (data.validation.size() == 0) record.erase("val_accuracy");
        epochs.append(record);
      });
  const TrainedModel& model = result_value.weights;
  if (model.parameters.size() > 0 || model.state.size() > 0) save_model_weights(dir.path(), arch, model);
  const TrainResult& trained = result_value.scores.train;
  const Int8Scores& int8 = result_value.scores.int8;
  if (int8.qat_applied)
    spdlog::info("int8 lost {:.4f} of validation accuracy (more than qat_max_drop {}): fine-tuned with "
                 "quantisation in the loop for {} epochs: validation int8 {:.4f} -> {:.4f} ({})",
                 int8.val_float - int8.val_int8_ptq, config.int8.qat_max_drop, config.int8.qat_epochs,
                 int8.val_int8_ptq, int8.val_int8_qat,
                 int8.qat_kept ? "kept" : (int8.qat_failure.empty() ? "not better, PTQ kept" : int8.qat_failure));
  const nlohmann::json result = result_record(arch, result_value, request, data, config.search.seed);
  dir.write_json("result.json", result);
  if (o.json) std::cout << result.dump(2) << "\n";
  if (!trained.ok) {
    spdlog::error("training failed: {}; the weights at that point are in {}", trained.failure, dir.path());
    return 1;
  }
  spdlog::info("test accuracy: float {:.4f}, int8 {:.4f} (validation: float {:.4f}, int8 {:.4f}); {:.1f} s, {:.0f} "
               "images/s; weights and result.json in {}",
               trained.test_accuracy, int8.ok ? int8.test_int8 : -1.0, trained.validation_accuracy,
               int8.ok ? int8.val_int8 : -1.0, trained.seconds, trained.images_per_second, dir.path());
  if (!int8.ok) spdlog::warn("int8 quantisation failed: {}", int8.failure);
  return 0;
}

}  // namespace hwnas
