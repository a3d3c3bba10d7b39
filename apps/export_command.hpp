// This file implements `nas-run export RUN_DIR [--pareto | --ids ID,...] [--format c|onnx|tflite|all]
// [--out DIR]`: the exporters over a finished (or stopped) run's models.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace hwnas {

struct ExportCommandOptions {
  std::string run_dir;
  bool pareto = false;  ///< the default when no --ids is given
  std::vector<std::string> ids;
  std::string format = "all";
  std::string out;
};

CLI::App* add_export_subcommand(CLI::App& app, ExportCommandOptions& o);

/// Returns the process exit code (0). @throws UserError for bad input.
int run_export_command(const ExportCommandOptions& o);

}  // namespace hwnas
