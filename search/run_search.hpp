// This file implements run_search, the whole pipeline behind `nas-run config.json`:
// load the data, sample candidates that fit every target, train and score them, and
// write the run directory. It reads like a script of named steps; each step is a
// function in run_search.cpp or its own file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "search/run_config.hpp"
#include "trainers/data/dataset.hpp"

namespace hwnas {

class MpiSession;  // search/mpi/mpi_session.hpp, in builds with MPI

struct RunSummary {
  bool worker = false;  ///< this process was a worker rank of an MPI search: rank 0 reports
  std::string run_dir;
  int evaluated = 0;
  int failed = 0;
  int64_t rejected = 0;    ///< proposals that did not fit a target (never trained)
  int64_t duplicates = 0;  ///< proposals whose network was already a candidate
  bool stopped_early = false;  ///< signal or wall-time budget: resumable
  std::string stop_reason;     ///< why the run ended or stopped
  /// What a run that ended could not deliver (every final model failed, the export failed,
  /// no model to deploy); nas-run says each and exits 4.
  std::vector<std::string> problems;
};

/// The train/validation/test splits a search with `config` uses (they depend only on the
/// dataset section and search.seed), so `nas-run train` scores on the same splits.
/// `validation_split` k > 0: those of the final stage's (k+1)-th training of a model
/// (search.final_seeds), which holds out another validation set.
/// @throws DataError / UserError for bad data files.
DatasetSplits load_search_data(const RunConfig& config, int validation_split = 0);

/// Runs the search described by `config` (its overrides already applied by the CLI) in a
/// new run directory. `threads` bounds the number of training threads of this process
/// (0: default_threads()). With `mpi` of several ranks, rank 0 runs the search and the
/// run directory and the other ranks evaluate candidates (docs/hpc.md).
/// @throws UserError for bad input (data files, output directory).
RunSummary run_search(const RunConfig& config, int threads, const MpiSession* mpi = nullptr);

/// Continues the run in `run_dir` from its checkpoint with `config`, which must equal the
/// run's config except for the budgets (search.evaluations, max_wall_minutes,
/// target_accuracy) and the output section. @throws UserError naming the first
/// difference, or a missing / malformed checkpoint.
RunSummary resume_search(const RunConfig& config, const std::string& run_dir, int threads,
                         const MpiSession* mpi = nullptr);

/// The run's config as resume_search needs it: RUN_DIR/config.json, read with the paths
/// of the config file the run started from, writing into RUN_DIR.
RunConfig load_run_dir_config(const std::string& run_dir);

/// The run directory `nas-run CONFIG --resume` continues: the newest of output.dir,
/// output.dir-2, -3, ... that holds a checkpoint. @throws UserError when there is none.
std::string find_resumable_run(const RunConfig& config);

}  // namespace hwnas
