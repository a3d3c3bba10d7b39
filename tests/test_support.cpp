// This file implements the shared test helpers (see test_support.hpp).
#include "tests/test_support.hpp"

#include "util/errors.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace hwnas::test {

TempDir::TempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  m_path = std::filesystem::temp_directory_path() /
           (tag + "-" + std::to_string(rd()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(m_path);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

CommandResult run_nas_run(const std::string& args) {
  return run_command(std::string("'") + HWNAS_NAS_RUN + "' " + args);
}

CommandResult run_command(const std::string& command) {
  const std::string cmd = command + " 2>&1";
  CommandResult result;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed: " + cmd);
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

BackgroundNasRun::BackgroundNasRun(const std::string& args, const std::string& log_path) {
  // `exec` makes the shell become nas-run, so signals reach nas-run itself.
  const std::string cmd = std::string("exec '") + HWNAS_NAS_RUN + "' " + args + " > '" + log_path + "' 2>&1";
  m_pid = ::fork();
  if (m_pid < 0) throw std::runtime_error("fork failed");
  if (m_pid == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

BackgroundNasRun::~BackgroundNasRun() {
  if (!m_reaped) {
    ::kill(m_pid, SIGKILL);
    wait();
  }
}

void BackgroundNasRun::signal(int sig) const { ::kill(m_pid, sig); }

int BackgroundNasRun::wait() {
  int status = 0;
  ::waitpid(m_pid, &status, 0);
  m_reaped = true;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool BackgroundNasRun::wait_until(const std::function<bool()>& done) const {
  for (;;) {
    if (done()) return true;
    siginfo_t info{};
    if (::waitid(P_PID, id_t(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == m_pid) return done();
    ::usleep(2000);
  }
}

size_t count_file_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  size_t lines = 0;
  for (char ch; in.get(ch);) lines += ch == '\n' ? 1 : 0;
  return lines;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string source_path(const std::string& relative) {
  return (std::filesystem::path(HWNAS_SOURCE_DIR) / relative).string();
}

Layer make_test_layer(const std::string& name, OpKind op, std::vector<std::string> inputs) {
  Layer l;
  l.name = name;
  l.op = op;
  l.inputs = std::move(inputs);
  return l;
}

std::string data_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const hwnas::DataError& e) {
    return e.what();
  }
  return "no DataError";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

DatasetConfig fashion_mnist_config(int64_t train_limit, int64_t test_limit) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  DatasetConfig config;
  config.format = DatasetFormat::kIdx;
  config.name = "fashion-mnist";
  config.train_images = dir + "train-images-idx3-ubyte.gz";
  config.train_labels = dir + "train-labels-idx1-ubyte.gz";
  config.test_images = dir + "t10k-images-idx3-ubyte.gz";
  config.test_labels = dir + "t10k-labels-idx1-ubyte.gz";
  config.train_limit = train_limit;
  config.test_limit = test_limit;
  return config;
}

}  // namespace hwnas::test
