// This file implements the logging setup (see logging.hpp).
#include "util/logging.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "util/errors.hpp"

namespace hwnas {

void setup_logging(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  // from_str maps unknown names to "off"; only accept "off" when asked for.
  if (parsed == spdlog::level::off && level != "off")
    throw UserError("--log-level: expected one of trace, debug, info, warn, error, off, found \"" + level + "\"");
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  console->set_level(parsed);
  auto logger = std::make_shared<spdlog::logger>("hwnas", console);
  // The logger passes everything down to info (or lower if asked); each sink filters, so
  // run.log stays complete whatever the console shows.
  logger->set_level(std::min(parsed, spdlog::level::info));
  logger->set_pattern("[%H:%M:%S] %^%l%$ %v");
  spdlog::set_default_logger(logger);
}

void add_log_file(const std::string& path) {
  auto logger = spdlog::default_logger();
  std::shared_ptr<spdlog::sinks::basic_file_sink_mt> file;
  try {
    file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false);
  } catch (const spdlog::spdlog_ex& e) {
    throw EnvironmentError(path + ": cannot open the log file (" + e.what() + ")");
  }
  // A full disk makes the file sink fail on every line; say so once on the terminal
  // instead of spdlog's repeated LOG ERROR lines (the run itself stops at its next write).
  logger->set_error_handler([path](const std::string& message) {
    static std::atomic<bool> said{false};
    if (!said.exchange(true)) std::fprintf(stderr, "nas-run: %s: cannot write the log (%s)\n", path.c_str(), message.c_str());
  });
  file->set_pattern("[%Y-%m-%d %H:%M:%S.%e] %l %v");
  file->set_level(logger->level());
  logger->sinks().push_back(file);
  logger->flush_on(spdlog::level::info);
}

}  // namespace hwnas
