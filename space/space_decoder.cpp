// This file implements genome decoding (SearchSpace::decode_detailed): each stage's
// blocks become IR layers, with shapes tracked as layers are added so that blocks can
// decide what fits (a residual add only where input and output shapes agree).
#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <map>

#include "space/arch_identity.hpp"
#include "space/block_catalog.hpp"
#include "space/search_space.hpp"

namespace hwnas {

namespace {

using nlohmann::json;

/// Reads values of the genome and records which genes were read.
class GenomeReader {
 public:
  GenomeReader(const SpaceSpec& spec, const Genome& genome, std::vector<char>& active)
      : m_spec(spec), m_genome(genome), m_active(active) {}

  const json& get(const ValueSlot& slot, int block = 0) const {
    if (slot.is_fixed()) return slot.fixed;
    const int gene = slot.kind == ValueSlot::Kind::kPerBlock ? slot.gene + block : slot.gene;
    m_active[size_t(gene)] = 1;
    return m_spec.genes[size_t(gene)].values[size_t(m_genome[size_t(gene)])];
  }

 private:
  const SpaceSpec& m_spec;
  const Genome& m_genome;
  std::vector<char>& m_active;
};

/// Appends layers to the network, inferring each one's shape on the way.
class NetworkBuilder {
 public:
  explicit NetworkBuilder(TensorShape input) : m_current(input) { m_shapes[kInputName] = input; }

  const std::string& current_name() const { return m_current_name; }
  const TensorShape& current_shape() const { return m_current; }

  /// Adds `layer` fed by the current output unless it names its inputs.
  void add(Layer layer) {
    if (layer.inputs.empty()) layer.inputs = {m_current_name};
    std::vector<TensorShape> ins;
    for (const auto& name : layer.inputs) ins.push_back(m_shapes.at(name));
    layer.output_shape = infer_layer_output(int(m_layers.size()), layer, ins);
    m_current = layer.output_shape;
    m_current_name = layer.name;
    m_shapes[layer.name] = layer.output_shape;
    m_layers.push_back(std::move(layer));
  }
  size_t size() const { return m_layers.size(); }
  std::vector<Layer> take_layers() { return std::move(m_layers); }

 private:
  std::vector<Layer> m_layers;
  std::map<std::string, TensorShape> m_shapes;
  std::string m_current_name = kInputName;
  TensorShape m_current;
};

Layer make(const std::string& name, OpKind op) {
  Layer l;
  l.name = name;
  l.op = op;
  return l;
}

/// MobileNet's rounding of scaled channel counts: a multiple of `divisor`, at least
/// `divisor`, never more than 10% below the exact value.
int make_divisible(double value, int divisor) {
  int rounded = std::max(divisor, int(value + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

/// The values one block reads.
class BlockValues {
 public:
  BlockValues(const GenomeReader& reader, const StageSpec& stage, int block)
      : m_reader(reader), m_stage(stage), m_block(block) {}

  bool has(const std::string& key) const { return m_stage.params.count(key) != 0; }
  const json& get(const std::string& key) const { return m_reader.get(m_stage.params.at(key), m_block); }
  int get_int(const std::string& key, int fallback) const { return has(key) ? value_int(get(key)) : fallback; }
  bool get_bool(const std::string& key, bool fallback) const { return has(key) ? get(key).get<bool>() : fallback; }
  std::string get_string(const std::string& key, const std::string& fallback) const {
    return has(key) ? get(key).get<std::string>() : fallback;
  }
  std::pair<int, int> get_size2(const std::string& key, std::pair<int, int> fallback) const {
    return has(key) ? value_size2(get(key)) : fallback;
  }
  /// A stage-wide stride is the stage's downsampling and applies to its first block
  /// (MobileNet's convention); a stride chosen per block applies to each block.
  std::pair<int, int> stride(std::pair<int, int> fallback) const {
    if (!has("stride")) return fallback;
    const ValueSlot& slot = m_stage.params.at("stride");
    if (slot.kind != ValueSlot::Kind::kPerBlock && m_block > 0) return {1, 1};
    return value_size2(get("stride"));
  }

 private:
  const GenomeReader& m_reader;
  const StageSpec& m_stage;
  int m_block;
};

struct BlockContext {
  NetworkBuilder& net;
  const BlockValues& values;
  std::string prefix;  ///< layer name prefix
  double width = 1.0;
  bool round_channels = false;  ///< scale and round filters (the space chooses a width)
  int channel_divisor = 8;
  int classes = 0;

  int filters() const {
    const int f = values.get_int("filters", 1);
    return round_channels ? make_divisible(f * width, channel_divisor) : f;
  }
  Padding padding() const { return values.get_string("padding", "same") == "same" ? Padding::kSame : Padding::kValid; }

  /// [batch_norm] -> [activation] after a layer; `linear` skips the activation.
  void normalize_and_activate(const std::string& tag, bool batch_norm, const std::string& activation) const {
    if (batch_norm) net.add(make(prefix + tag + "_bn", OpKind::kBatchNorm));
    if (activation == "relu") net.add(make(prefix + tag + "_relu", OpKind::kReLU));
    if (activation == "relu6") net.add(make(prefix + tag + "_relu6", OpKind::kReLU6));
  }
  void conv(const std::string& tag, int out, std::pair<int, int> kernel, std::pair<int, int> stride, Padding pad,
            bool batch_norm, const std::string& activation) const {
    Layer l = make(prefix + tag, OpKind::kConv2D);
    l.filters = out;
    std::tie(l.kernel_h, l.kernel_w) = kernel;
    std::tie(l.stride_h, l.stride_w) = stride;
    l.padding = pad;
    l.use_bias = !batch_norm;  // batch norm's beta replaces the bias
    net.add(std::move(l));
    normalize_and_activate(tag, batch_norm, activation);
  }
  void depthwise(const std::string& tag, int multiplier, std::pair<int, int> kernel, std::pair<int, int> stride,
                 Padding pad, bool batch_norm, const std::string& activation) const {
    Layer l = make(prefix + tag, OpKind::kDepthwiseConv2D);
    l.depth_multiplier = multiplier;
    std::tie(l.kernel_h, l.kernel_w) = kernel;
    std::tie(l.stride_h, l.stride_w) = stride;
    l.padding = pad;
    l.use_bias = !batch_norm;
    net.add(std::move(l));
    normalize_and_activate(tag, batch_norm, activation);
  }
};

void build_block(BlockKind kind, const BlockContext& b) {
  const BlockValues& v = b.values;
  switch (kind) {
    case BlockKind::kConv:
      b.conv("conv", b.filters(), v.get_size2("kernel", {1, 1}), v.stride({1, 1}), b.padding(),
             v.get_bool("batch_norm", true), v.get_string("activation", "relu"));
      return;
    case BlockKind::kSeparable: {
      const bool bn = v.get_bool("batch_norm", true);
      const std::string act = v.get_string("activation", "relu");
      b.depthwise("dw", v.get_int("depth_multiplier", 1), v.get_size2("kernel", {3, 3}), v.stride({1, 1}),
                  b.padding(), bn, act);
      b.conv("pw", b.filters(), {1, 1}, {1, 1}, Padding::kSame, bn, act);
      return;
    }
    case BlockKind::kInvertedResidual: {
      const bool bn = v.get_bool("batch_norm", true);
      const std::string act = v.get_string("activation", "relu6");
      const std::string block_input = b.net.current_name();
      const TensorShape in = b.net.current_shape();
      const double expansion = value_number(v.get("expansion"));
      if (expansion != 1.0) {
        const int hidden = std::max(1, int(std::lround(in.c * expansion)));
        b.conv("expand", hidden, {1, 1}, {1, 1}, Padding::kSame, bn, act);
      }
      b.depthwise("dw", 1, v.get_size2("kernel", {3, 3}), v.stride({1, 1}), Padding::kSame, bn, act);
      b.conv("project", b.filters(), {1, 1}, {1, 1}, Padding::kSame, bn, "none");  // linear bottleneck
      if (v.get_bool("skip", true) && b.net.current_shape() == in) {
        Layer add = make(b.prefix + "add", OpKind::kAdd);
        add.inputs = {block_input, b.net.current_name()};
        b.net.add(std::move(add));
      }
      return;
    }
    case BlockKind::kPool: {
      const bool is_max = v.get_string("pool_type", "max") == "max";
      Layer l = make(b.prefix + (is_max ? "maxpool" : "avgpool"), is_max ? OpKind::kMaxPool2D : OpKind::kAvgPool2D);
      const auto size = v.get_size2("pool_size", {2, 2});
      std::tie(l.kernel_h, l.kernel_w) = size;
      std::tie(l.stride_h, l.stride_w) = v.stride(size);
      l.padding = b.padding();
      b.net.add(std::move(l));
      return;
    }
    case BlockKind::kGlobalPool:
      b.net.add(make(b.prefix + "gap", OpKind::kGlobalAvgPool));
      return;
    case BlockKind::kFlatten:
      b.net.add(make(b.prefix + "flatten", OpKind::kFlatten));
      return;
    case BlockKind::kDense: {
      const bool bn = v.get_bool("batch_norm", false);
      Layer l = make(b.prefix + "dense", OpKind::kDense);
      l.units = v.get_int("units", 1);
      l.use_bias = !bn;
      b.net.add(std::move(l));
      b.normalize_and_activate("dense", bn, v.get_string("activation", "relu"));
      return;
    }
    case BlockKind::kClassifier: {
      Layer l = make(b.prefix + "logits", OpKind::kDense);
      l.units = b.classes;
      b.net.add(std::move(l));
      b.net.add(make(b.prefix + "softmax", OpKind::kSoftmax));
      return;
    }
  }
}

std::string stage_error(const SpaceSpec& spec, const StageSpec& stage, const std::string& problem) {
  return "space '" + spec.name + "' stage '" + stage.name + "' (" + stage.file + ": " + stage.pointer +
         "): " + problem;
}

}  // namespace

DecodedPrefix SearchSpace::decode_prefix(const Genome& genome, size_t stage_count, int last_stage_blocks,
                                        std::vector<int>* stage_of_layer) const {
  const SpaceSpec& spec = *m_spec;
  assert(genome.size() == spec.genes.size());
  DecodedPrefix out;
  out.active.assign(spec.genes.size(), 0);
  const GenomeReader reader(spec, genome, out.active);

  out.input = m_data_shape;
  if (spec.has_resolution) std::tie(out.input.h, out.input.w) = value_size2(reader.get(spec.resolution));
  const double width = value_number(reader.get(spec.width_multiplier));
  // Rounding applies at every chosen width, 1.0 included, so that filter counts move
  // smoothly with the multiplier; a space without a width keeps its filters as written.
  const bool round_channels = !spec.width_multiplier.is_fixed() || width != 1.0;

  NetworkBuilder net(out.input);
  for (size_t s = 0; s < std::min(stage_count, spec.stages.size()); ++s) {
    const StageSpec& stage = spec.stages[s];
    int depth = value_int(reader.get(stage.depth));
    if (s + 1 == stage_count) depth = std::min(depth, last_stage_blocks);
    for (int b = 0; b < depth; ++b) {
      const BlockKind kind = *parse_block_kind(reader.get(stage.block, b).get<std::string>());
      const BlockValues values(reader, stage, b);
      std::string prefix = stage.name + "_";
      if (stage.max_depth > 1) prefix += "b" + std::to_string(b + 1) + "_";
      const BlockContext context{net,           values, prefix, width, stage.scale_with_width && round_channels,
                                 spec.channel_divisor, m_classes};
      try {
        build_block(kind, context);
      } catch (const ArchitectureError& e) {
        throw SpaceDecodeError(int(s), e.what(), stage_error(spec, stage, e.what()));
      }
    }
    if (stage_of_layer) stage_of_layer->resize(net.size(), int(s));
  }
  out.layers = net.take_layers();
  return out;
}

DecodedNetwork SearchSpace::decode_detailed(const Genome& genome) const {
  const SpaceSpec& spec = *m_spec;
  // Which stage built each layer: the checks that only the whole network can make (the
  // size of every tensor) must still name the stage at fault.
  std::vector<int> stage_of_layer;
  DecodedPrefix net = decode_prefix(genome, spec.stages.size(), std::numeric_limits<int>::max(), &stage_of_layer);
  try {
    Architecture arch(spec.name, net.input, std::move(net.layers));
    std::string id = architecture_identity(arch);
    return {std::move(arch), std::move(id), std::move(net.active)};
  } catch (const ArchitectureError& e) {
    const int s = e.layer_index() >= 0 ? stage_of_layer[size_t(e.layer_index())] : int(spec.stages.size()) - 1;
    throw SpaceDecodeError(s, e.what(), stage_error(spec, spec.stages[size_t(s)], e.what()));
  }
}

Architecture SearchSpace::decode(const Genome& genome) const { return decode_detailed(genome).arch; }

std::string SearchSpace::identity(const Genome& genome) const { return decode_detailed(genome).identity; }

}  // namespace hwnas
