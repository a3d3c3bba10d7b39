// This file implements `nas-run report` (see report_command.hpp).
#include "apps/report_command.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

#include "search/run_report.hpp"

namespace hwnas {

CLI::App* add_report_subcommand(CLI::App& app, ReportCommandOptions& o) {
  auto* sub = app.add_subcommand("report", "write a run's report.html (plots and tables; opens from disk, no network)");
  // Not CLI::ExistingDirectory: a missing run directory is reported like any other bad
  // run directory, one line naming it, by the library.
  sub->add_option("run_dir", o.run_dir, "the run directory (finished, interrupted or still running)")->required();
  sub->add_option("--out", o.out, "the HTML file to write (default: RUN_DIR/report.html)");
  sub->fallthrough();
  return sub;
}

int run_report_command(const ReportCommandOptions& o) {
  std::cout << write_run_report(o.run_dir, o.out) << "\n";
  return 0;
}

}  // namespace hwnas
