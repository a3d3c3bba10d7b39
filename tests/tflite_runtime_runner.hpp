// This file implements the external checks of .tflite files the tests use: a model run in one
// of two independent real runtimes, TF Lite 2.2 (its C API, from npm's node-tflite@0.0.2) and
// Arm NN 20.08 (Debian, CpuRef backend), each in a subprocess (tests/tflite/*_runner) because
// Arm NN aborts the process on some models. `scripts/install-deps.sh test` installs both.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hwnas::test {

enum class TfliteRuntime { kTfLite22, kArmNN };

/// "TF Lite 2.2" or "Arm NN 20.08 CpuRef", for messages.
const char* tflite_runtime_name(TfliteRuntime runtime);

/// One model input or output tensor as a runtime sees it.
struct TfliteTensorInfo {
  std::string name;
  std::vector<int64_t> shape;
  std::string type;  ///< "float32", "int8", "uint8", "int32", ...
  double scale = 0;  ///< per-tensor quantisation scale, 0 when not quantised
  int64_t zero_point = 0;
  int64_t bytes = 0;  ///< byte size of one sample
};

/// The runtime's view of a model's single input and output (the runner's --describe JSON).
struct TfliteModelInfo {
  std::string runtime;  ///< with the version the library reports
  TfliteTensorInfo input;
  TfliteTensorInfo output;
};

/// Runs `model_path` in `runtime` in a subprocess on `count` inputs (raw bytes, back to back);
/// returns the outputs' raw bytes back to back. The model has one input and one output tensor.
/// @throws std::runtime_error carrying the runner's stderr and exit status (an abort included)
///         on failure, or naming the install command when the runner was not built
std::string run_tflite_model(TfliteRuntime runtime, const std::string& model_path, const std::string& inputs,
                             int64_t count);

/// The runtime's view of the model's input and output tensors (the --describe JSON), parsed.
/// @throws std::runtime_error as run_tflite_model
TfliteModelInfo describe_tflite_model(TfliteRuntime runtime, const std::string& model_path);

}  // namespace hwnas::test
