// This file implements tflite_c_runner: a .tflite model run by the TF Lite 2.2 interpreter
// through its C API (libtensorflowlite_c.so from the npm tarball node-tflite@0.0.2, unpacked
// into tests/tflite/package/ by `scripts/install-deps.sh test`). Command line: runner_main.hpp.
#include <tensorflow/lite/c/c_api.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "tests/tflite/runner_main.hpp"

namespace hwnas::tflite_runner {
namespace {

const char* type_name(TfLiteType type) {
  switch (type) {
    case kTfLiteFloat32: return "float32";
    case kTfLiteInt8: return "int8";
    case kTfLiteUInt8: return "uint8";
    case kTfLiteInt16: return "int16";
    case kTfLiteInt32: return "int32";
    case kTfLiteInt64: return "int64";
    case kTfLiteBool: return "bool";
    case kTfLiteFloat16: return "float16";
    default: return "other";
  }
}

TensorDescription describe(const TfLiteTensor* t) {
  TensorDescription d;
  if (const char* name = TfLiteTensorName(t)) d.name = name;
  for (int32_t i = 0; i < TfLiteTensorNumDims(t); ++i) d.shape.push_back(TfLiteTensorDim(t, i));
  d.type = type_name(TfLiteTensorType(t));
  // The legacy per-tensor parameters: the C API of 2.2 exposes nothing else, and model
  // inputs and outputs are quantised per tensor.
  const TfLiteQuantizationParams q = TfLiteTensorQuantizationParams(t);
  d.scale = q.scale;
  d.zero_point = q.zero_point;
  d.bytes = TfLiteTensorByteSize(t);
  return d;
}

class TfLiteSession final : public ModelSession {
 public:
  explicit TfLiteSession(const std::string& path) {
    m_model.reset(TfLiteModelCreateFromFile(path.c_str()));
    if (!m_model) throw std::runtime_error("TF Lite cannot load the model " + path);
    std::unique_ptr<TfLiteInterpreterOptions, decltype(&TfLiteInterpreterOptionsDelete)> options(
        TfLiteInterpreterOptionsCreate(), &TfLiteInterpreterOptionsDelete);
    // One thread: the results must not depend on the machine.
    TfLiteInterpreterOptionsSetNumThreads(options.get(), 1);
    m_interpreter.reset(TfLiteInterpreterCreate(m_model.get(), options.get()));
    if (!m_interpreter) throw std::runtime_error("TF Lite cannot build an interpreter for " + path);
    if (TfLiteInterpreterGetInputTensorCount(m_interpreter.get()) != 1 ||
        TfLiteInterpreterGetOutputTensorCount(m_interpreter.get()) != 1)
      throw std::runtime_error("the model must have one input and one output tensor, it has " +
                               std::to_string(TfLiteInterpreterGetInputTensorCount(m_interpreter.get())) + " and " +
                               std::to_string(TfLiteInterpreterGetOutputTensorCount(m_interpreter.get())));
    if (TfLiteInterpreterAllocateTensors(m_interpreter.get()) != kTfLiteOk)
      throw std::runtime_error("TF Lite cannot allocate the tensors of " + path);
  }

  std::string runtime() const override { return std::string("TF Lite ") + TfLiteVersion(); }
  TensorDescription input() const override { return describe(TfLiteInterpreterGetInputTensor(m_interpreter.get(), 0)); }
  TensorDescription output() const override {
    return describe(TfLiteInterpreterGetOutputTensor(m_interpreter.get(), 0));
  }

  std::string invoke(const std::string& input) override {
    TfLiteTensor* in = TfLiteInterpreterGetInputTensor(m_interpreter.get(), 0);
    if (TfLiteTensorCopyFromBuffer(in, input.data(), input.size()) != kTfLiteOk)
      throw std::runtime_error("TF Lite refused the input bytes");
    if (TfLiteInterpreterInvoke(m_interpreter.get()) != kTfLiteOk) throw std::runtime_error("TF Lite Invoke failed");
    const TfLiteTensor* out = TfLiteInterpreterGetOutputTensor(m_interpreter.get(), 0);
    std::string bytes(TfLiteTensorByteSize(out), '\0');
    if (TfLiteTensorCopyToBuffer(out, bytes.data(), bytes.size()) != kTfLiteOk)
      throw std::runtime_error("TF Lite cannot copy the output");
    return bytes;
  }

 private:
  std::unique_ptr<TfLiteModel, decltype(&TfLiteModelDelete)> m_model{nullptr, &TfLiteModelDelete};
  std::unique_ptr<TfLiteInterpreter, decltype(&TfLiteInterpreterDelete)> m_interpreter{nullptr,
                                                                                        &TfLiteInterpreterDelete};
};

}  // namespace
}  // namespace hwnas::tflite_runner

int main(int argc, char** argv) {
  using namespace hwnas::tflite_runner;
  return runner_main(argc, argv, [](const std::string& path) { return std::make_unique<TfLiteSession>(path); });
}
