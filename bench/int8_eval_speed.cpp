// This file implements bench/int8-eval-speed: how long int8 scoring of a trained
// candidate takes (search/int8_scoring.cpp's calls: quantize, evaluate_quantized on the
// validation split with the float side, on the test split int8 only), on networks
// trained on Fashion-MNIST with the quickstart's split sizes. It prints one JSON line per
// network: the wall and CPU seconds of each step (best of --repeats), the accuracies, and a
// checksum of every int8 tensor of every validation sample except softmax outputs, so that runs
// before and after a change of the int8 reference can be compared bit for bit.
//
// --weights DIR caches the trained weights (DIR/<network>/weights.{bin,json}), so that the same
// model is timed before and after a change of the code, whatever the trainer does.
#include <sys/resource.h>
#include <tbb/global_control.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "space/arch_json.hpp"
#include "trainers/data/dataset_config.hpp"
#include "trainers/deploy/int8_evaluation.hpp"
#include "trainers/deploy/int8_reference.hpp"
#include "trainers/training/model_weights.hpp"
#include "trainers/deploy/quantize.hpp"
#include "trainers/training/trainer.hpp"

namespace {

struct Options {
  std::vector<std::string> archs;
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  std::string weights;
  int epochs = 1;
  int threads = 2;
  int repeats = 3;
  uint64_t seed = 1;
};

hwnas::DatasetConfig dataset_config(const Options& o) {  // as configs/quickstart.json
  hwnas::DatasetConfig c;
  c.train_images = o.data_dir + "/train-images-idx3-ubyte.gz";
  c.train_labels = o.data_dir + "/train-labels-idx1-ubyte.gz";
  c.test_images = o.data_dir + "/t10k-images-idx3-ubyte.gz";
  c.test_labels = o.data_dir + "/t10k-labels-idx1-ubyte.gz";
  c.train_limit = 12000;
  c.test_limit = 2000;
  c.validation_fraction = 0.2;
  return c;
}

// Trains `arch`, or reads the weights an earlier run cached under <dir>/<arch name>/
// (save_model_weights' format).
hwnas::TrainedModel trained_model(const hwnas::Architecture& arch, const hwnas::DatasetSplits& data,
                                  const Options& o) {
  const std::string dir = o.weights.empty() ? "" : (std::filesystem::path(o.weights) / arch.name()).string();
  if (!dir.empty() && std::filesystem::exists(dir + "/weights.json")) return hwnas::load_model_weights(dir, arch);
  hwnas::TrainingOptions t;
  t.epochs = o.epochs;
  const hwnas::TrainedModel m =
      hwnas::train_model(arch, data.train, data.validation, &data.test, t, o.seed);
  if (!dir.empty()) hwnas::save_model_weights(dir, arch, m);
  return m;
}

// CPU seconds of the process (every thread): on a shared machine, steadier than the
// wall clock.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

struct Seconds {
  double wall = 1e300, cpu = 1e300;  // best of the repeats, each
};

template <typename F>
Seconds best_seconds(int repeats, F&& f) {
  Seconds best;
  for (int r = 0; r < repeats; ++r) {
    const double cpu = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    f();
    best.wall = std::min(
        best.wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    best.cpu = std::min(best.cpu, cpu_seconds() - cpu);
  }
  return best;
}

// FNV-1a over every int8 tensor of every sample, softmax outputs left out.
uint64_t checksum(const hwnas::QuantizedModel& q, const hwnas::Dataset& data) {
  std::vector<bool> skip(q.tensor_shapes.size(), false);
  for (const hwnas::QuantizedOp& op : q.ops)
    if (op.deploy.kind == hwnas::DeployKind::kSoftmax) skip[size_t(op.deploy.output)] = true;
  hwnas::Int8Reference reference(q);
  uint64_t h = 1469598103934665603ull;
  for (Eigen::Index i = 0; i < data.x.rows(); ++i) {
    reference.run(data.x.row(i).data());
    for (size_t t = 0; t < skip.size(); ++t)
      if (!skip[t])
        for (int8_t v : reference.tensors()[t]) h = (h ^ uint8_t(v)) * 1099511628211ull;
  }
  return h;
}

nlohmann::json run(const std::string& path, const hwnas::DatasetSplits& data, const Options& o) {
  const hwnas::Architecture arch = hwnas::load_architecture(path);
  const hwnas::TrainedModel trained = trained_model(arch, data, o);
  const hwnas::FoldedModel folded = hwnas::fold_model(arch, trained);
  hwnas::QuantizedModel q;
  const Seconds quantize_s =
      best_seconds(o.repeats, [&] { q = hwnas::quantize(folded, data.train); });
  hwnas::QuantizedAccuracy val, test;
  const Seconds val_s =
      best_seconds(o.repeats, [&] { val = hwnas::evaluate_quantized(folded, q, data.validation); });
  const Seconds test_s = best_seconds(
      o.repeats, [&] { test = hwnas::evaluate_quantized(folded, q, data.test, false); });
  return {{"network", arch.name()},
          {"macs", arch.total_macs()},
          {"threads", o.threads},
          {"validation", val.samples},
          {"test", test.samples},
          {"quantize_s", quantize_s.wall},
          {"val_float_and_int8_s", val_s.wall},
          {"test_int8_s", test_s.wall},
          {"quantize_cpu_s", quantize_s.cpu},
          {"val_float_and_int8_cpu_s", val_s.cpu},
          {"test_int8_cpu_s", test_s.cpu},
          {"val_float", val.float_accuracy},
          {"val_int8", val.int8_accuracy},
          {"val_agreement", val.agreement},
          {"test_int8", test.int8_accuracy},
          {"checksum", checksum(q, data.validation)}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Times int8 scoring (quantize, evaluate_quantized) of trained networks"};
  app.add_option("archs", o.archs, "arch.json files")->required();
  app.add_option("--data", o.data_dir, "folder of the Fashion-MNIST IDX files")
      ->capture_default_str();
  app.add_option("--weights", o.weights, "folder caching the trained weights");
  app.add_option("--epochs", o.epochs)->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--threads", o.threads, "worker threads (0: all cores)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  app.add_option("--repeats", o.repeats)->check(CLI::Range(1, 1000))->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::optional<tbb::global_control> limit;
  if (o.threads > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, size_t(o.threads));
  try {
    const hwnas::DatasetSplits data = hwnas::load_dataset(dataset_config(o), o.seed);
    for (const std::string& arch : o.archs) std::cout << run(arch, data, o).dump() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "int8-eval-speed: error: " << e.what() << "\n";
    return 1;
  }
}
