// This file implements the TF Lite exporter (see tflite_export.hpp) with flatbuffers'
// untyped builder and the field ids of tflite_schema.hpp. Tables are built bottom-up as
// the ops are lowered (option tables, weight buffers, tensors), then the model's vectors.
#include "exporters/tflite_export.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "exporters/tflite_schema.hpp"
#include "util/errors.hpp"

namespace hwnas {

namespace {

namespace fb = flatbuffers;
using namespace tflite;
using Dims = std::vector<int32_t>;

// The op version TF Lite's converter writes for the int8 form of each builtin (what the
// TF Lite interpreter's resolver checks; TF Lite Micro ignores versions).
int int8_version(Builtin code) {
  switch (code) {
    case Builtin::kConv2D:
    case Builtin::kDepthwiseConv2D:
      return 3;  // per-channel int8 weights
    case Builtin::kFullyConnected:
      return 4;
    case Builtin::kReshape:
      return 1;
    default:
      return 2;
  }
}

const char* resolver_method(Builtin code) {
  switch (code) {
    case Builtin::kAdd: return "AddAdd";
    case Builtin::kAveragePool2D: return "AddAveragePool2D";
    case Builtin::kConcatenation: return "AddConcatenation";
    case Builtin::kConv2D: return "AddConv2D";
    case Builtin::kDepthwiseConv2D: return "AddDepthwiseConv2D";
    case Builtin::kDequantize: return "AddDequantize";
    case Builtin::kFullyConnected: return "AddFullyConnected";
    case Builtin::kMaxPool2D: return "AddMaxPool2D";
    case Builtin::kRelu: return "AddRelu";
    case Builtin::kRelu6: return "AddRelu6";
    case Builtin::kReshape: return "AddReshape";
    case Builtin::kSoftmax: return "AddSoftmax";
    case Builtin::kMean: return "AddMean";
    case Builtin::kQuantize: return "AddQuantize";
  }
  return "";
}

FusedActivation fused(Activation a) {
  switch (a) {
    case Activation::kRelu: return FusedActivation::kRelu;
    case Activation::kRelu6: return FusedActivation::kRelu6;
    default: return FusedActivation::kNone;
  }
}

// TF Lite knows two paddings; our geometry must be one of them.
tflite::Padding padding_of(const WindowGeometry& g, const std::string& op) {
  auto same_pad = [](int in, int k, int stride, int out) { return std::max((out - 1) * stride + k - in, 0) / 2; };
  const int same_h = (g.in_h + g.stride_h - 1) / g.stride_h, same_w = (g.in_w + g.stride_w - 1) / g.stride_w;
  if (g.out_h == same_h && g.out_w == same_w && g.pad_top == same_pad(g.in_h, g.kernel_h, g.stride_h, same_h) &&
      g.pad_left == same_pad(g.in_w, g.kernel_w, g.stride_w, same_w))
    return tflite::Padding::kSame;
  if (g.pad_top == 0 && g.pad_left == 0 && g.out_h == (g.in_h - g.kernel_h) / g.stride_h + 1 &&
      g.out_w == (g.in_w - g.kernel_w) / g.stride_w + 1)
    return tflite::Padding::kValid;
  throw UserError("TF Lite export: " + op + " pads its window in a way neither SAME nor VALID describes");
}

class TfliteWriter {
 public:
  TfliteWriter(const QuantizedModel& m, const TfliteExportOptions& o) : m_model(m), m_options(o) {
    m_buffers.push_back(table([](fb::FlatBufferBuilder&) {}));  // buffer 0: the empty buffer
    m_tensor_index.assign(m.tensor_shapes.size(), -1);
    m_rank.assign(m.tensor_shapes.size(), 4);
    for (const QuantizedOp& op : m.ops) m_rank[size_t(op.deploy.output)] = rank_of(op);
  }

  std::string build() {
    const int input = activation_tensor(0, "input");
    const std::vector<int> order = op_order();
    for (int i : order) lower(size_t(i));
    const int last = m_options.end_at_scores ? m_model.score_tensor : m_model.output_tensor;
    const int output = m_tensor_index[size_t(last)];

    const auto tensors = m_b.CreateVector(m_tensors);
    const auto inputs = m_b.CreateVector(std::vector<int32_t>{input});
    const auto outputs = m_b.CreateVector(std::vector<int32_t>{output});
    const auto operators = m_b.CreateVector(m_operators);
    const auto name = m_b.CreateString("main");
    const auto subgraph = table([&](fb::FlatBufferBuilder& b) {
      b.AddOffset(slot(subgraph::kTensors), tensors);
      b.AddOffset(slot(subgraph::kInputs), inputs);
      b.AddOffset(slot(subgraph::kOutputs), outputs);
      b.AddOffset(slot(subgraph::kOperators), operators);
      b.AddOffset(slot(subgraph::kName), name);
    });
    std::vector<fb::Offset<fb::Table>> codes;
    for (const auto& [code, version] : m_codes)
      codes.push_back(table([&, code = code, version = version](fb::FlatBufferBuilder& b) {
        b.AddElement<int32_t>(slot(operator_code::kBuiltinCode), int32_t(code), 0);
        b.AddElement<int32_t>(slot(operator_code::kVersion), version, 1);
        b.AddElement<int8_t>(slot(operator_code::kDeprecatedBuiltinCode), int8_t(std::min<int32_t>(int32_t(code), 127)), 0);
      }));
    const auto code_vector = m_b.CreateVector(codes);
    const auto subgraphs = m_b.CreateVector(std::vector<fb::Offset<fb::Table>>{subgraph});
    const auto description = m_b.CreateString(m_options.description);
    const auto buffers = m_b.CreateVector(m_buffers);
    const auto root = table([&](fb::FlatBufferBuilder& b) {
      b.AddElement<uint32_t>(slot(model::kVersion), kSchemaVersion, 0);
      b.AddOffset(slot(model::kOperatorCodes), code_vector);
      b.AddOffset(slot(model::kSubgraphs), subgraphs);
      b.AddOffset(slot(model::kDescription), description);
      b.AddOffset(slot(model::kBuffers), buffers);
    });
    m_b.Finish(root, kFileIdentifier);
    return std::string(reinterpret_cast<const char*>(m_b.GetBufferPointer()), m_b.GetSize());
  }

  std::vector<Builtin> builtins() const {
    std::vector<Builtin> codes;
    for (const auto& entry : m_codes) codes.push_back(entry.first);
    return codes;
  }

 private:
  template <typename Fill>
  fb::Offset<fb::Table> table(Fill fill) {
    const fb::uoffset_t start = m_b.StartTable();
    fill(m_b);
    return fb::Offset<fb::Table>(m_b.EndTable(start));
  }

  // TF Lite's rank of each activation: 2 ([1, C]) after a dense op or a flatten, and
  // through the ops that keep their input's shape; 4 ([1, H, W, C]) otherwise.
  int rank_of(const QuantizedOp& op) const {
    const DeployOp& d = op.deploy;
    switch (d.kind) {
      case DeployKind::kDense:
        return 2;
      case DeployKind::kReshape:
        return d.out_shape.is_flat() ? 2 : 4;
      case DeployKind::kSoftmax:
      case DeployKind::kActivation:
      case DeployKind::kAdd:
      case DeployKind::kConcat:
        return m_rank[size_t(d.inputs[0])];
      default:
        return 4;
    }
  }

  Dims dims_of(int tensor) const {
    const TensorShape& s = m_model.tensor_shapes[size_t(tensor)];
    if (m_rank[size_t(tensor)] == 2) return {1, int32_t(s.elements())};
    return {1, s.h, s.w, s.c};
  }

  std::string op_name(size_t op) const {
    return op < m_options.op_names.size() ? m_options.op_names[op] : "op" + std::to_string(op);
  }

  // The ops to write, in order: the schedule (or the model's order), without the ops the
  // last tensor does not need when the model ends at the scores.
  std::vector<int> op_order() const {
    std::vector<int> order = m_options.schedule;
    if (order.empty())
      for (size_t i = 0; i < m_model.ops.size(); ++i) order.push_back(int(i));
    if (order.size() != m_model.ops.size()) throw UserError("TF Lite export: the schedule does not list every op");
    if (!m_options.end_at_scores) return order;
    std::vector<int> producer(m_model.tensor_shapes.size(), -1);
    for (size_t i = 0; i < m_model.ops.size(); ++i) producer[size_t(m_model.ops[i].deploy.output)] = int(i);
    std::set<int> needed;
    std::vector<int> pending = {m_model.score_tensor};
    while (!pending.empty()) {
      const int p = producer[size_t(pending.back())];
      pending.pop_back();
      if (p < 0 || !needed.insert(p).second) continue;
      for (int in : m_model.ops[size_t(p)].deploy.inputs) pending.push_back(in);
    }
    std::erase_if(order, [&](int i) { return !needed.count(i); });
    return order;
  }

  uint32_t add_buffer(const void* data, size_t bytes) {
    m_b.ForceVectorAlignment(bytes, 1, buffer::kDataAlignment);
    const auto vector = m_b.CreateVector(static_cast<const uint8_t*>(data), bytes);
    m_buffers.push_back(table([&](fb::FlatBufferBuilder& b) { b.AddOffset(slot(buffer::kData), vector); }));
    return uint32_t(m_buffers.size() - 1);
  }

  struct Quantization {
    std::vector<float> scales;
    std::vector<int64_t> zero_points;
    int dimension = 0;
  };

  int add_tensor(const Dims& shape, TensorType type, uint32_t buffer, const std::string& name, const Quantization& q) {
    const auto shape_vector = m_b.CreateVector(shape);
    const auto name_string = m_b.CreateString(name);
    fb::Offset<fb::Table> quantization;
    if (!q.scales.empty()) {
      const auto scales = m_b.CreateVector(q.scales);
      const auto zeros = m_b.CreateVector(q.zero_points);
      quantization = table([&](fb::FlatBufferBuilder& b) {
        b.AddOffset(slot(quantization::kScale), scales);
        b.AddOffset(slot(quantization::kZeroPoint), zeros);
        b.AddElement<int32_t>(slot(quantization::kQuantizedDimension), q.dimension, 0);
      });
    }
    m_tensors.push_back(table([&](fb::FlatBufferBuilder& b) {
      b.AddOffset(slot(tensor::kShape), shape_vector);
      b.AddElement<int8_t>(slot(tensor::kType), int8_t(type), 0);
      b.AddElement<uint32_t>(slot(tensor::kBuffer), buffer, 0);
      b.AddOffset(slot(tensor::kName), name_string);
      if (!q.scales.empty()) b.AddOffset(slot(tensor::kQuantization), quantization);
    }));
    return int(m_tensors.size() - 1);
  }

  int activation_tensor(int id, const std::string& name) {
    const QuantParams& p = m_model.tensor_params[size_t(id)];
    m_tensor_index[size_t(id)] = add_tensor(dims_of(id), TensorType::kInt8, 0, name, {{p.scale}, {p.zero_point}, 0});
    return m_tensor_index[size_t(id)];
  }

  int int32_constant(const std::vector<int32_t>& values, const std::string& name) {
    const uint32_t buffer = add_buffer(values.data(), values.size() * sizeof(int32_t));
    return add_tensor({int32_t(values.size())}, TensorType::kInt32, buffer, name, {});
  }

  // Weights (int8, symmetric: zero point 0 per scale) and int32 biases (scale
  // input_scale * weight_scale) of a MAC op, quantised along `dimension`.
  std::pair<int, int> weights_and_bias(const QuantizedOp& op, const Dims& shape, int dimension, const std::string& name) {
    const bool per_tensor = per_tensor_weights(op.deploy.kind);
    std::vector<float> scales = op.weight_scales;
    if (per_tensor) {
      if (std::any_of(scales.begin(), scales.end(), [&](float s) { return s != scales[0]; }))
        throw UserError("TF Lite export: " + name + " has per-channel dense weights (a model of hwnas before "
                        "per-tensor dense quantisation), which TF Lite runtimes do not run correctly; "
                        "train it again (nas-run train) to export it");
      scales.resize(1);
    }
    const double input_scale = m_model.tensor_params[size_t(op.deploy.inputs[0])].scale;
    std::vector<float> bias_scales;
    for (float s : scales) bias_scales.push_back(float(input_scale * double(s)));
    const std::vector<int64_t> zeros(scales.size(), 0);
    const uint32_t wbuf = add_buffer(op.weights.data(), op.weights.size());
    const int weights = add_tensor(shape, TensorType::kInt8, wbuf, name + "/weights", {scales, zeros, dimension});
    const uint32_t bbuf = add_buffer(op.biases.data(), op.biases.size() * sizeof(int32_t));
    const int bias = add_tensor({int32_t(op.biases.size())}, TensorType::kInt32, bbuf, name + "/bias",
                                {bias_scales, zeros, 0});
    return {weights, bias};
  }

  int opcode(Builtin code) {
    const auto it = std::find_if(m_codes.begin(), m_codes.end(), [&](const auto& c) { return c.first == code; });
    if (it != m_codes.end()) return int(it - m_codes.begin());
    m_codes.emplace_back(code, int8_version(code));
    return int(m_codes.size() - 1);
  }

  void add_operator(Builtin code, const std::vector<int32_t>& inputs, const std::vector<int32_t>& outputs,
                    OptionsType type = OptionsType::kNone, fb::Offset<fb::Table> options = {}) {
    const int index = opcode(code);
    const auto in = m_b.CreateVector(inputs);
    const auto out = m_b.CreateVector(outputs);
    m_operators.push_back(table([&](fb::FlatBufferBuilder& b) {
      b.AddElement<uint32_t>(slot(op::kOpcodeIndex), uint32_t(index), 0);
      b.AddOffset(slot(op::kInputs), in);
      b.AddOffset(slot(op::kOutputs), out);
      b.AddElement<uint8_t>(slot(op::kBuiltinOptionsType), uint8_t(type), 0);
      if (type != OptionsType::kNone) b.AddOffset(slot(op::kBuiltinOptions), options);
    }));
  }

  void lower(size_t i) {
    const QuantizedOp& op = m_model.ops[i];
    const DeployOp& d = op.deploy;
    const std::string name = op_name(i);
    std::vector<int32_t> inputs;
    for (int id : d.inputs) inputs.push_back(m_tensor_index[size_t(id)]);
    const int out = activation_tensor(d.output, name);
    const auto act = int8_t(fused(op.activation));
    const WindowGeometry& g = op.geometry;
    switch (d.kind) {
      case DeployKind::kConv:
      case DeployKind::kPointwiseConv: {
        const auto [w, bias] = weights_and_bias(op, {d.out_shape.c, g.kernel_h, g.kernel_w, d.in_shape.c}, 0, name);
        const auto pad = int8_t(padding_of(g, name));
        add_operator(Builtin::kConv2D, {inputs[0], w, bias}, {out}, OptionsType::kConv2D,
                     table([&](fb::FlatBufferBuilder& b) {
                       b.AddElement<int8_t>(slot(conv_options::kPadding), pad, 0);
                       b.AddElement<int32_t>(slot(conv_options::kStrideW), g.stride_w, 0);
                       b.AddElement<int32_t>(slot(conv_options::kStrideH), g.stride_h, 0);
                       b.AddElement<int8_t>(slot(conv_options::kActivation), act, 0);
                       b.AddElement<int32_t>(slot(conv_options::kDilationW), 1, 0);
                       b.AddElement<int32_t>(slot(conv_options::kDilationH), 1, 0);
                     }));
        break;
      }
      case DeployKind::kDepthwiseConv:
      case DeployKind::kScale: {  // a scale runs as a 1x1 depthwise conv, as in our reference
        const auto [w, bias] = weights_and_bias(op, {1, g.kernel_h, g.kernel_w, d.out_shape.c}, 3, name);
        const auto pad = int8_t(padding_of(g, name));
        const int multiplier = op.depth_multiplier;
        add_operator(Builtin::kDepthwiseConv2D, {inputs[0], w, bias}, {out}, OptionsType::kDepthwiseConv2D,
                     table([&](fb::FlatBufferBuilder& b) {
                       b.AddElement<int8_t>(slot(depthwise_options::kPadding), pad, 0);
                       b.AddElement<int32_t>(slot(depthwise_options::kStrideW), g.stride_w, 0);
                       b.AddElement<int32_t>(slot(depthwise_options::kStrideH), g.stride_h, 0);
                       b.AddElement<int32_t>(slot(depthwise_options::kDepthMultiplier), multiplier, 0);
                       b.AddElement<int8_t>(slot(depthwise_options::kActivation), act, 0);
                       b.AddElement<int32_t>(slot(depthwise_options::kDilationW), 1, 0);
                       b.AddElement<int32_t>(slot(depthwise_options::kDilationH), 1, 0);
                     }));
        break;
      }
      case DeployKind::kDense: {
        const auto [w, bias] = weights_and_bias(op, {d.out_shape.c, int32_t(d.in_shape.elements())}, 0, name);
        add_operator(Builtin::kFullyConnected, {inputs[0], w, bias}, {out}, OptionsType::kFullyConnected,
                     table([&](fb::FlatBufferBuilder& b) {
                       b.AddElement<int8_t>(slot(fully_connected_options::kActivation), act, 0);
                     }));
        break;
      }
      case DeployKind::kPool: {
        const auto pad = int8_t(padding_of(g, name));
        add_operator(d.average ? Builtin::kAveragePool2D : Builtin::kMaxPool2D, {inputs[0]}, {out},
                     OptionsType::kPool2D, table([&](fb::FlatBufferBuilder& b) {
                       b.AddElement<int8_t>(slot(pool_options::kPadding), pad, 0);
                       b.AddElement<int32_t>(slot(pool_options::kStrideW), g.stride_w, 0);
                       b.AddElement<int32_t>(slot(pool_options::kStrideH), g.stride_h, 0);
                       b.AddElement<int32_t>(slot(pool_options::kFilterW), g.kernel_w, 0);
                       b.AddElement<int32_t>(slot(pool_options::kFilterH), g.kernel_h, 0);
                       b.AddElement<int8_t>(slot(pool_options::kActivation), act, 0);
                     }));
        break;
      }
      case DeployKind::kGlobalPool: {  // MEAN over H and W, kept as [1, 1, 1, C]
        const int axis = int32_constant({1, 2}, name + "/axis");
        add_operator(Builtin::kMean, {inputs[0], axis}, {out}, OptionsType::kReducer,
                     table([&](fb::FlatBufferBuilder& b) {
                       b.AddElement<uint8_t>(slot(reducer_options::kKeepDims), 1, 0);
                     }));
        break;
      }
      case DeployKind::kAdd: {
        if (inputs.size() != 2)
          throw UserError("TF Lite export: " + name + " adds " + std::to_string(inputs.size()) +
                          " tensors; TF Lite's int8 ADD takes two");
        add_operator(Builtin::kAdd, inputs, {out}, OptionsType::kAdd, table([&](fb::FlatBufferBuilder& b) {
                       b.AddElement<int8_t>(slot(add_options::kActivation), act, 0);
                     }));
        break;
      }
      case DeployKind::kConcat: {
        // TF Lite Micro's int8 CONCATENATION needs every input on the output's grid: an
        // input with other parameters goes through QUANTIZE first, as our reference does.
        const QuantParams& o = m_model.tensor_params[size_t(d.output)];
        for (size_t k = 0; k < inputs.size(); ++k) {
          const QuantParams& p = m_model.tensor_params[size_t(d.inputs[k])];
          if (p.scale == o.scale && p.zero_point == o.zero_point) continue;
          const int requantized = add_tensor(dims_of(d.inputs[k]), TensorType::kInt8, 0,
                                             name + "/input" + std::to_string(k) + "_requantized",
                                             {{o.scale}, {o.zero_point}, 0});
          add_operator(Builtin::kQuantize, {inputs[k]}, {requantized});
          inputs[k] = requantized;
        }
        const int axis = m_rank[size_t(d.output)] - 1;
        add_operator(Builtin::kConcatenation, inputs, {out}, OptionsType::kConcatenation,
                     table([&](fb::FlatBufferBuilder& b) {
                       b.AddElement<int32_t>(slot(concatenation_options::kAxis), axis, 0);
                       b.AddElement<int8_t>(slot(concatenation_options::kActivation), act, 0);
                     }));
        break;
      }
      case DeployKind::kReshape: {
        const Dims shape = dims_of(d.output);
        const int shape_tensor = int32_constant(shape, name + "/shape");
        const auto new_shape = m_b.CreateVector(shape);
        add_operator(Builtin::kReshape, {inputs[0], shape_tensor}, {out}, OptionsType::kReshape,
                     table([&](fb::FlatBufferBuilder& b) { b.AddOffset(slot(reshape_options::kNewShape), new_shape); }));
        break;
      }
      case DeployKind::kSoftmax:
        add_operator(Builtin::kSoftmax, {inputs[0]}, {out}, OptionsType::kSoftmax,
                     table([&](fb::FlatBufferBuilder& b) { b.AddElement<float>(slot(softmax_options::kBeta), 1.0f, 0.0f); }));
        break;
      case DeployKind::kActivation:
        add_operator(op.activation == Activation::kRelu6 ? Builtin::kRelu6 : Builtin::kRelu, {inputs[0]}, {out});
        break;
    }
  }

  const QuantizedModel& m_model;
  const TfliteExportOptions& m_options;
  fb::FlatBufferBuilder m_b{1 << 16};
  std::vector<fb::Offset<fb::Table>> m_buffers, m_tensors, m_operators;
  std::vector<std::pair<Builtin, int>> m_codes;  ///< operator codes in first-use order
  std::vector<int> m_tensor_index;                ///< deploy tensor -> TF Lite tensor
  std::vector<int> m_rank;                        ///< deploy tensor -> TF Lite rank
};

}  // namespace

TfliteFile write_tflite(const QuantizedModel& model, const TfliteExportOptions& options) {
  TfliteWriter writer(model, options);
  TfliteFile file{writer.build(), {}};
  for (Builtin code : writer.builtins()) file.resolver_methods.push_back(resolver_method(code));
  std::sort(file.resolver_methods.begin(), file.resolver_methods.end());
  return file;
}

std::string export_tflite(const QuantizedModel& model, const TfliteExportOptions& options) {
  return write_tflite(model, options).bytes;
}

std::vector<std::string> tflite_resolver_methods(const QuantizedModel& model) {
  return write_tflite(model, {}).resolver_methods;
}

}  // namespace hwnas
