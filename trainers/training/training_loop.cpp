// This file implements train_network and evaluate_accuracy (see training_loop.hpp).
#include "trainers/training/training_loop.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "trainers/training/augmentation.hpp"
#include "trainers/training/lr_schedule.hpp"
#include "trainers/training/optimizer.hpp"
#include "trainers/training/softmax_cross_entropy.hpp"
#include "trainers/training/train_random.hpp"
#include "util/seed_streams.hpp"

namespace hwnas {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct EpochStats {
  double loss_sum = 0.0;
  int64_t correct = 0;
  int64_t samples = 0;
  double seconds = 0.0;
  std::string failure;  ///< non-empty: training must stop
};

// The state one training run carries from step to step.
struct TrainState {
  Network& net;
  const Dataset& train;
  const TrainingOptions& options;
  std::unique_ptr<Optimizer> optimizer;
  LrSchedule schedule;
  std::mt19937_64 rng;
  std::mt19937_64 augment_rng;  ///< its own stream: augmenting leaves the sample order alone
  std::vector<size_t> order;    ///< sample order of the current epoch
  std::vector<int32_t> labels;  ///< labels of the current batch
  int64_t step = 0;
};

// Copies samples order[first .. first + n) into the network input and their labels.
void load_batch(TrainState& s, size_t first, int n) {
  for (int r = 0; r < n; ++r) {
    const size_t i = s.order[first + size_t(r)];
    if (s.options.augment.enabled())
      augment_sample(s.train.x.row(Eigen::Index(i)).data(), s.train.sample_shape,
                     s.options.augment, s.augment_rng, s.net.input().row(r).data());
    else
      s.net.input().row(r) = s.train.x.row(Eigen::Index(i));
    s.labels[size_t(r)] = s.train.y[i];
  }
}

// One forward/backward/update on n samples; false (with `failure`) on a non-finite loss.
bool train_step(TrainState& s, size_t first, int n, int epoch, EpochStats& stats) {
  if (s.options.cancel && s.options.cancel->load(std::memory_order_relaxed)) {
    stats.failure = kCancelledFailure;
    return false;
  }
  load_batch(s, first, n);
  s.net.forward(n, Mode::kTraining);
  const LossSums sums =
      softmax_cross_entropy(s.net.logits(), n, s.labels.data(), s.options.label_smoothing,
                            1.0f / float(n), &s.net.logits_grad());
  if (!std::isfinite(sums.loss)) {
    stats.failure = std::string("loss became ") + (std::isnan(sums.loss) ? "NaN" : "infinite") +
                    " at epoch " + std::to_string(epoch) + " (step " + std::to_string(s.step + 1) +
                    ")";
    return false;
  }
  s.net.backward();
  s.optimizer->step(s.net.parameters(), s.net.gradients(), float(s.schedule.at(s.step)));
  ++s.step;
  stats.loss_sum += sums.loss;
  stats.correct += sums.correct;
  stats.samples += n;
  return true;
}

EpochStats run_epoch(TrainState& s, int epoch) {
  EpochStats stats;
  const auto start = Clock::now();
  shuffle_in_place(s.order, s.rng);
  const size_t n = s.order.size();
  const size_t batch = size_t(std::min<int64_t>(s.options.batch_size, int64_t(n)));
  for (size_t first = 0; first < n; first += batch)
    if (!train_step(s, first, int(std::min(batch, n - first)), epoch, stats)) break;
  stats.seconds = seconds_since(start);
  return stats;
}

EpochReport make_report(const EpochStats& stats, int epoch, int epochs) {
  EpochReport r;
  r.epoch = epoch;
  r.epochs = epochs;
  r.train_loss = stats.samples ? stats.loss_sum / double(stats.samples) : 0.0;
  r.train_accuracy = stats.samples ? double(stats.correct) / double(stats.samples) : 0.0;
  r.images_per_second = stats.seconds > 0 ? double(stats.samples) / stats.seconds : 0.0;
  return r;
}

int64_t steps_per_epoch(const TrainingOptions& o, size_t n) {
  return (int64_t(n) + o.batch_size - 1) / o.batch_size;
}

TrainState make_state(Network& net, const Dataset& train, const TrainingOptions& options,
                      uint64_t shuffle_seed) {
  const int64_t per_epoch = steps_per_epoch(options, train.size());
  const auto warmup = int64_t(std::llround(options.warmup_epochs * double(per_epoch)));
  TrainState s{net,
               train,
               options,
               make_optimizer(options, net.blocks(), net.parameters().size()),
               LrSchedule(options.learning_rate, warmup, per_epoch * options.epochs),
               std::mt19937_64(shuffle_seed),
               std::mt19937_64(derive_seed(shuffle_seed, seed_stream::kAugment, 0)),
               std::vector<size_t>(train.size()),
               std::vector<int32_t>(size_t(net.max_batch())),
               0};
  std::iota(s.order.begin(), s.order.end(), size_t(0));
  return s;
}

}  // namespace

double evaluate_accuracy(Network& net, const Dataset& data) {
  const int64_t n = int64_t(data.size());
  if (n == 0) return 0.0;
  int64_t correct = 0;
  for (int64_t first = 0; first < n; first += net.max_batch()) {
    const int rows = int(std::min<int64_t>(net.max_batch(), n - first));
    net.input().topRows(rows) = data.x.middleRows(first, rows);
    net.forward(rows, Mode::kInference);
    correct += count_correct(net.logits(), rows, data.y.data() + first);
  }
  return double(correct) / double(n);
}

namespace {

// Scores a finished run: ok unless training failed or the parameters are not finite.
void finish_result(Network& net, const Dataset& validation, const Dataset* test,
                   double validation_accuracy, TrainResult& result) {
  if (result.failure.empty() && !net.parameters().allFinite())
    result.failure = "parameters became non-finite";
  result.ok = result.failure.empty();
  if (!result.ok) return;
  result.validation_accuracy =
      validation_accuracy >= 0 ? validation_accuracy : evaluate_accuracy(net, validation);
  if (test) result.test_accuracy = evaluate_accuracy(net, *test);
}

}  // namespace

TrainResult train_network(Network& net, const Dataset& train, const Dataset& validation,
                          const Dataset* test, const TrainingOptions& options,
                          uint64_t shuffle_seed, const EpochCallback& on_epoch) {
  const auto start = Clock::now();
  TrainState s = make_state(net, train, options, shuffle_seed);
  TrainResult result;
  double validation_accuracy = -1.0;  // of the last epoch, if on_epoch made us compute it
  double train_seconds = 0.0;
  int64_t train_images = 0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const EpochStats stats = run_epoch(s, epoch);
    train_seconds += stats.seconds;
    train_images += stats.samples;
    result.steps = s.step;
    if (!stats.failure.empty()) {
      result.failure = stats.failure;
      break;
    }
    EpochReport report = make_report(stats, epoch, options.epochs);
    result.train_loss = report.train_loss;
    result.train_accuracy = report.train_accuracy;
    if (on_epoch) {
      validation_accuracy = report.validation_accuracy = evaluate_accuracy(net, validation);
      on_epoch(report);
    }
  }
  result.images_per_second = train_seconds > 0 ? double(train_images) / train_seconds : 0.0;
  finish_result(net, validation, test, validation_accuracy, result);
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace hwnas
