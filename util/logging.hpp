// This file implements the logging setup: spdlog to the console and, once a run
// directory exists, to its run.log as well.
#pragma once

#include <string>

namespace hwnas {

/// Parses "trace|debug|info|warn|error|off". @throws UserError listing the valid names.
void setup_logging(const std::string& level);
/// Mirrors all further log lines to `path` (appending).
void add_log_file(const std::string& path);

}  // namespace hwnas
