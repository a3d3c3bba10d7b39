// This file implements reading and writing arch.json (see arch_json.hpp).
#include "space/arch_json.hpp"

#include "util/atomic_file.hpp"
#include "util/json_reader.hpp"

namespace hwnas {

namespace {

// Generous caps that keep a typo (filters: 1e9) from turning into a huge allocation.
constexpr int64_t kMaxChannels = 1 << 20;
constexpr int64_t kMaxSpatial = 1 << 16;

nlohmann::json pair(int a, int b) { return nlohmann::json::array({a, b}); }

nlohmann::json layer_to_json(const Layer& l) {
  nlohmann::json j;
  j["name"] = l.name;
  j["op"] = op_name(l.op);
  j["inputs"] = l.inputs;
  for (const auto& attr : op_info(l.op).attributes) {
    if (attr == "filters") j[attr] = l.filters;
    else if (attr == "kernel" || attr == "pool") j[attr] = pair(l.kernel_h, l.kernel_w);
    else if (attr == "stride") j[attr] = pair(l.stride_h, l.stride_w);
    else if (attr == "padding") j[attr] = padding_name(l.padding);
    else if (attr == "use_bias") j[attr] = l.use_bias;
    else if (attr == "depth_multiplier") j[attr] = l.depth_multiplier;
    else if (attr == "units") j[attr] = l.units;
    else if (attr == "epsilon") j[attr] = l.epsilon;
    else if (attr == "shape")
      j[attr] = nlohmann::json::array({l.target_shape.h, l.target_shape.w, l.target_shape.c});
  }
  return j;
}

// Reads [h, w] or a single integer (square) for kernel, pool and stride.
void read_pair(JsonReader& r, const std::string& key, int& h, int& w, int fallback) {
  if (!r.take(key)) {
    h = w = fallback;
    return;
  }
  if (r.raw(key).is_array()) {
    const auto v = r.get_int_list(key, 2, 2, 1, kMaxSpatial);
    h = int(v[0]);
    w = int(v[1]);
  } else {
    h = w = int(r.get_int(key, 1, kMaxSpatial));
  }
}

Layer layer_from_json(JsonReader& r, const std::string& previous) {
  Layer l;
  l.name = r.get_string("name");
  const std::string op = r.get_string("op");
  const auto kind = parse_op_kind(op);
  if (!kind) r.fail("op", "one of " + op_names_list());
  l.op = *kind;
  if (r.take("inputs")) {
    const auto& inputs = r.get_array("inputs", 1);
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i].is_string())
        throw ConfigError(r.file(), pointer_index(r.pointer_of("inputs"), i), "a layer name",
                          describe_json(inputs[i]));
      l.inputs.push_back(inputs[i].get<std::string>());
    }
  } else {  // default: the previous layer
    l.inputs = {previous};
  }
  for (const auto& attr : op_info(l.op).attributes) {
    if (attr == "filters") l.filters = int(r.get_int("filters", 1, kMaxChannels));
    else if (attr == "units") l.units = int(r.get_int("units", 1, kMaxChannels));
    else if (attr == "kernel") read_pair(r, "kernel", l.kernel_h, l.kernel_w, 0);
    else if (attr == "pool") read_pair(r, "pool", l.kernel_h, l.kernel_w, 2);
    else if (attr == "stride") read_pair(r, "stride", l.stride_h, l.stride_w, 1);
    else if (attr == "padding")
      l.padding = r.get_enum_or("padding", {"same", "valid"}, "same") == "same" ? Padding::kSame
                                                                              : Padding::kValid;
    else if (attr == "use_bias") l.use_bias = r.get_bool_or("use_bias", true);
    else if (attr == "depth_multiplier")
      l.depth_multiplier = int(r.get_int_or("depth_multiplier", 1, 1, 1024));
    else if (attr == "epsilon") l.epsilon = r.get_double_or("epsilon", 1e-3, 1e-12, 1.0);
    else if (attr == "shape") {
      const auto v = r.get_int_list("shape", 3, 3, 1, kMaxChannels);
      l.target_shape = {int(v[0]), int(v[1]), int(v[2])};
    }
  }
  // Like Keras and PyTorch, a pool without a stride moves by its window size.
  if ((l.op == OpKind::kAvgPool2D || l.op == OpKind::kMaxPool2D) && !r.has("stride")) {
    l.stride_h = l.kernel_h;
    l.stride_w = l.kernel_w;
  }
  // Convolutions have no sensible default kernel size: require it.
  if ((l.op == OpKind::kConv2D || l.op == OpKind::kDepthwiseConv2D) && l.kernel_h == 0)
    r.fail("kernel", "a kernel size: an integer or [h, w]");
  r.finish();
  return l;
}

}  // namespace

nlohmann::json architecture_to_json(const Architecture& arch) {
  nlohmann::json j;
  j["name"] = arch.name();
  const auto& in = arch.input_shape();
  j["input"] = {{"shape", {in.h, in.w, in.c}}};
  j["layers"] = nlohmann::json::array();
  for (const auto& l : arch.layers()) j["layers"].push_back(layer_to_json(l));
  return j;
}

Architecture architecture_from_json(const nlohmann::json& value, const std::string& file,
                                    const std::string& pointer) {
  JsonReader r(value, file, pointer);
  const std::string name = r.get_string_or("name", "unnamed");
  JsonReader input = r.child("input");
  const auto shape = input.get_int_list("shape", 3, 3, 1, kMaxChannels);
  input.finish();
  const auto& layers_json = r.get_array("layers", 1);
  std::vector<Layer> layers;
  for (size_t i = 0; i < layers_json.size(); ++i) {
    JsonReader lr(layers_json[i], file, pointer_index(r.pointer_of("layers"), i));
    layers.push_back(layer_from_json(lr, i == 0 ? kInputName : layers.back().name));
  }
  r.finish();
  try {
    return Architecture(name, {int(shape[0]), int(shape[1]), int(shape[2])}, std::move(layers));
  } catch (const ArchitectureError& e) {
    const std::string where = e.layer_index() < 0
                                  ? pointer
                                  : pointer_index(r.pointer_of("layers"), size_t(e.layer_index()));
    throw ConfigError::with_message(file, where, e.what());
  }
}

Architecture load_architecture(const std::string& path) {
  return architecture_from_json(read_json_file(path), path);
}

void save_architecture(const Architecture& arch, const std::string& path) {
  write_file_atomically(path, architecture_to_json(arch).dump(2) + "\n");
}

}  // namespace hwnas
