// This file implements the worker ranks (see mpi_worker.hpp).
#include "search/mpi/mpi_worker.hpp"

#include <atomic>
#include <exception>
#include <map>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include "search/candidate_evaluation.hpp"
#include "search/evaluation_messages.hpp"
#include "search/run_search.hpp"
#include "util/errors.hpp"
#include "util/seed_streams.hpp"

namespace hwnas {

namespace {

// The validation splits a run trains on: 0, and 1 .. final_seeds - 1 for the final models.
int splits_needed(const RunConfig& config) { return std::max(1, config.search.final_seeds); }

// Splits of this worker: read from the dataset files, or received from rank 0.
struct WorkerData {
  std::map<int, DatasetSplits> splits;  ///< split 0 (read or received), and those received
  bool read_files = true;               ///< false: every split comes from rank 0
};

WorkerData worker_data(const MpiSession& mpi, const RunConfig& config) {
  WorkerData data;
  std::map<int, DatasetSplits>& splits = data.splits;
  std::string problem;
  try {
    splits.emplace(0, load_search_data(config, 0));
  } catch (const UserError& e) {
    problem = e.what();
  }
  const bool everyone_read = mpi.all(problem.empty());
  if (problem.empty())
    spdlog::info("rank {}: read the dataset from the config's paths", mpi.rank());
  else
    spdlog::warn("rank {}: cannot read the dataset ({}); receiving it from rank 0", mpi.rank(), problem);
  data.read_files = problem.empty();
  if (everyone_read) return data;
  for (int k = 0; k < splits_needed(config); ++k) {
    std::string bytes;
    mpi.broadcast(bytes);
    if (!data.read_files) splits[k] = decode_splits(bytes);
  }
  return data;
}

}  // namespace

void share_data_with_workers(const MpiSession& mpi, const RunConfig& config, const DatasetSplits& splits) {
  if (mpi.all(true)) return;
  spdlog::info("sending the dataset to the worker ranks that cannot read it");
  for (int k = 0; k < splits_needed(config); ++k) {
    std::string bytes = encode_splits(k == 0 ? splits : load_search_data(config, k));
    mpi.broadcast(bytes);
  }
}

void run_mpi_worker(const MpiSession& mpi, const RunConfig& config, int threads, const WorkerEvaluation& evaluate) {
  const WorkerData own = worker_data(mpi, config);
  TrainingData data(
      own.splits.at(0),
      [&config, &own](int k) {
        if (own.read_files) return load_search_data(config, k);
        const auto it = own.splits.find(k);
        if (it == own.splits.end()) throw UserError("validation split " + std::to_string(k) + " was not sent to this rank");
        return it->second;
      },
      derive_seed(config.search.seed, seed_stream::kSubset, 0));
  const EvaluationRecipe recipe{config.training, config.int8};
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, size_t(threads) + 1);
  tbb::task_arena arena(threads, 0);
  spdlog::info("rank {}: evaluating with {} threads", mpi.rank(), arena.max_concurrency());

  for (;;) {
    std::optional<MpiMessage> m = mpi.receive(std::chrono::milliseconds(100), 0);
    if (!m) continue;
    if (m->tag == MpiTag::kShutdown) return;
    if (m->tag == MpiTag::kCancel) continue;  // it crossed a result already sent
    if (m->tag != MpiTag::kRequest)
      throw UserError("MPI: rank " + std::to_string(mpi.rank()) + " got an unexpected message (tag " +
                      std::to_string(int(m->tag)) + ")");
    int64_t token = 0;
    const EvaluationRequest request = decode_request(m->bytes, token);
    std::atomic<bool> cancel{false}, finished{false};
    EvaluationResult result;
    std::exception_ptr machine_failure;  // this rank's machine failed: every rank stops
    // The evaluation runs beside this thread, which alone talks MPI and listens for a cancel.
    std::thread evaluation([&] {
      arena.execute([&] {
        try {
          result = evaluate ? evaluate(request, data, &cancel) : evaluate_candidate(request, recipe, data, &cancel);
        } catch (const std::exception& e) {
          if (is_environment_failure(e)) machine_failure = std::current_exception();
          else result = failed_evaluation(std::string("evaluation error: ") + e.what());  // the candidate's own
        }
      });
      finished = true;
    });
    bool shutdown = false;
    while (!finished) {
      // Only a cancel can come now: looking every 20 ms leaves the core to the training
      // (and, oversubscribed, to rank 0).
      const std::optional<MpiMessage> control =
          mpi.receive(std::chrono::milliseconds(20), 0, std::chrono::microseconds(20000));
      if (!control) continue;
      if (control->tag != MpiTag::kCancel && control->tag != MpiTag::kShutdown) {
        cancel = true;
        evaluation.join();
        throw UserError("MPI: rank " + std::to_string(mpi.rank()) + " got a message while evaluating (tag " +
                        std::to_string(int(control->tag)) + ")");
      }
      cancel = true;
      shutdown = control->tag == MpiTag::kShutdown;
      break;
    }
    evaluation.join();
    if (machine_failure) std::rethrow_exception(machine_failure);
    if (shutdown) return;
    // Cancelled: rank 0 waits for this answer and drops it (the candidate runs again on resume).
    if (cancel) result.scores.status = EvaluationStatus::kCancelled;
    mpi.send(0, MpiTag::kResult, encode_result(token, result));
  }
}

}  // namespace hwnas
