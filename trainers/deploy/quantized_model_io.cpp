// This file implements save_quantized_model and load_quantized_model (see
// quantized_model_io.hpp).
#include "trainers/deploy/quantized_model_io.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "space/deploy_graph.hpp"
#include "util/atomic_file.hpp"
#include "util/errors.hpp"
#include "util/json_reader.hpp"

namespace hwnas {

namespace {

constexpr const char* kFormat = "hwnas-int8-model";
constexpr int kFormatVersion = 1;

// Appends `values` to the blob at a multiple of alignof(T); returns {offset, count}.
template <typename T>
nlohmann::json append_array(std::string& blob, const std::vector<T>& values) {
  blob.resize((blob.size() + alignof(T) - 1) / alignof(T) * alignof(T), '\0');
  const size_t offset = blob.size();
  blob.resize(offset + values.size() * sizeof(T));
  // NOTE: the blob is little endian: every host and board we target is.
  if (!values.empty()) std::memcpy(blob.data() + offset, values.data(), values.size() * sizeof(T));
  return {{"offset", offset}, {"count", values.size()}};
}

nlohmann::json multipliers_json(const std::vector<QuantizedMultiplier>& ms) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& m : ms) a.push_back({m.multiplier, m.shift});
  return a;
}

// Reads a blob slice described by {offset, count}, checking it lies inside the blob.
template <typename T>
std::vector<T> read_array(JsonReader slice, const std::string& blob, const std::string& blob_path) {
  const auto offset = size_t(slice.get_int("offset", 0, int64_t(blob.size())));
  const auto count = size_t(slice.get_int("count", 0, int64_t(blob.size())));
  slice.finish();
  if (offset % alignof(T) != 0 || offset + count * sizeof(T) > blob.size())
    throw UserError(slice.file() + ": " + slice.pointer() + ": the slice [" + std::to_string(offset) + ", +" +
                    std::to_string(count * sizeof(T)) + ") is not inside " + blob_path + " (" +
                    std::to_string(blob.size()) + " bytes) or misaligned");
  std::vector<T> v(count);
  if (count > 0) std::memcpy(v.data(), blob.data() + offset, count * sizeof(T));
  return v;
}

std::vector<QuantizedMultiplier> read_multipliers(JsonReader& r, const std::string& key) {
  const nlohmann::json& a = r.get_array(key);
  std::vector<QuantizedMultiplier> ms;
  for (size_t i = 0; i < a.size(); ++i) {
    const nlohmann::json& m = a[i];
    if (!m.is_array() || m.size() != 2 || !m[0].is_number_integer() || !m[1].is_number_integer() ||
        m[1].get<int64_t>() < -31 || m[1].get<int64_t>() > 31 || m[0].get<int64_t>() < 0 ||
        m[0].get<int64_t>() > INT32_MAX)
      throw UserError(r.file() + ": " + pointer_index(r.pointer_of(key), i) +
                      ": expected [multiplier 0..2^31-1, shift -31..31], got " + describe_json(m));
    ms.push_back({int32_t(m[0].get<int64_t>()), int(m[1].get<int64_t>())});
  }
  return ms;
}

// The weights and biases an op of this structure holds. A kScale op (a batch norm that
// could not be folded) runs as a 1x1 depthwise conv: a weight and a bias per channel,
// though it counts as per-channel parameters rather than weights in the deploy graph.
std::pair<int64_t, int64_t> expected_counts(const DeployOp& d) {
  if (d.kind == DeployKind::kScale) return {d.out_shape.c, d.out_shape.c};
  return {d.weights, d.biases};
}

void require(bool ok, const JsonReader& r, const std::string& key, const std::string& what) {
  if (!ok) throw UserError(r.file() + ": " + r.pointer_of(key) + ": " + what);
}

}  // namespace

QuantizedModelText quantized_model_text(const QuantizedModel& model) {
  std::string blob;
  nlohmann::json tensors = nlohmann::json::array();
  for (const QuantParams& p : model.tensor_params) tensors.push_back({{"scale", p.scale}, {"zero_point", p.zero_point}});
  nlohmann::json ops = nlohmann::json::array();
  for (const QuantizedOp& op : model.ops) {
    nlohmann::json o = {{"kind", deploy_kind_name(op.deploy.kind)},
                        {"output", op.deploy.output},
                        {"activation_min", op.activation_min},
                        {"activation_max", op.activation_max},
                        {"weights", append_array(blob, op.weights)},
                        {"biases", append_array(blob, op.biases)},
                        {"weight_scales", op.weight_scales},
                        {"output_multipliers", multipliers_json(op.output_multipliers)},
                        {"input_multipliers", multipliers_json(op.input_multipliers)},
                        {"left_shift", op.left_shift}};
    ops.push_back(std::move(o));
  }
  nlohmann::json doc = {{"format", kFormat},       {"version", kFormatVersion},
                        {"blob", kInt8BlobFile},   {"blob_bytes", blob.size()},
                        {"tensors", tensors},      {"ops", ops},
                        {"output_tensor", model.output_tensor}, {"score_tensor", model.score_tensor}};
  if (!model.input_mean.empty())
    doc["input_standardization"] = {{"mean", model.input_mean}, {"std", model.input_std}};
  return {doc.dump(1) + "\n", std::move(blob)};
}

void save_quantized_model(const QuantizedModel& model, const std::string& dir) {
  const QuantizedModelText text = quantized_model_text(model);
  write_file_atomically(dir + "/" + kInt8BlobFile, text.blob);
  write_file_atomically(dir + "/" + kInt8ModelFile, text.json);
}

QuantizedModel load_quantized_model(const Architecture& arch, const std::string& dir) {
  const std::string path = dir + "/" + kInt8ModelFile;
  const std::string blob_path = dir + "/" + kInt8BlobFile;
  if (!std::filesystem::exists(path))
    throw UserError(path + ": missing: no int8 model was saved for this network (runs made before the exporters existed saved none; rerun the search)");
  return quantized_model_from_text(arch, {read_file_text(path), read_file_text(blob_path)}, path, blob_path);
}

QuantizedModel quantized_model_from_text(const Architecture& arch, const QuantizedModelText& text,
                                         const std::string& path, const std::string& blob_path) {
  const nlohmann::json doc = parse_json_text(text.json, path);
  JsonReader r(doc, path);
  require(r.get_string("format") == kFormat, r, "format", std::string("expected \"") + kFormat + "\"");
  require(r.get_int("version") == kFormatVersion, r, "version", "expected " + std::to_string(kFormatVersion));
  r.get_string("blob");
  const std::string& blob = text.blob;
  require(r.get_int("blob_bytes", 0) == int64_t(blob.size()), r, "blob_bytes",
          "does not match the size of " + blob_path + " (" + std::to_string(blob.size()) + " bytes)");

  const FoldedModel structure = deployed_structure(arch);
  QuantizedModel m;
  m.input_shape = structure.input_shape;
  m.tensor_shapes = structure.tensor_shapes;
  const nlohmann::json& tensors = r.get_array("tensors", m.tensor_shapes.size(), m.tensor_shapes.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    JsonReader t(tensors[i], path, pointer_index(r.pointer_of("tensors"), i));
    QuantParams p;
    p.scale = float(t.get_double("scale", 0.0));
    p.zero_point = int32_t(t.get_int("zero_point", -128, 127));
    t.finish();
    m.tensor_params.push_back(p);
  }
  const nlohmann::json& ops = r.get_array("ops", structure.ops.size(), structure.ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    const FoldedOp& s = structure.ops[i];
    JsonReader o(ops[i], path, pointer_index(r.pointer_of("ops"), i));
    require(o.get_string("kind") == deploy_kind_name(s.deploy.kind) && o.get_int("output") == s.deploy.output, o,
            "kind", std::string("expected a ") + deploy_kind_name(s.deploy.kind) + " op writing tensor " +
                        std::to_string(s.deploy.output) + ", as " + arch.name() + " deploys");
    QuantizedOp q;
    q.deploy = s.deploy;
    q.geometry = s.geometry;
    q.depth_multiplier = s.depth_multiplier;
    q.activation = s.activation;
    q.activation_min = int32_t(o.get_int("activation_min", -128, 127));
    q.activation_max = int32_t(o.get_int("activation_max", q.activation_min, 127));
    q.weights = read_array<int8_t>(o.child("weights"), blob, blob_path);
    q.biases = read_array<int32_t>(o.child("biases"), blob, blob_path);
    const auto [weights, biases] = expected_counts(s.deploy);
    require(int64_t(q.weights.size()) == weights, o, "weights", "expected " + std::to_string(weights) + " weights");
    require(int64_t(q.biases.size()) == biases, o, "biases", "expected " + std::to_string(biases) + " biases");
    for (const auto& v : o.get_array("weight_scales")) {
      require(v.is_number() && v.get<double>() > 0, o, "weight_scales", "expected positive numbers");
      q.weight_scales.push_back(v.get<float>());
    }
    q.output_multipliers = read_multipliers(o, "output_multipliers");
    q.input_multipliers = read_multipliers(o, "input_multipliers");
    q.left_shift = int(o.get_int("left_shift", 0, 31));
    o.finish();
    m.ops.push_back(std::move(q));
  }
  m.output_tensor = int(r.get_int("output_tensor"));
  m.score_tensor = int(r.get_int("score_tensor", 0, int64_t(m.tensor_shapes.size()) - 1));
  require(m.output_tensor == structure.output_tensor, r, "output_tensor",
          "expected " + std::to_string(structure.output_tensor));
  if (r.has("input_standardization")) {  // absent: a model saved before hwnas recorded it
    JsonReader s = r.child("input_standardization");
    const size_t channels = size_t(m.input_shape.c);
    auto read_channels = [&](const char* key, bool positive) {
      std::vector<double> values;
      for (const auto& v : s.get_array(key, channels, channels)) {
        require(v.is_number() && std::isfinite(v.get<double>()) && (!positive || v.get<double>() > 0), s, key,
                "expected " + std::to_string(channels) + " finite numbers" + (positive ? " above 0" : ""));
        values.push_back(v.get<double>());
      }
      return values;
    };
    m.input_mean = read_channels("mean", false);
    m.input_std = read_channels("std", true);
    s.finish();
  }
  r.finish();
  return m;
}

}  // namespace hwnas
