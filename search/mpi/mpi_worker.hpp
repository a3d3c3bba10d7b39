// This file implements the worker ranks of an MPI search (ranks 1..N-1): each reads the
// dataset from the config's paths when it can (else receives the splits from rank 0),
// then evaluates the candidates rank 0 sends, one at a time, with evaluate_candidate on
// `threads` threads, and sends each result back. A cancel message stops the evaluation
// in progress (its result is dropped); a shutdown message ends the loop.
#pragma once

#include <atomic>
#include <functional>

#include "search/candidate_evaluation.hpp"
#include "search/mpi/mpi_session.hpp"
#include "search/run_config.hpp"
#include "trainers/data/dataset.hpp"

namespace hwnas {

/// Rank 0's side of the data step: every worker that could not read the dataset files
/// receives `splits` (and, for search.final_seeds > 1, the other validation splits).
/// Collective: rank 0 calls it once, with the workers in run_mpi_worker.
void share_data_with_workers(const MpiSession& mpi, const RunConfig& config, const DatasetSplits& splits);

/// How a worker evaluates a request: evaluate_candidate with the config's recipe, or a
/// stand-in (bench/mpi_scaling measures the controller with one that only sleeps).
using WorkerEvaluation =
    std::function<EvaluationResult(const EvaluationRequest&, TrainingData&, const std::atomic<bool>* cancel)>;

/// The worker loop, until rank 0 says shutdown. @throws UserError for unreadable data.
void run_mpi_worker(const MpiSession& mpi, const RunConfig& config, int threads,
                    const WorkerEvaluation& evaluate = {});

}  // namespace hwnas
