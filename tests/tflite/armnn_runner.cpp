// This file implements armnn_runner: a .tflite model read by Debian's Arm NN 20.08 TfLite
// parser and run on the CpuRef backend (the reference kernels, the only backend Debian builds
// for x86). Command line: runner_main.hpp. Arm NN asserts (aborts the process) on some models,
// e.g. per-channel FULLY_CONNECTED weights: hence a program of its own.
#include <armnn/ArmNN.hpp>
#include <armnn/Version.hpp>
#include <armnnTfLiteParser/ITfLiteParser.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/tflite/runner_main.hpp"

namespace hwnas::tflite_runner {
namespace {

const char* type_name(armnn::DataType type) {
  switch (type) {
    case armnn::DataType::Float32: return "float32";
    case armnn::DataType::Float16: return "float16";
    case armnn::DataType::BFloat16: return "bfloat16";
    // Arm NN names int8 by its quantisation scheme: asymmetric (one zero point) or symmetric.
    case armnn::DataType::QAsymmS8: return "int8";
    case armnn::DataType::QSymmS8: return "int8";
    case armnn::DataType::QAsymmU8: return "uint8";
    case armnn::DataType::QSymmS16: return "int16";
    case armnn::DataType::Signed32: return "int32";
    case armnn::DataType::Boolean: return "bool";
    default: return "other";
  }
}

TensorDescription describe(const std::string& name, const armnn::TensorInfo& info) {
  TensorDescription d;
  d.name = name;
  for (unsigned i = 0; i < info.GetNumDimensions(); ++i) d.shape.push_back(info.GetShape()[i]);
  d.type = type_name(info.GetDataType());
  if (info.IsQuantized()) {
    d.scale = info.GetQuantizationScale();
    d.zero_point = info.GetQuantizationOffset();
  }
  d.bytes = info.GetNumBytes();
  return d;
}

class ArmNNSession final : public ModelSession {
 public:
  explicit ArmNNSession(const std::string& path) {
    // Parse errors (unsupported ops, bad quantisation) arrive as armnn::Exception.
    const armnnTfLiteParser::ITfLiteParserPtr parser = armnnTfLiteParser::ITfLiteParser::Create();
    armnn::INetworkPtr network = parser->CreateNetworkFromBinaryFile(path.c_str());
    const std::vector<std::string> inputs = parser->GetSubgraphInputTensorNames(0);
    const std::vector<std::string> outputs = parser->GetSubgraphOutputTensorNames(0);
    if (inputs.size() != 1 || outputs.size() != 1)
      throw std::runtime_error("the model must have one input and one output tensor, it has " +
                               std::to_string(inputs.size()) + " and " + std::to_string(outputs.size()));
    const armnn::BindingPointInfo in = parser->GetNetworkInputBindingInfo(0, inputs[0]);
    const armnn::BindingPointInfo out = parser->GetNetworkOutputBindingInfo(0, outputs[0]);
    m_input_id = in.first;
    m_output_id = out.first;
    m_input_info = in.second;
    m_output_info = out.second;
    m_input = describe(inputs[0], in.second);
    m_output = describe(outputs[0], out.second);

    std::vector<std::string> messages;
    armnn::IOptimizedNetworkPtr optimized =
        armnn::Optimize(*network, {armnn::Compute::CpuRef}, m_runtime->GetDeviceSpec(), armnn::OptimizerOptions(),
                        armnn::Optional<std::vector<std::string>&>(messages));
    if (!optimized) {
      std::string all;
      for (const std::string& m : messages) all += "\n  " + m;
      throw std::runtime_error("Arm NN cannot optimise the network for CpuRef (is libarmnn-cpuref-backend22 "
                               "installed?)" + all);
    }
    std::string error;
    if (m_runtime->LoadNetwork(m_network_id, std::move(optimized), error) != armnn::Status::Success)
      throw std::runtime_error("Arm NN LoadNetwork failed: " + error);
  }

  std::string runtime() const override { return "Arm NN 20.08 (ARMNN_VERSION " ARMNN_VERSION ") CpuRef"; }
  TensorDescription input() const override { return m_input; }
  TensorDescription output() const override { return m_output; }

  std::string invoke(const std::string& input) override {
    std::string output(m_output.bytes, '\0');
    const armnn::InputTensors inputs{{m_input_id, armnn::ConstTensor(m_input_info, input.data())}};
    const armnn::OutputTensors outputs{{m_output_id, armnn::Tensor(m_output_info, output.data())}};
    if (m_runtime->EnqueueWorkload(m_network_id, inputs, outputs) != armnn::Status::Success)
      throw std::runtime_error("Arm NN EnqueueWorkload failed");
    return output;
  }

 private:
  armnn::IRuntimePtr m_runtime = armnn::IRuntime::Create(armnn::IRuntime::CreationOptions());
  armnn::NetworkId m_network_id = 0;
  armnn::LayerBindingId m_input_id = 0;
  armnn::LayerBindingId m_output_id = 0;
  armnn::TensorInfo m_input_info;
  armnn::TensorInfo m_output_info;
  TensorDescription m_input;
  TensorDescription m_output;
};

}  // namespace
}  // namespace hwnas::tflite_runner

int main(int argc, char** argv) {
  using namespace hwnas::tflite_runner;
  return runner_main(argc, argv, [](const std::string& path) { return std::make_unique<ArmNNSession>(path); });
}
