// This file implements `nas-run train ARCH --config CONFIG`: train one architecture with
// a config's dataset, recipe and quantisation settings, with per-epoch progress, save its
// weights and report float and int8 test accuracy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace hwnas {

struct TrainCommandOptions {
  std::string arch_path;
  std::string config_path;
  std::string out;     ///< output folder; empty: <config output.dir>/../train-<arch name>
  int64_t seed = -1;   ///< -1: the config's search.seed
  std::optional<uint64_t> training_seed;  ///< none: derived from the search seed; else a history record's seed
  int epochs = 0;      ///< 0: the config's training.epochs
  int validation_split = 0;  ///< which validation set to hold out (load_search_data)
  std::string save_splits;  ///< also write the splits as .npy files here
  bool json = false;   ///< print result.json to stdout
};

CLI::App* add_train_subcommand(CLI::App& app, TrainCommandOptions& o);

/// Returns the process exit code: 0 when the network trained, 1 when training failed
/// (a non-finite loss). @throws UserError for bad input.
int run_train_command(const TrainCommandOptions& o);

}  // namespace hwnas
