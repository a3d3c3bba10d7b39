// This file implements the part the two .tflite runner programs share (tflite_c_runner for
// TF Lite 2.2, armnn_runner for Arm NN): the command line, the batch loop over raw input
// bytes, the --describe JSON and the error handling. Each runner only opens a model in its
// runtime and invokes it on one input.
//
//   RUNNER model.tflite inputs.bin count outputs.bin   runs `count` inputs (raw bytes, back to
//                                                       back) and writes the outputs the same way
//   RUNNER --describe model.tflite                      prints the input and output tensors as JSON
//
// Any failure prints one message on stderr and exits with 1. These are separate programs
// because a runtime may abort the whole process on a model it dislikes (Arm NN asserts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hwnas::tflite_runner {

/// One model input or output tensor as the runtime sees it.
struct TensorDescription {
  std::string name;
  std::vector<int64_t> shape;
  std::string type;        ///< "float32", "int8", "uint8", "int16", "int32", ...
  double scale = 0;        ///< per-tensor quantisation scale (0 when not quantised)
  int64_t zero_point = 0;
  size_t bytes = 0;        ///< the byte size of one sample, from the runtime
};

/// A model loaded in one runtime, ready to run one input at a time.
class ModelSession {
 public:
  virtual ~ModelSession() = default;
  /// The runtime and its version, e.g. "TF Lite 2.2.0".
  virtual std::string runtime() const = 0;
  virtual TensorDescription input() const = 0;
  virtual TensorDescription output() const = 0;
  /// Runs the model on one input of input().bytes bytes; returns output().bytes bytes.
  /// @throws std::exception on any runtime failure
  virtual std::string invoke(const std::string& input) = 0;
};

using OpenModel = std::function<std::unique_ptr<ModelSession>(const std::string& model_path)>;

/// The whole program: parses argv, opens the model with `open` and runs or describes it.
/// Returns the process exit status.
int runner_main(int argc, char** argv, const OpenModel& open);

}  // namespace hwnas::tflite_runner
