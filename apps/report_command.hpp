// This file implements `nas-run report RUN_DIR [--out FILE]`: report.html for any run
// directory (finished, interrupted, live or from an older version), by default into the
// run directory itself.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace hwnas {

struct ReportCommandOptions {
  std::string run_dir;
  std::string out;  ///< "" : RUN_DIR/report.html
};

CLI::App* add_report_subcommand(CLI::App& app, ReportCommandOptions& o);

/// Prints the path written; returns the exit code (0). @throws UserError for bad input.
int run_report_command(const ReportCommandOptions& o);

}  // namespace hwnas
