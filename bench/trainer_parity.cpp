// This file implements bench/trainer-parity: our side of bench/trainer_parity.py, which
// checks step by step that the engine's trainer and PyTorch optimise the same network the
// same way. From the initialisation of a seed it trains --steps mini-batches taken in file
// order (no shuffling, no augmentation) with the engine's SGD recipe, and writes into --out:
//   init.bin        the initial parameters and moving statistics (weights.bin layout),
//   weights.json    the manifest naming every block (trainers/training/model_weights.hpp),
//   grad0.bin       the gradient of the first step (float32, parameter order),
//   final.bin       the parameters and statistics after the last step,
//   losses.json     every step's mean loss and learning rate.
// The Python side loads init.bin into the torch.nn translation of the same arch.json,
// replays the same batches and compares.
#include <tbb/global_control.h>

#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "space/arch_json.hpp"
#include "trainers/training/lr_schedule.hpp"
#include "trainers/training/model_weights.hpp"
#include "trainers/data/npy_reader.hpp"
#include "trainers/training/optimizer.hpp"
#include "trainers/training/softmax_cross_entropy.hpp"
#include "trainers/training/trainer.hpp"
#include "util/errors.hpp"

namespace {

struct Options {
  std::string arch;
  std::string data;  ///< folder with train_x.npy / train_y.npy (nas-run train --save-splits)
  std::string out;
  int steps = 50;
  int batch = 128;
  double lr = 0.05;
  int total_steps = 3752;  ///< length of the cosine schedule (8 epochs of 60k at 128)
  int threads = 2;
  uint64_t seed = 1;
};

void write_floats(const std::string& path, const Eigen::VectorXf& v) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * sizeof(float)));
  if (!f) throw hwnas::UserError(path + ": cannot write");
}

void write_weights(const std::string& path, const hwnas::Network& net) {
  Eigen::VectorXf all(net.parameters().size() + net.state().size());
  all << net.parameters(), net.state();
  write_floats(path, all);
}

int run(const Options& o) {
  const hwnas::Architecture arch = hwnas::load_architecture(o.arch);
  hwnas::Dataset train = hwnas::read_npy_dataset(o.data + "/train_x.npy", o.data + "/train_y.npy");
  train.num_classes = 10;  // the reference networks classify Fashion-MNIST
  hwnas::check_data_fits(arch, train, "train");
  std::filesystem::create_directories(o.out);
  hwnas::Network net(arch, o.batch, o.seed);
  hwnas::save_model_weights(o.out, arch, hwnas::snapshot_model(net));
  std::filesystem::rename(o.out + "/weights.bin", o.out + "/init.bin");

  hwnas::TrainingOptions t;  // SGD, momentum 0.9 Nesterov, weight decay 5e-4
  t.learning_rate = o.lr;
  t.batch_size = o.batch;
  auto optimizer = hwnas::make_optimizer(t, net.blocks(), net.parameters().size());
  const hwnas::LrSchedule schedule(o.lr, 0, o.total_steps);
  std::vector<int32_t> labels(size_t(o.batch));
  nlohmann::json steps = nlohmann::json::array();
  for (int step = 0; step < o.steps; ++step) {
    const int64_t first = int64_t(step) * o.batch;
    if (first + o.batch > int64_t(train.size())) break;
    net.input().topRows(o.batch) = train.x.middleRows(first, o.batch);
    for (int r = 0; r < o.batch; ++r) labels[size_t(r)] = train.y[size_t(first + r)];
    net.forward(o.batch, hwnas::Mode::kTraining);
    const hwnas::LossSums sums = hwnas::softmax_cross_entropy(
        net.logits(), o.batch, labels.data(), 0.0f, 1.0f / float(o.batch), &net.logits_grad());
    net.backward();
    if (step == 0) write_floats(o.out + "/grad0.bin", net.gradients());
    const double lr = schedule.at(step);
    optimizer->step(net.parameters(), net.gradients(), float(lr));
    steps.push_back({{"loss", sums.loss / o.batch}, {"lr", lr}});
  }
  write_weights(o.out + "/final.bin", net);
  std::ofstream(o.out + "/losses.json") << steps.dump(1) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Trains a few steps in file order and dumps weights (bench/trainer_parity.py)"};
  app.add_option("arch", o.arch, "arch.json")->required();
  app.add_option("--data", o.data, "folder with train_x.npy and train_y.npy")->required();
  app.add_option("--out", o.out, "output folder")->required();
  app.add_option("--steps", o.steps);
  app.add_option("--batch", o.batch);
  app.add_option("--lr", o.lr);
  app.add_option("--total-steps", o.total_steps, "length of the cosine schedule");
  app.add_option("--threads", o.threads);
  app.add_option("--seed", o.seed);
  CLI11_PARSE(app, argc, argv);
  try {
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, size_t(o.threads));
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "trainer-parity: " << e.what() << "\n";
    return 2;
  }
}
