// This file implements the .tflite runtime runners (see tflite_runtime_runner.hpp): it calls
// the runner programs of tests/tflite/ through the shell and turns their failures into exceptions.
#include "tests/tflite_runtime_runner.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "tests/test_support.hpp"

namespace hwnas::test {
namespace {

/// The runner program of `runtime` (a path compiled in by tests/CMakeLists.txt), or an
/// error naming the install command when CMake did not find the runtime.
std::string runner_path(TfliteRuntime runtime) {
  const bool tflite = runtime == TfliteRuntime::kTfLite22;
  const std::string path = tflite ? HWNAS_TFLITE_C_RUNNER : HWNAS_ARMNN_RUNNER;
  const std::string missing = tflite ? HWNAS_TFLITE_C_MISSING : HWNAS_ARMNN_MISSING;
  if (path.empty())
    throw std::runtime_error(std::string(tflite_runtime_name(runtime)) + " runner was not built: CMake did not find " +
                             missing + ". Run `bash scripts/install-deps.sh test`, then configure and build again.");
  return path;
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (const char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

/// Runs the runner with `args`; stdout goes to `stdout_path`, so the captured output is the
/// runner's stderr alone.
void run_runner(TfliteRuntime runtime, const std::string& args, const std::string& stdout_path) {
  // The braces keep run_command's trailing 2>&1 off the stdout file.
  const CommandResult r =
      run_command("{ " + quoted(runner_path(runtime)) + " " + args + " > " + quoted(stdout_path) + "; }");
  if (r.exit_code != 0) {
    // 134 = 128 + SIGABRT: an assertion inside the runtime.
    const std::string how = r.exit_code == 134 ? " (aborted)" : "";
    throw std::runtime_error(std::string(tflite_runtime_name(runtime)) + " runner failed with exit status " +
                             std::to_string(r.exit_code) + how + ": " + r.output);
  }
}

TfliteTensorInfo tensor_info(const nlohmann::json& j) {
  TfliteTensorInfo t;
  t.name = j.at("name").get<std::string>();
  t.shape = j.at("shape").get<std::vector<int64_t>>();
  t.type = j.at("type").get<std::string>();
  t.scale = j.at("scale").get<double>();
  t.zero_point = j.at("zero_point").get<int64_t>();
  t.bytes = j.at("bytes").get<int64_t>();
  return t;
}

}  // namespace

const char* tflite_runtime_name(TfliteRuntime runtime) {
  return runtime == TfliteRuntime::kTfLite22 ? "TF Lite 2.2" : "Arm NN 20.08 CpuRef";
}

std::string run_tflite_model(TfliteRuntime runtime, const std::string& model_path, const std::string& inputs,
                             int64_t count) {
  TempDir dir("hwnas-tflite-run");
  const std::string in = dir.file("inputs.bin");
  const std::string out = dir.file("outputs.bin");
  write_text(in, inputs);
  run_runner(runtime, quoted(model_path) + " " + quoted(in) + " " + std::to_string(count) + " " + quoted(out),
             dir.file("stdout.txt"));
  return read_text(out);
}

TfliteModelInfo describe_tflite_model(TfliteRuntime runtime, const std::string& model_path) {
  TempDir dir("hwnas-tflite-describe");
  const std::string json_path = dir.file("describe.json");
  run_runner(runtime, "--describe " + quoted(model_path), json_path);
  const std::string text = read_text(json_path);
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    return {j.at("runtime").get<std::string>(), tensor_info(j.at("input")), tensor_info(j.at("output"))};
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string(tflite_runtime_name(runtime)) + " runner printed no valid description (" +
                             e.what() + "): " + text);
  }
}

}  // namespace hwnas::test
