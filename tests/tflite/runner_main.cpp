// This file implements the shared command line of the .tflite runners (see runner_main.hpp).
#include "tests/tflite/runner_main.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace hwnas::tflite_runner {
namespace {

const char* const kUsage =
    "usage: RUNNER model.tflite inputs.bin count outputs.bin\n"
    "       RUNNER --describe model.tflite\n";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char ch : text) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(ch)));
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string json_tensor(const TensorDescription& t) {
  std::string shape;
  for (const int64_t d : t.shape) shape += (shape.empty() ? "" : ",") + std::to_string(d);
  // %.9g round-trips a float scale exactly.
  char scale[32];
  std::snprintf(scale, sizeof scale, "%.9g", t.scale);
  return "{\"name\":" + json_string(t.name) + ",\"shape\":[" + shape + "],\"type\":" + json_string(t.type) +
         ",\"scale\":" + scale + ",\"zero_point\":" + std::to_string(t.zero_point) +
         ",\"bytes\":" + std::to_string(t.bytes) + "}";
}

int64_t parse_count(const std::string& text) {
  size_t used = 0;
  int64_t count = -1;
  try {
    count = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || count < 0) throw std::runtime_error("count must be a non-negative integer, got '" + text + "'");
  return count;
}

std::string run_batch(ModelSession& session, const std::string& inputs, int64_t count) {
  const size_t in_bytes = session.input().bytes;
  const size_t out_bytes = session.output().bytes;
  if (inputs.size() != static_cast<size_t>(count) * in_bytes)
    throw std::runtime_error("inputs file holds " + std::to_string(inputs.size()) + " bytes, expected " +
                             std::to_string(count) + " x " + std::to_string(in_bytes));
  std::string outputs;
  outputs.reserve(static_cast<size_t>(count) * out_bytes);
  for (int64_t i = 0; i < count; ++i) {
    const std::string out = session.invoke(inputs.substr(static_cast<size_t>(i) * in_bytes, in_bytes));
    if (out.size() != out_bytes)
      throw std::runtime_error("sample " + std::to_string(i) + ": the runtime returned " + std::to_string(out.size()) +
                               " output bytes, expected " + std::to_string(out_bytes));
    outputs += out;
  }
  return outputs;
}

}  // namespace

int runner_main(int argc, char** argv, const OpenModel& open) {
  // NOTE: runtimes log to stdout as they please; the JSON keeps the real stdout to itself and
  // everything else printed to fd 1 goes to stderr.
  const int json_fd = ::dup(1);
  if (json_fd < 0 || ::dup2(2, 1) < 0) {
    std::fprintf(stderr, "cannot redirect stdout\n");
    return 1;
  }
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 2 && args[0] == "--describe") {
      const auto session = open(args[1]);
      const std::string json = "{\"runtime\":" + json_string(session->runtime()) +
                               ",\"input\":" + json_tensor(session->input()) +
                               ",\"output\":" + json_tensor(session->output()) + "}\n";
      if (::write(json_fd, json.data(), json.size()) != static_cast<ssize_t>(json.size()))
        throw std::runtime_error("cannot write to stdout");
      return 0;
    }
    if (args.size() != 4 || args[0].starts_with("-")) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    const int64_t count = parse_count(args[2]);
    const std::string inputs = read_file(args[1]);
    const auto session = open(args[0]);
    write_file(args[3], run_batch(*session, inputs, count));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argc > 0 ? argv[0] : "runner", e.what());
    return 1;
  }
}

}  // namespace hwnas::tflite_runner
