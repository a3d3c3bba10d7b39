// This file implements the message formatting of the user-facing error types.
#include "util/errors.hpp"

#include <new>

namespace hwnas {

namespace {
std::string format_config_error(const std::string& file, const std::string& pointer,
                                const std::string& expected, const std::string& found) {
  std::string msg = file + ": " + (pointer.empty() ? "/" : pointer) + ": expected " + expected;
  if (!found.empty()) msg += ", found " + found;
  return msg;
}
}  // namespace

ConfigError::ConfigError(std::string file, std::string pointer, std::string expected,
                         std::string found)
    : UserError(format_config_error(file, pointer, expected, found)),
      m_file(std::move(file)),
      m_pointer(std::move(pointer)) {}

ConfigError::ConfigError(std::string file, std::string pointer, const std::string& full_message, int)
    : UserError(full_message), m_file(std::move(file)), m_pointer(std::move(pointer)) {}

ConfigError ConfigError::with_message(std::string file, std::string pointer,
                                      const std::string& message) {
  std::string full = file + ": " + (pointer.empty() ? "/" : pointer) + ": " + message;
  return ConfigError(std::move(file), std::move(pointer), full, 0);
}

bool is_environment_failure(const std::exception& e) {
  return dynamic_cast<const EnvironmentError*>(&e) != nullptr || dynamic_cast<const std::bad_alloc*>(&e) != nullptr;
}

}  // namespace hwnas
