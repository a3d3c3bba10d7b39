// This file implements `nas-run estimate arch.json --mcu NAME|all`: the cost report of an
// architecture on one board or on every board of the database, under one runtime profile:
// a per-op table (MACs, parameters, latency, live activation bytes) in schedule order,
// flash/RAM/latency/energy totals, and whether it fits each board with what margin.
#pragma once

#include <string>

namespace hwnas {

struct EstimateOptions {
  std::string arch_path;
  std::string mcu = "all";              ///< a board name or "all"
  std::string profile = "tflm-cmsis-nn";  ///< built-in name or a profile .json
  std::string calibration;              ///< optional calibration file from nas-run calibrate
  std::string mcu_file;                 ///< optional extra boards (same format as configs/mcus.json)
  bool json = false;
};

/// Prints to stdout; returns the exit code. @throws UserError on bad input.
int run_estimate_command(const EstimateOptions& options);

}  // namespace hwnas
