// This file implements the error types of the engine's three error tiers.
//
// 1. Bad user input (config, arch.json, dataset files, CLI values) throws a UserError
//    subclass; nas-run maps it to one line on stderr and exit code 2.
// 2. Broken invariants are assert()s.
// 3. A failed candidate (NaN loss, over budget) is a status value, never an exception.
// 4. The machine failing the run (a full disk, an unwritable folder, memory exhausted)
//    throws an EnvironmentError: nothing is wrong with the input or the candidate, so the
//    run stops, keeps everything finished, and `nas-run resume` continues once the cause
//    is gone (exit code 3).
#pragma once

#include <exception>
#include <stdexcept>
#include <string>

namespace hwnas {

/// `message` made safe for a terminal and a one-line log: control characters (newlines
/// included), DEL and bytes that are not valid UTF-8 become \xNN, and a message longer
/// than `max_bytes` is cut with "...". Errors quote what the user gave (a CSV header, a
/// path); a binary file must not write raw bytes to the terminal.
std::string printable_message(const std::string& message, size_t max_bytes = 4096);

/// Any error caused by what the user gave us. The message is one line, complete; what it
/// quotes from the input is made printable here (a NUL byte would otherwise end what()).
class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message) : std::runtime_error(printable_message(message)) {}
};

/// A value in a JSON document (config, arch, space, MCU database) is wrong.
/// Message: "<file>: <json pointer>: expected <expected>, found <found>".
class ConfigError : public UserError {
 public:
  ConfigError(std::string file, std::string pointer, std::string expected, std::string found);

  /// For messages that are not "expected X, found Y": "<file>: <pointer>: <message>".
  static ConfigError with_message(std::string file, std::string pointer, const std::string& message);

  const std::string& file() const { return m_file; }
  const std::string& pointer() const { return m_pointer; }

 private:
  ConfigError(std::string file, std::string pointer, const std::string& full_message, int);

  std::string m_file;
  std::string m_pointer;
};

/// A data file (IDX, CSV, NPY) is missing, truncated or inconsistent.
/// Message: "<file>: <what>".
class DataError : public UserError {
 public:
  DataError(const std::string& file, const std::string& what) : UserError(file + ": " + what) {}
};

/// The machine, not the input or a candidate, failed: writing, syncing or renaming a file,
/// creating a folder, or memory. Message: "<file>: <what>: <system reason>".
class EnvironmentError : public std::runtime_error {
 public:
  explicit EnvironmentError(const std::string& message) : std::runtime_error(printable_message(message)) {}
};

/// True when `e` is a failure of the machine (EnvironmentError or std::bad_alloc): code that
/// turns a candidate's exceptions into a failed status must let these through, because
/// they say nothing about the candidate and would fail every candidate after it.
bool is_environment_failure(const std::exception& e);


}  // namespace hwnas
