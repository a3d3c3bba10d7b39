// This file implements a run of nas-run with stdout and stderr kept apart, for the tests
// of the one-line error contract (about stderr alone) and of `--json` output (which must
// parse without the log lines).
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "tests/test_support.hpp"

namespace hwnas::test {

struct SplitResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// nas-run with `args`, run in `scratch` (its working directory, where the two outputs go).
inline SplitResult run_split(const TempDir& scratch, const std::string& args) {
  const std::string out_path = scratch.file("stdout.txt");
  const std::string err_path = scratch.file("stderr.txt");
  const std::string cmd = "cd '" + scratch.path().string() + "' && '" + HWNAS_NAS_RUN + "' " + args + " >'" +
                          out_path + "' 2>'" + err_path + "'";
  const int status = std::system(cmd.c_str());
  SplitResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(out_path);
  r.err = read_text(err_path);
  return r;
}

inline size_t count_lines(const std::string& text) {
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

}  // namespace hwnas::test
