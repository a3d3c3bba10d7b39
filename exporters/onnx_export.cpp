// This file implements the ONNX exporter (see onnx_export.hpp). One lowering walks the
// deployed ops in order and emits ONNX nodes; the float and the QDQ model differ only in
// where the weights come from and in what follows each op's result (nothing, or a
// QuantizeLinear/DequantizeLinear pair with our activation parameters).
#include "exporters/onnx_export.hpp"

#include <algorithm>

#include "exporters/onnx_graph.hpp"

namespace hwnas {

namespace {

using Dims = std::vector<int64_t>;

std::string tensor_name(int id) { return "t" + std::to_string(id); }

// ONNX's pads [top, left, bottom, right]: TensorFlow's rule puts the odd pixel after.
Dims pads_of(const WindowGeometry& g) {
  const int bottom = std::max((g.out_h - 1) * g.stride_h + g.kernel_h - g.in_h - g.pad_top, 0);
  const int right = std::max((g.out_w - 1) * g.stride_w + g.kernel_w - g.in_w - g.pad_left, 0);
  return {g.pad_top, g.pad_left, bottom, right};
}

std::vector<OnnxAttribute> window_attributes(const WindowGeometry& g) {
  return {{"kernel_shape", Dims{g.kernel_h, g.kernel_w}},
          {"strides", Dims{g.stride_h, g.stride_w}},
          {"pads", pads_of(g)}};
}

// Weights in ONNX's layout, as indices into ours (FoldedOp's TF Lite layouts), with the
// ONNX dims; the first dim is always the output channel (the per-channel axis).
struct WeightLayout {
  Dims dims;
  std::vector<size_t> order;  ///< order[onnx index] = our index
  int64_t group = 1;
};

WeightLayout weight_layout(const DeployOp& d, const WindowGeometry& g, int depth_multiplier) {
  WeightLayout l;
  const int64_t kh = g.kernel_h, kw = g.kernel_w;
  switch (d.kind) {
    case DeployKind::kConv:
    case DeployKind::kPointwiseConv: {  // OHWI -> OIHW
      const int64_t o_count = d.out_shape.c, i_count = d.in_shape.c;
      l.dims = {o_count, i_count, kh, kw};
      for (int64_t o = 0; o < o_count; ++o)
        for (int64_t i = 0; i < i_count; ++i)
          for (int64_t y = 0; y < kh; ++y)
            for (int64_t x = 0; x < kw; ++x) l.order.push_back(size_t(((o * kh + y) * kw + x) * i_count + i));
      break;
    }
    case DeployKind::kDepthwiseConv: {  // [y][x][c * multiplier + m] -> [c * multiplier + m][1][y][x]
      const int64_t out = d.out_shape.c;
      l.dims = {out, 1, kh, kw};
      l.group = out / depth_multiplier;
      for (int64_t ch = 0; ch < out; ++ch)
        for (int64_t y = 0; y < kh; ++y)
          for (int64_t x = 0; x < kw; ++x) l.order.push_back(size_t((y * kw + x) * out + ch));
      break;
    }
    case DeployKind::kScale:  // a 1x1 depthwise conv, as the int8 runtime runs it
      l.dims = {d.out_shape.c, 1, 1, 1};
      l.group = d.out_shape.c;
      for (int64_t c = 0; c < d.out_shape.c; ++c) l.order.push_back(size_t(c));
      break;
    default:  // kDense: [unit][input], which Gemm takes with transB
      l.dims = {d.out_shape.c, d.in_shape.elements()};
      for (int64_t i = 0; i < d.out_shape.c * d.in_shape.elements(); ++i) l.order.push_back(size_t(i));
  }
  return l;
}

// The lowering shared by both forms. Op is FoldedOp or QuantizedOp.
template <typename Model>
class Lowering {
 public:
  Lowering(OnnxGraph& g, const Model& m) : m_graph(g), m_model(m) {}
  virtual ~Lowering() = default;

  void lower_ops() {
    for (size_t i = 0; i < m_model.ops.size(); ++i) lower(i);
  }

 protected:
  // The form's hooks.
  virtual std::string weights(size_t op, const WeightLayout& layout) = 0;
  virtual std::string bias(size_t op) = 0;
  /// The name op results are written to before `finish`.
  virtual std::string result_name(int tensor) = 0;
  /// Makes tensor_name(tensor) from result_name(tensor).
  virtual void finish(int tensor) = 0;

  // A [batch, elements] tensor in NHWC element order, from the NCHW tensor `name`.
  std::string flatten_nhwc(const std::string& name, const TensorShape& s, const std::string& out) {
    std::string source = name;
    if (!s.is_flat()) source = m_graph.node("Transpose", {name}, out + "_nhwc", {{"perm", Dims{0, 2, 3, 1}}});
    return m_graph.node("Reshape", {source, shape_constant(out, {-1, s.elements()})}, out);
  }

  std::string shape_constant(const std::string& owner, const Dims& dims) {
    const std::string name = owner + "_shape";
    m_graph.initializer(name, {int64_t(dims.size())}, dims);
    return name;
  }

  OnnxGraph& m_graph;
  const Model& m_model;

 private:
  void lower(size_t i) {
    const auto& op = m_model.ops[i];
    const DeployOp& d = op.deploy;
    const std::string in = tensor_name(d.inputs[0]);
    const std::string out = result_name(d.output);
    const bool activated = op.activation != Activation::kNone;
    const std::string pre = activated && d.kind != DeployKind::kActivation ? out + "_pre" : out;
    std::string produced = pre;
    switch (d.kind) {
      case DeployKind::kConv:
      case DeployKind::kPointwiseConv:
      case DeployKind::kDepthwiseConv:
      case DeployKind::kScale: {
        const WeightLayout layout = weight_layout(d, op.geometry, op.depth_multiplier);
        auto attributes = window_attributes(op.geometry);
        attributes.push_back({"group", layout.group});
        m_graph.node("Conv", {in, weights(i, layout), bias(i)}, pre, attributes);
        break;
      }
      case DeployKind::kDense: {
        const std::string flat = flatten_nhwc(in, d.in_shape, pre + "_in");
        const WeightLayout layout = weight_layout(d, op.geometry, op.depth_multiplier);
        m_graph.node("Gemm", {flat, weights(i, layout), bias(i)}, pre + "_gemm", {{"transB", int64_t(1)}});
        m_graph.node("Reshape", {pre + "_gemm", shape_constant(pre, {-1, d.out_shape.c, 1, 1})}, pre);
        break;
      }
      case DeployKind::kPool: {
        auto attributes = window_attributes(op.geometry);
        if (d.average) attributes.push_back({"count_include_pad", int64_t(0)});  // TF "same" excludes padding
        m_graph.node(d.average ? "AveragePool" : "MaxPool", {in}, pre, attributes);
        break;
      }
      case DeployKind::kGlobalPool:
        m_graph.node("GlobalAveragePool", {in}, pre);
        break;
      case DeployKind::kAdd: {
        std::vector<std::string> inputs;
        for (int id : d.inputs) inputs.push_back(tensor_name(id));
        m_graph.node(inputs.size() == 2 ? "Add" : "Sum", inputs, pre);
        break;
      }
      case DeployKind::kConcat: {
        std::vector<std::string> inputs;
        for (int id : d.inputs) inputs.push_back(tensor_name(id));
        m_graph.node("Concat", inputs, pre, {{"axis", int64_t(1)}});
        break;
      }
      case DeployKind::kReshape: {
        const TensorShape& o = d.out_shape;
        const std::string flat = flatten_nhwc(in, d.in_shape, pre + "_flat");
        if (o.is_flat()) {
          m_graph.node("Reshape", {flat, shape_constant(pre, {-1, o.c, 1, 1})}, pre);
        } else {
          m_graph.node("Reshape", {flat, shape_constant(pre, {-1, o.h, o.w, o.c})}, pre + "_nhwc");
          m_graph.node("Transpose", {pre + "_nhwc"}, pre, {{"perm", Dims{0, 3, 1, 2}}});
        }
        break;
      }
      case DeployKind::kSoftmax:
        m_graph.node("Softmax", {in}, pre, {{"axis", int64_t(1)}});
        break;
      case DeployKind::kActivation:
        produced = in;
        break;
    }
    if (op.activation == Activation::kRelu) m_graph.node("Relu", {produced}, out);
    if (op.activation == Activation::kRelu6) m_graph.node("Clip", {produced, clip_bound(0.0f), clip_bound(6.0f)}, out);
    finish(d.output);
  }

  std::string clip_bound(float value) {
    const std::string name = value == 0.0f ? "clip_zero" : "clip_six";
    if (!m_clip_defined[value == 0.0f ? 0 : 1]) m_graph.initializer(name, {}, std::vector<float>{value});
    m_clip_defined[value == 0.0f ? 0 : 1] = true;
    return name;
  }

  bool m_clip_defined[2] = {false, false};
};

class FloatLowering : public Lowering<FoldedModel> {
 public:
  using Lowering::Lowering;

  void build() {
    const TensorShape& s = m_model.input_shape;
    m_graph.input("input", OnnxType::kFloat, {kBatchDim, s.h, s.w, s.c});
    m_graph.node("Transpose", {"input"}, tensor_name(0), {{"perm", Dims{0, 3, 1, 2}}});
    lower_ops();
    add_output("output", m_model.output_tensor);
    if (m_model.score_tensor != m_model.output_tensor) add_output("logits", m_model.score_tensor);
  }

 private:
  void add_output(const std::string& name, int tensor) {
    const TensorShape& s = m_model.tensor_shapes[size_t(tensor)];
    flatten_nhwc(tensor_name(tensor), s, name);
    m_graph.output(name, OnnxType::kFloat, {kBatchDim, s.elements()});
  }

  std::string weights(size_t op, const WeightLayout& layout) override {
    const std::vector<double>& w = m_model.ops[op].weights;
    std::vector<float> values;
    for (size_t index : layout.order) values.push_back(float(w[index]));
    const std::string name = "w" + std::to_string(op);
    m_graph.initializer(name, layout.dims, values);
    return name;
  }
  std::string bias(size_t op) override {
    const std::vector<double>& b = m_model.ops[op].bias;
    const std::string name = "b" + std::to_string(op);
    m_graph.initializer(name, {int64_t(b.size())}, std::vector<float>(b.begin(), b.end()));
    return name;
  }
  std::string result_name(int tensor) override { return tensor_name(tensor); }
  void finish(int) override {}
};

class QdqLowering : public Lowering<QuantizedModel> {
 public:
  using Lowering::Lowering;

  void build() {
    const TensorShape& s = m_model.input_shape;
    m_graph.input("input", OnnxType::kInt8, {kBatchDim, s.h, s.w, s.c});
    // The transpose moves int8 values, so the first op sees DequantizeLinear directly.
    m_graph.node("Transpose", {"input"}, tensor_name(0) + "_q", {{"perm", Dims{0, 3, 1, 2}}});
    dequantize_activation(0);
    lower_ops();
    const int score = m_model.score_tensor;
    const TensorShape& out = m_model.tensor_shapes[size_t(score)];
    flatten_nhwc(tensor_name(score) + "_q", out, "logits");
    m_graph.output("logits", OnnxType::kInt8, {kBatchDim, out.elements()});
  }

 private:
  // Our scale and zero point of `tensor`, as scalar initializers.
  std::pair<std::string, std::string> activation_params(int tensor) {
    const QuantParams& p = m_model.tensor_params[size_t(tensor)];
    const std::string scale = tensor_name(tensor) + "_scale", zero = tensor_name(tensor) + "_zero";
    m_graph.initializer(scale, {}, std::vector<float>{p.scale});
    m_graph.initializer(zero, {}, std::vector<int8_t>{int8_t(p.zero_point)});
    return {scale, zero};
  }
  void dequantize_activation(int tensor) {
    const auto [scale, zero] = activation_params(tensor);
    m_graph.node("DequantizeLinear", {tensor_name(tensor) + "_q", scale, zero}, tensor_name(tensor));
  }

  std::string weights(size_t op, const WeightLayout& layout) override {
    const QuantizedOp& q = m_model.ops[op];
    std::vector<int8_t> values;
    for (size_t index : layout.order) values.push_back(q.weights[index]);
    const std::string name = "w" + std::to_string(op);
    const auto channels = int64_t(q.weight_scales.size());
    m_graph.initializer(name + "_q", layout.dims, values);
    m_graph.initializer(name + "_scale", {channels}, q.weight_scales);
    m_graph.initializer(name + "_zero", {channels}, std::vector<int8_t>(size_t(channels), 0));
    return m_graph.node("DequantizeLinear", {name + "_q", name + "_scale", name + "_zero"}, name,
                        {{"axis", int64_t(0)}});
  }
  // int32 biases at scale input_scale * weight_scale[c], zero point 0 (TF Lite's rule).
  std::string bias(size_t op) override {
    const QuantizedOp& q = m_model.ops[op];
    const double input_scale = m_model.tensor_params[size_t(q.deploy.inputs[0])].scale;
    std::vector<float> scales;
    for (float ws : q.weight_scales) scales.push_back(float(input_scale * double(ws)));
    const std::string name = "b" + std::to_string(op);
    const auto channels = int64_t(q.biases.size());
    m_graph.initializer(name + "_q", {channels}, q.biases);
    m_graph.initializer(name + "_scale", {channels}, scales);
    m_graph.initializer(name + "_zero", {channels}, std::vector<int32_t>(size_t(channels), 0));
    return m_graph.node("DequantizeLinear", {name + "_q", name + "_scale", name + "_zero"}, name,
                        {{"axis", int64_t(0)}});
  }
  std::string result_name(int tensor) override { return tensor_name(tensor) + "_f"; }
  void finish(int tensor) override {
    const auto [scale, zero] = activation_params(tensor);
    m_graph.node("QuantizeLinear", {result_name(tensor), scale, zero}, tensor_name(tensor) + "_q");
    m_graph.node("DequantizeLinear", {tensor_name(tensor) + "_q", scale, zero}, tensor_name(tensor));
  }
};

}  // namespace

std::string export_onnx_float(const FoldedModel& model, const std::string& name, const std::string& description) {
  OnnxGraph graph(name, description);
  FloatLowering(graph, model).build();
  return graph.serialize();
}

std::string export_onnx_qdq(const QuantizedModel& model, const std::string& name, const std::string& description) {
  OnnxGraph graph(name + "_int8", description);
  QdqLowering(graph, model).build();
  return graph.serialize();
}

}  // namespace hwnas
