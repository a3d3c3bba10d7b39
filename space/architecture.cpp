// This file implements Architecture construction: input resolution, structural checks
// and shape inference (see architecture.hpp).
#include "space/architecture.hpp"

#include <unordered_map>

namespace hwnas {

namespace {

// Spatial output size of a windowed op (conv or pool) along one axis, TensorFlow rules.
int windowed_output(int in, int window, int stride, Padding padding) {
  if (padding == Padding::kSame) return (in + stride - 1) / stride;
  return (in - window) / stride + 1;
}

// Channel counts are computed in 64 bits and checked before narrowing to int.
int checked_channels(int64_t c, int index, const Layer& l) {
  if (c >= Architecture::kMaxElements) throw ArchitectureError(index, l.name, "output has too many channels");
  return int(c);
}

std::string hw(int h, int w) { return std::to_string(h) + "x" + std::to_string(w); }

}  // namespace

ArchitectureError::ArchitectureError(int layer_index, const std::string& layer_name,
                                     const std::string& problem)
    : UserError(layer_index < 0 ? problem
                                : "layer '" + layer_name + "' (#" + std::to_string(layer_index) +
                                      "): " + problem),
      m_layer_index(layer_index),
      m_problem(problem) {}

bool Layer::same_definition(const Layer& o) const {
  return name == o.name && op == o.op && inputs == o.inputs && filters == o.filters &&
         kernel_h == o.kernel_h && kernel_w == o.kernel_w && stride_h == o.stride_h &&
         stride_w == o.stride_w && padding == o.padding && use_bias == o.use_bias &&
         depth_multiplier == o.depth_multiplier && units == o.units && epsilon == o.epsilon &&
         target_shape == o.target_shape;
}

Architecture::Architecture(std::string name, TensorShape input_shape, std::vector<Layer> layers)
    : m_name(std::move(name)), m_input_shape(input_shape), m_layers(std::move(layers)) {
  if (m_input_shape.h < 1 || m_input_shape.w < 1 || m_input_shape.c < 1)
    throw ArchitectureError(-1, "", "input shape must be positive, found " + m_input_shape.str());
  if (m_input_shape.elements() >= kMaxElements)
    throw ArchitectureError(-1, "", "input shape " + m_input_shape.str() + " is too large (2^31 elements or more)");
  if (m_layers.empty()) throw ArchitectureError(-1, "", "a network needs at least one layer");
  resolve_inputs();
  infer_shapes();
}

void Architecture::resolve_inputs() {
  std::unordered_map<std::string, int> index_of;
  m_input_indices.resize(m_layers.size());
  m_consumers.resize(m_layers.size());
  for (size_t i = 0; i < m_layers.size(); ++i) {
    const Layer& l = m_layers[i];
    const int li = int(i);
    if (l.name.empty()) throw ArchitectureError(li, l.name, "layer name is empty");
    if (l.name == kInputName)
      throw ArchitectureError(li, l.name, "'input' is reserved for the network input");
    if (index_of.count(l.name)) throw ArchitectureError(li, l.name, "duplicate layer name");
    const OpInfo& info = op_info(l.op);
    const int n = int(l.inputs.size());
    if (n < info.min_inputs || (info.max_inputs >= 0 && n > info.max_inputs)) {
      std::string want = info.max_inputs == info.min_inputs ? std::to_string(info.min_inputs)
                                                            : "at least " + std::to_string(info.min_inputs);
      throw ArchitectureError(li, l.name, std::string(info.name) + " takes " + want +
                                              " input(s), found " + std::to_string(n));
    }
    for (const auto& in : l.inputs) {
      if (in == kInputName) {
        m_input_indices[i].push_back(kNetworkInput);
        continue;
      }
      auto it = index_of.find(in);
      if (it == index_of.end())
        throw ArchitectureError(li, l.name, "input '" + in +
                                                "' is not the network input or an earlier layer");
      m_input_indices[i].push_back(it->second);
      auto& consumers = m_consumers[size_t(it->second)];
      if (consumers.empty() || consumers.back() != li) consumers.push_back(li);  // add(x, x) reads x once
    }
    index_of[l.name] = li;
  }
  for (size_t i = 0; i + 1 < m_layers.size(); ++i)
    if (m_consumers[i].empty())
      throw ArchitectureError(int(i), m_layers[i].name,
                              "output is never used (only the last layer may be unused)");
}

std::vector<TensorShape> Architecture::input_shapes(size_t i) const {
  std::vector<TensorShape> shapes;
  for (int p : m_input_indices[i])
    shapes.push_back(p == kNetworkInput ? m_input_shape : m_layers[size_t(p)].output_shape);
  return shapes;
}

namespace {

void require(bool ok, int index, const Layer& l, const std::string& problem) {
  if (!ok) throw ArchitectureError(index, l.name, problem);
}

TensorShape infer_windowed(int i, const Layer& l, const TensorShape& in, int out_c, bool is_pool) {
  const char* what = is_pool ? "pool" : "kernel";
  require(l.kernel_h >= 1 && l.kernel_w >= 1, i, l, std::string(what) + " must be >= 1");
  require(l.stride_h >= 1 && l.stride_w >= 1, i, l, "stride must be >= 1");
  if (l.padding == Padding::kValid)
    require(l.kernel_h <= in.h && l.kernel_w <= in.w, i, l,
            std::string(what) + " " + hw(l.kernel_h, l.kernel_w) + " is larger than the input " +
                hw(in.h, in.w) + " with padding valid");
  return {windowed_output(in.h, l.kernel_h, l.stride_h, l.padding),
          windowed_output(in.w, l.kernel_w, l.stride_w, l.padding), out_c};
}

}  // namespace

TensorShape infer_layer_output(int i, const Layer& l, const std::vector<TensorShape>& ins) {
  const TensorShape& in = ins[0];
  switch (l.op) {
    case OpKind::kConv2D:
      require(l.filters >= 1, i, l, "filters must be >= 1");
      return infer_windowed(i, l, in, l.filters, false);
    case OpKind::kDepthwiseConv2D:
      require(l.depth_multiplier >= 1, i, l, "depth_multiplier must be >= 1");
      return infer_windowed(i, l, in, checked_channels(int64_t(in.c) * l.depth_multiplier, i, l), false);
    case OpKind::kAvgPool2D:
    case OpKind::kMaxPool2D:
      return infer_windowed(i, l, in, in.c, true);
    case OpKind::kDense:
      require(l.units >= 1, i, l, "units must be >= 1");
      require(in.is_flat(), i, l, "dense needs a flat input [1, 1, C], found " + in.str() +
                                      " (insert a flatten or global_avg_pool)");
      return {1, 1, l.units};
    case OpKind::kGlobalAvgPool:
      return {1, 1, in.c};
    case OpKind::kAdd:
      for (const auto& other : ins)
        require(other == in, i, l, "add needs inputs of equal shape, found " + in.str() + " and " +
                                       other.str());
      return in;
    case OpKind::kConcat: {
      int64_t channels = 0;
      for (const auto& other : ins) {
        require(other.h == in.h && other.w == in.w, i, l,
                "concat joins channels and needs equal height and width, found " + in.str() +
                    " and " + other.str());
        channels += other.c;
      }
      return {in.h, in.w, checked_channels(channels, i, l)};
    }
    case OpKind::kBatchNorm:
      require(l.epsilon > 0, i, l, "epsilon must be > 0");
      return in;
    case OpKind::kReLU:
    case OpKind::kReLU6:
    case OpKind::kSoftmax:
      return in;
    case OpKind::kFlatten:
      return {1, 1, int(in.elements())};
    case OpKind::kReshape:
      require(l.target_shape.h >= 1 && l.target_shape.w >= 1 && l.target_shape.c >= 1, i, l,
              "reshape target must be positive");
      require(l.target_shape.elements() == in.elements(), i, l,
              "reshape from " + in.str() + " to " + l.target_shape.str() +
                  " changes the number of elements");
      return l.target_shape;
  }
  throw ArchitectureError(i, l.name, "unhandled op");
}


void Architecture::infer_shapes() {
  m_stats.resize(m_layers.size());
  for (size_t i = 0; i < m_layers.size(); ++i) {
    Layer& l = m_layers[i];
    const auto ins = input_shapes(i);
    l.output_shape = infer_layer_output(int(i), l, ins);
    require(l.output_shape.h >= 1 && l.output_shape.w >= 1 && l.output_shape.c >= 1, int(i), l,
            "output shape " + l.output_shape.str() + " is empty");
    // Guard later allocations: no sane MCU network has a 2^31-element activation.
    require(l.output_shape.elements() < kMaxElements, int(i), l,
            "output " + l.output_shape.str() + " is too large");
    m_stats[i] = compute_layer_stats(l, ins);
    m_total_params += m_stats[i].params;
    m_total_macs += m_stats[i].macs;
  }
}

bool Architecture::same_definition(const Architecture& other) const {
  if (m_name != other.m_name || !(m_input_shape == other.m_input_shape) ||
      m_layers.size() != other.m_layers.size())
    return false;
  for (size_t i = 0; i < m_layers.size(); ++i)
    if (!m_layers[i].same_definition(other.m_layers[i])) return false;
  return true;
}

}  // namespace hwnas
