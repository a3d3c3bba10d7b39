// This file implements bench/mpi_scaling, the controller-overhead half of bench/scaling.sh:
// a real search (rank 0: the controller, the checkpoint and the run directory, exactly as
// `nas-run` runs them) whose worker ranks stand in for training with an evaluation that
// sleeps a fixed time and returns a made-up accuracy. Each worker measures, from the start
// of its first evaluation to the end of its last, the share of time it spent evaluating;
// the rest it waited for the controller. Run it under mpirun:
//
//   mpirun -np 65 --oversubscribe build/release/mpi-scaling CONFIG SECONDS
//
// prints one JSON line: ranks, workers, evaluations, seconds per evaluation, and the
// workers' busy share (mean and minimum).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <mpi.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "search/mpi/mpi_session.hpp"
#include "search/mpi/mpi_worker.hpp"
#include "search/run_config.hpp"
#include "search/run_search.hpp"
#include "util/errors.hpp"
#include "util/logging.hpp"
#include "util/seeding.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Busy {
  double evaluating = 0;  ///< seconds inside evaluations
  Clock::time_point first{}, last{};
  int evaluations = 0;
};

// The stand-in for training: a fixed time, and an accuracy drawn from the seed so the
// strategy has something to rank.
hwnas::EvaluationResult sleeping_evaluation(const hwnas::EvaluationRequest& request, double seconds, Busy& busy) {
  const auto start = Clock::now();
  if (busy.evaluations++ == 0) busy.first = start;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  hwnas::EvaluationResult r;
  r.scores.status = hwnas::EvaluationStatus::kOk;
  r.scores.train.ok = true;
  r.scores.train.validation_accuracy = double(hwnas::splitmix64(request.seed) % 1000) / 1000.0;
  r.scores.int8.ok = true;
  r.scores.int8.val_int8 = r.scores.train.validation_accuracy;
  r.train_samples = request.fidelity.train_samples;
  busy.last = Clock::now();
  busy.evaluating += std::chrono::duration<double>(busy.last - start).count();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: mpirun -np N mpi-scaling CONFIG SECONDS_PER_EVALUATION\n");
    return 2;
  }
  try {
    hwnas::setup_logging("warn");
    hwnas::MpiSession mpi;
    if (mpi.size() < 2) throw hwnas::UserError("mpi-scaling: run it under mpirun with at least 2 ranks");
    const hwnas::RunConfig config = hwnas::load_run_config(argv[1]);
    const double seconds = std::stod(argv[2]);
    Busy busy;
    if (mpi.rank() == 0)
      hwnas::run_search(config, 1, &mpi);
    else
      hwnas::run_mpi_worker(mpi, config, 1,
                            [&](const hwnas::EvaluationRequest& request, hwnas::TrainingData&, const std::atomic<bool>*) {
                              return sleeping_evaluation(request, seconds, busy);
                            });
    // Busy share of each worker over its own span; rank 0 collects them.
    const double span = busy.evaluations > 0 ? std::chrono::duration<double>(busy.last - busy.first).count() : 0.0;
    double mine[2] = {span > 0 ? busy.evaluating / span : -1.0, double(busy.evaluations)};
    std::vector<double> all(size_t(2 * mpi.size()));
    MPI_Gather(mine, 2, MPI_DOUBLE, all.data(), 2, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (mpi.rank() != 0) return 0;
    double sum = 0, least = 1, evaluations = 0;
    int counted = 0;
    for (int r = 1; r < mpi.size(); ++r) {
      evaluations += all[size_t(2 * r + 1)];
      if (all[size_t(2 * r)] < 0) continue;
      sum += all[size_t(2 * r)];
      least = std::min(least, all[size_t(2 * r)]);
      ++counted;
    }
    std::cout << nlohmann::json{{"ranks", mpi.size()},
                                {"workers", mpi.size() - 1},
                                {"evaluations", evaluations},
                                {"seconds_per_evaluation", seconds},
                                {"busy_mean", counted ? sum / counted : 0.0},
                                {"busy_min", counted ? least : 0.0}}
                     .dump()
              << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpi-scaling: %s\n", e.what());
    return 2;
  }
}
