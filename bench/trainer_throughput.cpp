// This file implements bench/trainer-throughput: our side of bench/trainer_vs_pytorch. It
// trains one arch.json on Fashion-MNIST (IDX files, a class-stratified subset) with the
// engine's trainer (train_and_evaluate, the very call a search makes) and prints one JSON
// line: training images/s, final train loss and accuracy, and test accuracy.
//
// images/s counts the epochs' training loops only: per step the batch is gathered from
// the in-memory (already decoded and normalised) training set, then forward, backward and
// the optimiser update run. Reading and decoding the files, building the network and
// scoring the test set are not timed. --dump-data writes the exact splits used (after
// normalisation) as .npy files, so that the PyTorch side trains on the same samples.
#include <tbb/global_control.h>

#include <cstdint>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "space/arch_json.hpp"
#include "trainers/data/dataset_config.hpp"
#include "trainers/data/npy_writer.hpp"
#include "trainers/training/trainer.hpp"
#include "util/errors.hpp"

namespace {

struct Options {
  std::string arch;
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  int64_t train_limit = 10000;
  int64_t test_limit = 0;
  int epochs = 2;
  int batch = 64;
  double lr = 0.05;
  int threads = 2;
  uint64_t seed = 1;
  std::string dump_data;
};

hwnas::DatasetConfig dataset_config(const Options& o) {
  hwnas::DatasetConfig c;
  c.format = hwnas::DatasetFormat::kIdx;
  c.name = "fashion-mnist";
  c.train_images = o.data_dir + "/train-images-idx3-ubyte.gz";
  c.train_labels = o.data_dir + "/train-labels-idx1-ubyte.gz";
  c.test_images = o.data_dir + "/t10k-images-idx3-ubyte.gz";
  c.test_labels = o.data_dir + "/t10k-labels-idx1-ubyte.gz";
  c.train_limit = o.train_limit;
  c.test_limit = o.test_limit;
  c.validation_fraction = 0.0;  // the benchmark reports test accuracy; nothing is selected
  return c;
}

nlohmann::json run(const Options& o) {
  const hwnas::Architecture arch = hwnas::load_architecture(o.arch);
  const hwnas::DatasetSplits data = hwnas::load_dataset(dataset_config(o), o.seed);
  if (!o.dump_data.empty()) {
    hwnas::write_split_npy(data.train, o.dump_data, "train");
    hwnas::write_split_npy(data.test, o.dump_data, "test");
  }
  hwnas::TrainingOptions t;  // SGD, momentum 0.9 Nesterov, weight decay 5e-4, cosine to 0
  t.epochs = o.epochs;
  t.batch_size = o.batch;
  t.learning_rate = o.lr;
  t.warmup_epochs = 0.0;
  const hwnas::TrainResult r =
      hwnas::train_and_evaluate(arch, data.train, data.validation, &data.test, t, o.seed);
  return {{"side", "hwnas"},          {"network", arch.name()},
          {"params", arch.total_params()}, {"macs", arch.total_macs()},
          {"batch", o.batch},         {"epochs", o.epochs},
          {"threads", o.threads},     {"train_images", int64_t(data.train.size()) * o.epochs},
          {"test_images", data.test.size()}, {"steps", r.steps},
          {"ok", r.ok},               {"failure", r.failure},
          {"images_per_second", r.images_per_second}, {"train_loss", r.train_loss},
          {"train_accuracy", r.train_accuracy},       {"test_accuracy", r.test_accuracy}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Trains one arch.json on Fashion-MNIST with the hwnas trainer; prints one JSON line"};
  app.add_option("arch", o.arch, "arch.json of the network")->required();
  app.add_option("--data", o.data_dir, "folder of the Fashion-MNIST IDX files")->capture_default_str();
  app.add_option("--train-limit", o.train_limit, "training images (stratified subset; 0: all)")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 40))->capture_default_str();
  app.add_option("--test-limit", o.test_limit, "test images (0: all)")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 40))->capture_default_str();
  app.add_option("--epochs", o.epochs)->check(CLI::Range(1, 10000))->capture_default_str();
  app.add_option("--batch", o.batch)->check(CLI::Range(1, 1 << 20))->capture_default_str();
  app.add_option("--lr", o.lr, "base learning rate (cosine decay to 0)")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--threads", o.threads, "worker threads (0: all cores)")->check(CLI::Range(0, 4096))->capture_default_str();
  app.add_option("--seed", o.seed)->capture_default_str();
  app.add_option("--dump-data", o.dump_data, "also write the splits used as .npy files into this folder");
  CLI11_PARSE(app, argc, argv);
  std::optional<tbb::global_control> limit;
  if (o.threads > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, size_t(o.threads));
  try {
    const nlohmann::json line = run(o);
    std::cout << line.dump() << std::endl;
    return line.at("ok").get<bool>() ? 0 : 1;
  } catch (const hwnas::UserError& e) {
    std::cerr << "trainer-throughput: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {  // e.g. --dump-data cannot be created
    std::cerr << "trainer-throughput: error: " << e.what() << "\n";
    return 1;
  }
}
