// This file implements OnnxGraph, a small builder over Debian's libonnx protobuf classes
// (onnx::ModelProto): nodes, initializers, graph inputs and outputs, then the serialised
// model. It keeps the protobuf types out of every other file (the library links
// libonnx_proto privately), so the exporters speak in names, shapes and plain vectors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace hwnas {

/// A node attribute: an int, a float or a list of ints.
struct OnnxAttribute {
  std::string name;
  std::variant<int64_t, float, std::vector<int64_t>> value;
};

/// ONNX element types the exporters use (TensorProto::DataType values).
enum class OnnxType { kFloat = 1, kInt8 = 3, kInt32 = 6, kInt64 = 7 };

/// A dimension: a fixed size, or the symbolic batch dimension (-1 here, "batch" in the file).
inline constexpr int64_t kBatchDim = -1;

class OnnxGraph {
 public:
  /// An empty model: IR version 8 (onnx 1.12), default-domain opset 13.
  OnnxGraph(const std::string& graph_name, const std::string& doc_string);
  ~OnnxGraph();
  OnnxGraph(const OnnxGraph&) = delete;
  OnnxGraph& operator=(const OnnxGraph&) = delete;

  /// Adds a node; returns `output`.
  std::string node(const std::string& op_type, const std::vector<std::string>& inputs, const std::string& output,
                   const std::vector<OnnxAttribute>& attributes = {});

  void initializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values);
  void initializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int8_t>& values);
  void initializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int32_t>& values);
  void initializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int64_t>& values);

  void input(const std::string& name, OnnxType type, const std::vector<int64_t>& dims);
  void output(const std::string& name, OnnxType type, const std::vector<int64_t>& dims);

  /// The model as protobuf bytes, after onnx::checker::check_model accepts it.
  /// @throws std::logic_error with the checker's message when it does not (an exporter bug).
  std::string serialize() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace hwnas
