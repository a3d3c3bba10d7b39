// This file implements `nas-run train` (see train_command.hpp).
#include "apps/train_command.hpp"

#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "search/int8_scoring.hpp"
#include "search/run_config.hpp"
#include "search/run_directory.hpp"
#include "search/run_search.hpp"
#include "space/arch_json.hpp"
#include "trainers/dataset_resize.hpp"
#include "trainers/model_weights.hpp"
#include "trainers/npy_writer.hpp"
#include "trainers/trainer.hpp"
#include "util/logging.hpp"
#include "util/seeding.hpp"

namespace hwnas {

namespace {

constexpr uint64_t kTrainCommandStream = 4;  // the weight-init and shuffle seed of `train`
constexpr uint64_t kQatStream = 1;           // QAT's shuffle, derived from the training seed

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

nlohmann::json result_record(const Architecture& arch, const TrainedModel& model, const Int8Scores& int8,
                             const DatasetSplits& data, uint64_t seed, int validation_split) {
  const TrainResult& r = model.result;
  nlohmann::json j = {{"architecture", arch.name()},
                      {"parameters", model.parameters.size()},
                      {"seed", seed},
                      {"validation_split", validation_split},
                      {"ok", r.ok},
                      {"train_samples", data.train.size()},
                      {"validation_samples", data.validation.size()},
                      {"test_samples", data.test.size()},
                      {"train_loss", r.train_loss},
                      {"train_accuracy", r.train_accuracy},
                      {"val_accuracy", r.validation_accuracy},
                      {"test_accuracy", r.test_accuracy},
                      {"train_seconds", r.seconds},
                      {"images_per_second", r.images_per_second}};
  if (!r.ok) j["failure"] = r.failure;
  if (!data.input_mean.empty())  // what a deployment must do to its inputs
    j["input_standardization"] = {{"mean", data.input_mean}, {"std", data.input_std}};
  if (int8.ok) {
    j["val_accuracy_int8"] = int8.val_int8;
    j["test_accuracy_int8"] = int8.test_int8;
    j["int8_agreement"] = int8.val_agreement;
    j["val_accuracy_float_deployed"] = int8.val_float;
    j["val_accuracy_int8_ptq"] = int8.val_int8_ptq;
    j["qat_applied"] = int8.qat_applied;
    j["qat_kept"] = int8.qat_kept;
    if (int8.qat_applied) j["val_accuracy_int8_qat"] = int8.val_int8_qat;
    if (!int8.qat_failure.empty()) j["qat_failure"] = int8.qat_failure;
    j["int8_seconds"] = int8.seconds;
  } else if (r.ok) {
    j["int8_failure"] = int8.failure;
  }
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

  DatasetSplits data = load_search_data(config, o.validation_split);
  const TensorShape in = arch.input_shape();
  if (in.h != data.train.sample_shape.h || in.w != data.train.sample_shape.w)
    data = resize_splits(data, in.h, in.w);

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
  const uint64_t seed = derive_seed(config.search.seed, kTrainCommandStream, 0);
  const TrainedModel model =
      train_model(arch, data.train, data.validation, &data.test, t, seed, [&](const EpochReport& r) {
        const std::string val =
            data.validation.size() > 0 ? fmt::format(", val acc {:.4f}", r.validation_accuracy) : "";
        spdlog::info("epoch {}/{}: loss {:.4f}, train acc {:.4f}{}, {:.0f} images/s", r.epoch, r.epochs,
                     r.train_loss, r.train_accuracy, val, r.images_per_second);
        nlohmann::json record = epoch_record(r);
        if (data.validation.size() == 0) record.erase("val_accuracy");
        dir.append_history(record);
      });
  if (model.parameters.size() > 0 || model.state.size() > 0) save_model_weights(dir.path(), arch, model);

  Int8Scores int8;
  if (model.result.ok) {
    spdlog::info("quantising to int8 ({} calibration samples) and scoring the integer-only model",
                 config.int8.calibration_samples);
    int8 = quantize_with_optional_qat(arch, model, data.train, data.validation, &data.test, t, config.int8,
                                      derive_seed(seed, kQatStream, 0))
               .scores;
    if (int8.qat_applied)
      spdlog::info("int8 lost {:.4f} of validation accuracy (more than qat_max_drop {}): fine-tuned with "
                   "quantisation in the loop for {} epochs: validation int8 {:.4f} -> {:.4f} ({})",
                   int8.val_float - int8.val_int8_ptq, config.int8.qat_max_drop, config.int8.qat_epochs,
                   int8.val_int8_ptq, int8.val_int8_qat,
                   int8.qat_kept ? "kept" : (int8.qat_failure.empty() ? "not better, PTQ kept" : int8.qat_failure));
  }
  const nlohmann::json result = result_record(arch, model, int8, data, config.search.seed, o.validation_split);
  dir.write_json("result.json", result);
  if (o.json) std::cout << result.dump(2) << "\n";
  if (!model.result.ok) {
    spdlog::error("training failed: {}; the weights at that point are in {}", model.result.failure, dir.path());
    return 1;
  }
  spdlog::info("test accuracy: float {:.4f}, int8 {:.4f} (validation: float {:.4f}, int8 {:.4f}); {:.1f} s, {:.0f} "
               "images/s; weights and result.json in {}",
               model.result.test_accuracy, int8.ok ? int8.test_int8 : -1.0, model.result.validation_accuracy,
               int8.ok ? int8.val_int8 : -1.0, model.result.seconds, model.result.images_per_second, dir.path());
  if (!int8.ok) spdlog::warn("int8 quantisation failed: {}", int8.failure);
  return 0;
}

}  // namespace hwnas
