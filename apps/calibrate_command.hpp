// This file implements `nas-run calibrate measurements.csv --mcu NAME --profile NAME`: fits
// the latency coefficients of a runtime profile for the board's core family to measured
// cycles (see estimators/calibration.hpp), prints the coefficients before and after and the
// leave-one-out error, and writes the calibration file that `nas-run estimate --calibration`
// and run configs read.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace hwnas {

struct CalibrateOptions {
  std::string measurements;  ///< the CSV (docs/calibration.md)
  std::string mcu;           ///< a board of the MCU database; its core picks the rows and coefficients
  std::string profile;       ///< built-in profile name or a profile .json
  std::string out;           ///< default: calibration-<profile>-<core>.json in the current folder
  double prior_weight = 1.0;
  bool json = false;         ///< print the calibration JSON instead of the tables
};

/// Registers the `calibrate` subcommand and its options on `app`.
CLI::App* add_calibrate_subcommand(CLI::App& app, CalibrateOptions& options);

/// Runs it; returns the exit code. @throws UserError on bad input.
int run_calibrate_command(const CalibrateOptions& options);

}  // namespace hwnas
