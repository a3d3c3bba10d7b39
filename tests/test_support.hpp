// This file implements helpers shared by the tests: temporary directories, running the
// nas-run binary and capturing its output, and small file utilities.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "space/layer.hpp"
#include "trainers/data/dataset_config.hpp"

namespace hwnas::test {

/// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "hwnas");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }
  std::string file(const std::string& name) const { return (m_path / name).string(); }

 private:
  std::filesystem::path m_path;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};

/// Runs the nas-run binary with `args` (a shell-quoted argument string).
CommandResult run_nas_run(const std::string& args);
/// Runs a shell command line, capturing stdout and stderr together.
CommandResult run_command(const std::string& command);

/// nas-run started in the background (output to `log_path`), to be interrupted by a test.
class BackgroundNasRun {
 public:
  BackgroundNasRun(const std::string& args, const std::string& log_path);
  ~BackgroundNasRun();  ///< kills the process if it still runs
  BackgroundNasRun(const BackgroundNasRun&) = delete;
  BackgroundNasRun& operator=(const BackgroundNasRun&) = delete;
  void signal(int sig) const;
  /// Waits for the exit; the exit code, or 128 + signal number when killed.
  int wait();
  /// Polls every few milliseconds until `done` holds (true) or the process exits (false).
  bool wait_until(const std::function<bool()>& done) const;

 private:
  int m_pid = -1;
  bool m_reaped = false;
};

/// Number of complete lines in a file (0 when it does not exist).
size_t count_file_lines(const std::string& path);

void write_text(const std::string& path, const std::string& text);
std::string read_text(const std::string& path);

/// Absolute path of a file in the source tree (e.g. "configs/archs/resnet8.json").
std::string source_path(const std::string& relative);

/// A layer with name, op and inputs; attributes keep their defaults.
Layer make_test_layer(const std::string& name, OpKind op, std::vector<std::string> inputs);

/// Debian's Fashion-MNIST (dataset-fashion-mnist) as an IDX dataset config with
/// class-stratified limits (0: all); other fields keep their defaults.
DatasetConfig fashion_mnist_config(int64_t train_limit, int64_t test_limit);

/// The DataError message of `f`, or "no DataError" when it does not throw one.
std::string data_error(const std::function<void()>& f);
bool contains(const std::string& text, const std::string& part);

}  // namespace hwnas::test
