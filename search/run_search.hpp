// This file implements run_search, the whole pipeline behind `nas-run config.json`:
// load the data, sample candidates that fit every target, train and score them, and
// write the run directory. It reads like a script of named steps; each step is a
// function in run_search.cpp or its own file.
#pragma once

#include <string>

#include "search/run_config.hpp"
#include "trainers/dataset.hpp"

namespace hwnas {

struct RunSummary {
  std::string run_dir;
  int evaluated = 0;
  int failed = 0;
  int rejected = 0;     ///< samples that did not fit a target (never trained)
  int duplicates = 0;   ///< samples whose network was already a candidate
  bool stopped_early = false;  ///< signal or wall-time budget
  std::string stop_reason;
};

/// The train/validation/test splits a search with `config` uses (they depend only on the
/// dataset section and search.seed), so `nas-run train` scores on the same splits.
/// @throws DataError / UserError for bad data files.
DatasetSplits load_search_data(const RunConfig& config);

/// Runs the search described by `config` (its overrides already applied by the CLI).
/// `threads` bounds the total number of worker threads (0: all cores).
/// @throws UserError for bad input (data files, output directory).
RunSummary run_search(const RunConfig& config, int threads);

}  // namespace hwnas
