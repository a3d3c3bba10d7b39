// This file implements `nas-run inspect arch.json`: the per-layer table of an
// architecture (shapes, parameters, MACs, activation sizes) and its totals.
#pragma once

#include <string>

namespace hwnas {

/// Prints the table (or JSON with `json`) to stdout; returns the exit code.
int run_inspect_command(const std::string& arch_path, bool json);

}  // namespace hwnas
