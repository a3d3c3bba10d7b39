// This file implements import_tflite (see tflite_import.hpp): a verifying walk over the
// flatbuffer with the field ids of tflite_schema.hpp, then one IR layer per operator (and
// one per fused activation).
#include "exporters/tflite_import.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "exporters/tflite_schema.hpp"
#include "exporters/verified_flatbuffer.hpp"
#include "space/arch_json.hpp"
#include "util/atomic_file.hpp"
#include "util/errors.hpp"

namespace hwnas {

namespace {

namespace fb = flatbuffers;
using namespace tflite;

// A .tflite for a microcontroller is well under this; the bound keeps a wrong path (a
// device, a huge file) from being read into memory.
constexpr int64_t kMaxFileBytes = int64_t(1) << 30;

struct TensorInfo {
  std::vector<int32_t> shape;
  uint32_t buffer = 0;
  std::string name;
};

const char* builtin_name(int32_t code) {
  switch (Builtin(code)) {
    case Builtin::kAdd: return "ADD";
    case Builtin::kAveragePool2D: return "AVERAGE_POOL_2D";
    case Builtin::kConcatenation: return "CONCATENATION";
    case Builtin::kConv2D: return "CONV_2D";
    case Builtin::kDepthwiseConv2D: return "DEPTHWISE_CONV_2D";
    case Builtin::kDequantize: return "DEQUANTIZE";
    case Builtin::kFullyConnected: return "FULLY_CONNECTED";
    case Builtin::kMaxPool2D: return "MAX_POOL_2D";
    case Builtin::kRelu: return "RELU";
    case Builtin::kRelu6: return "RELU6";
    case Builtin::kReshape: return "RESHAPE";
    case Builtin::kSoftmax: return "SOFTMAX";
    case Builtin::kMean: return "MEAN";
    case Builtin::kQuantize: return "QUANTIZE";
  }
  return nullptr;
}

class Importer {
 public:
  Importer(const std::string& bytes, const std::string& file) : m_reader(bytes, file, "TF Lite model") {
    const fb::Table* model = m_reader.root(bytes.size(), kFileIdentifier);
    const auto version = m_reader.scalar<uint32_t>(model, model::kVersion, 0, "version");
    if (version != kSchemaVersion) m_reader.fail("schema version " + std::to_string(version) + ", expected 3");
    for (const fb::Table* code : m_reader.tables(model, model::kOperatorCodes, "operator_codes")) {
      const int32_t deprecated = m_reader.scalar<int8_t>(code, operator_code::kDeprecatedBuiltinCode, 0, "deprecated_builtin_code");
      const int32_t builtin = m_reader.scalar<int32_t>(code, operator_code::kBuiltinCode, 0, "builtin_code");
      m_codes.push_back(std::max(deprecated, builtin));  // TF Lite's rule for old and new files
    }
    m_buffers = m_reader.tables(model, model::kBuffers, "buffers");
    const auto subgraphs = m_reader.tables(model, model::kSubgraphs, "subgraphs");
    if (subgraphs.size() != 1)
      m_reader.fail(std::to_string(subgraphs.size()) + " subgraphs (hwnas reads models of one subgraph)");
    m_subgraph = subgraphs[0];
    for (const fb::Table* t : m_reader.tables(m_subgraph, subgraph::kTensors, "tensors"))
      m_tensors.push_back({m_reader.scalars<int32_t>(t, tensor::kShape, "tensor shape"),
                           m_reader.scalar<uint32_t>(t, tensor::kBuffer, 0, "tensor buffer"),
                           m_reader.string(t, tensor::kName, "tensor name")});
  }

  Architecture build(const std::string& name) {
    const auto inputs = m_reader.scalars<int32_t>(m_subgraph, subgraph::kInputs, "subgraph inputs");
    const auto outputs = m_reader.scalars<int32_t>(m_subgraph, subgraph::kOutputs, "subgraph outputs");
    if (inputs.size() != 1 || outputs.size() != 1)
      m_reader.fail(std::to_string(inputs.size()) + " inputs and " + std::to_string(outputs.size()) +
                    " outputs (hwnas reads models of one input and one output)");
    const TensorShape input_shape = shape_of(tensor(inputs[0]), "the input");
    m_producer[inputs[0]] = kInputName;
    const auto operators = m_reader.tables(m_subgraph, subgraph::kOperators, "operators");
    for (size_t i = 0; i < operators.size(); ++i) lower(i, operators[i]);
    const auto last = m_producer.find(outputs[0]);
    if (m_layers.empty() || last == m_producer.end() || last->second != m_layers.back().name)
      m_reader.fail("the output tensor is not the result of the last operator");
    try {
      return Architecture(name, input_shape, std::move(m_layers));
    } catch (const UserError& e) {
      m_reader.fail(e.what());
    }
  }

 private:
  const TensorInfo& tensor(int32_t index) const {
    if (index < 0 || size_t(index) >= m_tensors.size()) m_reader.fail("tensor index " + std::to_string(index) + " out of range");
    return m_tensors[size_t(index)];
  }

  // NHWC without the batch: [1, H, W, C] -> (H, W, C); [1, C] -> (1, 1, C); [1, L, C] -> (L, 1, C).
  TensorShape shape_of(const TensorInfo& t, const std::string& what) const {
    const std::vector<int32_t>& s = t.shape;
    const bool positive = std::all_of(s.begin(), s.end(), [](int32_t d) { return d >= 1 && d <= (1 << 24); });
    if (!positive || s.empty() || s.size() > 4 || s[0] != 1)
      m_reader.fail(what + " has shape " + shape_text(s) + " (expected [1, H, W, C], [1, L, C] or [1, C])");
    if (s.size() == 4) return {s[1], s[2], s[3]};
    if (s.size() == 3) return {s[1], 1, s[2]};
    if (s.size() == 2) return {1, 1, s[1]};
    return {1, 1, 1};
  }

  static std::string shape_text(const std::vector<int32_t>& s) {
    std::string text = "[";
    for (size_t i = 0; i < s.size(); ++i) text += (i ? ", " : "") + std::to_string(s[i]);
    return text + "]";
  }

  const std::string& producer(int32_t index) const {
    const auto it = m_producer.find(index);
    if (it == m_producer.end())
      m_reader.fail("tensor " + std::to_string(index) + " (" + tensor(index).name + ") is read before any operator writes it");
    return it->second;
  }

  // A layer name from the output tensor's name: unique, printable, not "input".
  std::string layer_name(const std::string& tensor_name, size_t op) {
    std::string n;
    for (char c : tensor_name) n += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '/' || c == '.' || c == '-') ? c : '_';
    if (n.empty() || n.size() > 64 || n == kInputName || m_names.count(n)) n = "op" + std::to_string(op);
    while (m_names.count(n)) n += "_";
    m_names.insert(n);
    return n;
  }

  // The constant data of tensor `index` as int32 values.
  std::vector<int32_t> int32_data(int32_t index, const std::string& what) {
    const TensorInfo& t = tensor(index);
    if (t.buffer == 0 || t.buffer >= m_buffers.size()) m_reader.fail(what + " is not a constant tensor");
    const std::vector<uint8_t> bytes = m_reader.bytes(m_buffers[t.buffer]);
    std::vector<int32_t> values(bytes.size() / 4);
    // An empty vector's data() may be null, which memcpy must not get even for 0 bytes.
    if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * 4);
    return values;
  }

  Layer& add_layer(Layer l, const std::vector<std::string>& inputs) {
    l.inputs = inputs;
    m_layers.push_back(std::move(l));
    return m_layers.back();
  }

  // Adds the fused activation of `options` after the last layer; returns the name that
  // the op's output tensor is produced by.
  std::string add_fused(int8_t activation, const std::string& what) {
    const std::string last = m_layers.back().name;
    if (activation == int8_t(FusedActivation::kNone)) return last;
    Layer l;
    if (activation == int8_t(FusedActivation::kRelu)) l.op = OpKind::kReLU;
    else if (activation == int8_t(FusedActivation::kRelu6)) l.op = OpKind::kReLU6;
    else m_reader.fail(what + " has fused activation " + std::to_string(activation) + " (hwnas models none, RELU and RELU6)");
    l.name = layer_name(last + "_relu", m_layers.size());
    return add_layer(l, {last}).name;
  }

  void read_window(const fb::Table* o, int padding, int stride_w, int stride_h, Layer& l, const std::string& what) {
    const auto pad = m_reader.scalar<int8_t>(o, padding, 0, "padding");
    if (pad != int8_t(tflite::Padding::kSame) && pad != int8_t(tflite::Padding::kValid)) m_reader.fail(what + " has an unknown padding");
    l.padding = pad == int8_t(tflite::Padding::kSame) ? hwnas::Padding::kSame : hwnas::Padding::kValid;
    l.stride_w = m_reader.scalar<int32_t>(o, stride_w, 0, "stride_w");
    l.stride_h = m_reader.scalar<int32_t>(o, stride_h, 0, "stride_h");
  }

  // The field ids of a convolution's options table.
  struct ConvolutionFields {
    int padding, stride_w, stride_h, activation, dilation_w, dilation_h;
  };

  // Adds convolution `l` (kind and kernel set) with its window, bias and fused activation
  // from options `o`; returns the layer its output tensor comes from.
  std::string add_convolution(Layer l, const fb::Table* o, const std::vector<int32_t>& ins, const ConvolutionFields& f,
                              const std::string& what) {
    read_window(o, f.padding, f.stride_w, f.stride_h, l, what);
    if (m_reader.scalar<int32_t>(o, f.dilation_w, 1, "dilation_w_factor") != 1 ||
        m_reader.scalar<int32_t>(o, f.dilation_h, 1, "dilation_h_factor") != 1)
      m_reader.fail(what + " is dilated (hwnas models dilation 1)");
    l.use_bias = ins.size() > 2 && ins[2] >= 0;
    add_layer(l, {producer(ins[0])});
    return add_fused(m_reader.scalar<int8_t>(o, f.activation, 0, "activation"), what);
  }

  const fb::Table* options(const fb::Table* op, OptionsType expected, const std::string& what) {
    const auto type = m_reader.scalar<uint8_t>(op, op::kBuiltinOptionsType, 0, "builtin_options_type");
    const fb::Table* o = m_reader.table(op, op::kBuiltinOptions, "builtin_options");
    if (type != uint8_t(expected) || !o) m_reader.fail(what + " has no options of its kind");
    return o;
  }

  void lower(size_t index, const fb::Table* op) {
    const auto opcode = m_reader.scalar<uint32_t>(op, op::kOpcodeIndex, 0, "opcode_index");
    if (opcode >= m_codes.size()) m_reader.fail("operator " + std::to_string(index) + " has no operator code");
    const int32_t code = m_codes[opcode];
    const char* kind = builtin_name(code);
    const std::string what = "operator " + std::to_string(index) + " (" + (kind ? kind : "builtin " + std::to_string(code)) + ")";
    if (!kind)
      m_reader.fail(what + " is not one hwnas models (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, "
                           "MAX_POOL_2D, MEAN, ADD, CONCATENATION, RESHAPE, SOFTMAX, RELU, RELU6, QUANTIZE, DEQUANTIZE)");
    const auto ins = m_reader.scalars<int32_t>(op, op::kInputs, "operator inputs");
    const auto outs = m_reader.scalars<int32_t>(op, op::kOutputs, "operator outputs");
    if (ins.empty() || outs.size() != 1) m_reader.fail(what + " needs inputs and one output");
    const TensorInfo& out = tensor(outs[0]);
    const TensorShape out_shape = shape_of(out, what + "'s output");
    auto needs = [&](size_t n) { if (ins.size() < n) m_reader.fail(what + " has " + std::to_string(ins.size()) + " inputs"); };
    Layer l;
    l.name = layer_name(out.name, index);
    std::string result;
    switch (Builtin(code)) {
      case Builtin::kQuantize:
      case Builtin::kDequantize:  // a change of number format: the same tensor to the IR
        m_producer[outs[0]] = producer(ins[0]);
        return;
      case Builtin::kConv2D: {
        needs(2);
        const fb::Table* o = options(op, OptionsType::kConv2D, what);
        const auto& w = tensor(ins[1]).shape;
        if (w.size() != 4) m_reader.fail(what + " has weights of shape " + shape_text(w));
        l.op = OpKind::kConv2D;
        l.filters = w[0], l.kernel_h = w[1], l.kernel_w = w[2];
        result = add_convolution(l, o, ins,
                                 {conv_options::kPadding, conv_options::kStrideW, conv_options::kStrideH,
                                  conv_options::kActivation, conv_options::kDilationW, conv_options::kDilationH},
                                 what);
        break;
      }
      case Builtin::kDepthwiseConv2D: {
        needs(2);
        const fb::Table* o = options(op, OptionsType::kDepthwiseConv2D, what);
        const auto& w = tensor(ins[1]).shape;
        const TensorShape in = shape_of(tensor(ins[0]), what + "'s input");
        if (w.size() != 4 || w[3] % in.c != 0) m_reader.fail(what + " has weights of shape " + shape_text(w));
        l.op = OpKind::kDepthwiseConv2D;
        l.kernel_h = w[1], l.kernel_w = w[2], l.depth_multiplier = w[3] / in.c;
        result = add_convolution(l, o, ins,
                                 {depthwise_options::kPadding, depthwise_options::kStrideW, depthwise_options::kStrideH,
                                  depthwise_options::kActivation, depthwise_options::kDilationW,
                                  depthwise_options::kDilationH},
                                 what);
        break;
      }
      case Builtin::kFullyConnected: {
        needs(2);
        const fb::Table* o = options(op, OptionsType::kFullyConnected, what);
        const auto& w = tensor(ins[1]).shape;
        if (w.size() != 2) m_reader.fail(what + " has weights of shape " + shape_text(w));
        std::string source = producer(ins[0]);
        if (!shape_of(tensor(ins[0]), what + "'s input").is_flat()) {  // TF Lite flattens implicitly
          Layer flatten;
          flatten.op = OpKind::kFlatten;
          flatten.name = layer_name(l.name + "_flatten", m_layers.size());
          source = add_layer(flatten, {source}).name;
        }
        l.op = OpKind::kDense;
        l.units = w[0];
        l.use_bias = ins.size() > 2 && ins[2] >= 0;
        add_layer(l, {source});
        result = add_fused(m_reader.scalar<int8_t>(o, fully_connected_options::kActivation, 0, "activation"), what);
        break;
      }
      case Builtin::kAveragePool2D:
      case Builtin::kMaxPool2D: {
        const fb::Table* o = options(op, OptionsType::kPool2D, what);
        l.op = Builtin(code) == Builtin::kAveragePool2D ? OpKind::kAvgPool2D : OpKind::kMaxPool2D;
        read_window(o, pool_options::kPadding, pool_options::kStrideW, pool_options::kStrideH, l, what);
        l.kernel_w = m_reader.scalar<int32_t>(o, pool_options::kFilterW, 0, "filter_width");
        l.kernel_h = m_reader.scalar<int32_t>(o, pool_options::kFilterH, 0, "filter_height");
        add_layer(l, {producer(ins[0])});
        result = add_fused(m_reader.scalar<int8_t>(o, pool_options::kActivation, 0, "activation"), what);
        break;
      }
      case Builtin::kMean: {
        needs(2);
        std::vector<int32_t> axes = int32_data(ins[1], what + "'s axis");
        std::sort(axes.begin(), axes.end());
        if (tensor(ins[0]).shape.size() != 4 || axes != std::vector<int32_t>{1, 2})
          m_reader.fail(what + " averages other axes than H and W of a 4-D tensor");
        l.op = OpKind::kGlobalAvgPool;
        result = add_layer(l, {producer(ins[0])}).name;
        break;
      }
      case Builtin::kAdd:
      case Builtin::kConcatenation: {
        std::vector<std::string> sources;
        for (int32_t in : ins) sources.push_back(producer(in));
        int8_t activation = 0;
        if (Builtin(code) == Builtin::kAdd) {
          l.op = OpKind::kAdd;
          if (const fb::Table* o = m_reader.table(op, op::kBuiltinOptions, "builtin_options"))
            activation = m_reader.scalar<int8_t>(o, add_options::kActivation, 0, "activation");
        } else {
          const fb::Table* o = options(op, OptionsType::kConcatenation, what);
          const auto rank = int32_t(out.shape.size());
          const int32_t axis = m_reader.scalar<int32_t>(o, concatenation_options::kAxis, 0, "axis");
          if (axis != -1 && axis != rank - 1) m_reader.fail(what + " concatenates along axis " + std::to_string(axis) + ", not channels");
          l.op = OpKind::kConcat;
          activation = m_reader.scalar<int8_t>(o, concatenation_options::kActivation, 0, "activation");
        }
        add_layer(l, sources);
        result = add_fused(activation, what);
        break;
      }
      case Builtin::kReshape:
        l.op = out.shape.size() == 2 ? OpKind::kFlatten : OpKind::kReshape;
        l.target_shape = out_shape;
        result = add_layer(l, {producer(ins[0])}).name;
        break;
      case Builtin::kSoftmax:
        l.op = OpKind::kSoftmax;
        result = add_layer(l, {producer(ins[0])}).name;
        break;
      case Builtin::kRelu:
      case Builtin::kRelu6:
        l.op = Builtin(code) == Builtin::kRelu ? OpKind::kReLU : OpKind::kReLU6;
        result = add_layer(l, {producer(ins[0])}).name;
        break;
    }
    m_producer[outs[0]] = result;
  }

  VerifiedFlatbuffer m_reader;
  std::vector<int32_t> m_codes;
  std::vector<const fb::Table*> m_buffers;
  const fb::Table* m_subgraph = nullptr;
  std::vector<TensorInfo> m_tensors;
  std::vector<Layer> m_layers;
  std::map<int32_t, std::string> m_producer;  ///< tensor -> IR layer (or kInputName)
  std::set<std::string> m_names;
};

}  // namespace

Architecture import_tflite(const std::string& bytes, const std::string& file) {
  if (int64_t(bytes.size()) > kMaxFileBytes) throw UserError(file + ": larger than 1 GiB; not a microcontroller model");
  return Importer(bytes, file).build(std::filesystem::path(file).stem().string());
}

Architecture load_network_file(const std::string& path) {
  if (std::filesystem::path(path).extension() != ".tflite") return load_architecture(path);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw UserError(path + ": not a regular file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || int64_t(size) > kMaxFileBytes) throw UserError(path + ": cannot be read, or larger than 1 GiB");
  return import_tflite(read_file_text(path), path);
}

}  // namespace hwnas
