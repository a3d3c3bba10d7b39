// This file implements reading runtime profiles (see runtime_profile.hpp).
#include "estimators/runtime_profile.hpp"

#include <algorithm>

#include <filesystem>

#include "estimators/mcu_database.hpp"
#include "util/json_reader.hpp"
#include "util/name_lookup.hpp"

namespace hwnas {

struct BuiltinJsonFile {  // matches cmake/builtin_runtimes.cpp.in
  const char* name;
  const char* text;
};
extern const BuiltinJsonFile kBuiltinRuntimeProfiles[];  // generated from configs/runtimes/*.json
extern const int kBuiltinRuntimeProfileCount;

const ScratchRule& RuntimeProfile::scratch_for(const std::string& core) const {
  static const ScratchRule none;
  auto it = scratch.find(core);
  if (it == scratch.end()) it = scratch.find("default");
  return it == scratch.end() ? none : it->second;
}

const LatencyCoefficients* RuntimeProfile::latency_for(const std::string& core) const {
  auto it = latency.find(core);
  return it == latency.end() ? nullptr : &it->second;
}

std::vector<int64_t> scratch_sizes(const DeployGraph& graph, const ScratchRule& rule) {
  std::vector<int64_t> sizes;
  sizes.reserve(graph.ops().size());
  for (const auto& op : graph.ops()) {
    const double patch = double(op.kernel_h) * op.kernel_w * op.in_shape.c;
    double bytes = 0;
    switch (op.kind) {
      case DeployKind::kConv: bytes = rule.conv_per_patch_element * patch; break;
      case DeployKind::kDepthwiseConv:  // the optimised kernel (and its buffer) needs a multiplier of 1
        bytes = op.out_shape.c == op.in_shape.c ? rule.depthwise_per_patch_element * patch : 0;
        break;
      case DeployKind::kPool: bytes = op.average ? rule.pool_per_channel * op.in_shape.c : 0; break;
      case DeployKind::kDense: bytes = rule.dense_per_output * op.out_shape.c; break;
      default: break;
    }
    sizes.push_back(int64_t(bytes + 0.5));
  }
  return sizes;
}

namespace {

constexpr int64_t kMaxBytes = int64_t(1) << 32;

ScratchRule scratch_from_json(JsonReader r) {
  ScratchRule s;
  s.conv_per_patch_element = r.get_double_or("conv_per_patch_element", 0, 0, 64);
  s.depthwise_per_patch_element = r.get_double_or("depthwise_per_patch_element", 0, 0, 64);
  s.pool_per_channel = r.get_double_or("pool_per_channel", 0, 0, 64);
  s.dense_per_output = r.get_double_or("dense_per_output", 0, 0, 64);
  r.finish();
  return s;
}

void check_core_key(const JsonReader& r, const std::string& key, bool allow_default) {
  if (allow_default && key == "default") return;
  for (const auto& core : known_cores())
    if (key == core) return;
  r.fail(key, std::string("a core family (") + (allow_default ? "default, " : "") + known_cores_list() + ")");
}

void read_flash(JsonReader r, RuntimeProfile& p) {
  p.runtime_code_bytes = r.get_int("runtime_code_bytes", 0, kMaxBytes);
  JsonReader k = r.child("kernel_code_bytes");
  for (int i = 0; i < kDeployKindCount; ++i)
    p.kernel_code_bytes[size_t(i)] = k.get_int(deploy_kind_name(DeployKind(i)), 0, kMaxBytes);
  k.finish();
  if (r.take("kernel_code_same_as")) {
    std::vector<std::string> kinds;
    for (int i = 0; i < kDeployKindCount; ++i) kinds.push_back(deploy_kind_name(DeployKind(i)));
    JsonReader same = r.child("kernel_code_same_as");
    for (int i = 0; i < kDeployKindCount; ++i)
      if (same.has(kinds[size_t(i)])) {
        const std::string owner = same.get_enum(kinds[size_t(i)], kinds);
        p.kernel_code_same_as[size_t(i)] = int(std::find(kinds.begin(), kinds.end(), owner) - kinds.begin());
      }
    same.finish();
  }
  p.model_fixed_bytes = r.get_int("model_fixed_bytes", 0, kMaxBytes);
  p.model_per_op_bytes = r.get_int("model_per_op_bytes", 0, 1 << 20);
  p.model_per_tensor_bytes = r.get_int("model_per_tensor_bytes", 0, 1 << 20);
  p.model_per_weighted_op_bytes = r.get_int_or("model_per_weighted_op_bytes", 0, 0, 1 << 20);
  p.model_per_channel_bytes = r.get_int("model_per_channel_bytes", 0, 1 << 10);
  p.per_tensor_dense_parameters =
      r.get_enum_or("dense_parameters", {"per_channel", "per_tensor"}, "per_channel") == "per_tensor";
  r.finish();
}

void read_ram(JsonReader r, RuntimeProfile& p) {
  p.ram_fixed_bytes = r.get_int("fixed_bytes", 0, kMaxBytes);
  p.ram_per_op_bytes = r.get_int("per_op_bytes", 0, 1 << 20);
  p.ram_per_tensor_bytes = r.get_int("per_tensor_bytes", 0, 1 << 20);
  p.ram_per_channel_bytes = r.get_int("per_channel_bytes", 0, 1 << 10);
  p.stack_bytes = r.get_int("stack_bytes", 0, kMaxBytes);
  r.finish();
}

}  // namespace

LatencyVector latency_cycles_from_json(JsonReader r) {
  LatencyVector v{};
  const auto& names = latency_feature_names();
  for (int i = 0; i < kLatencyFeatureCount; ++i) v[size_t(i)] = r.get_double(names[size_t(i)], 0, 1e9);
  r.finish();
  return v;
}

LatencyInterval latency_interval_from_json(JsonReader r) {
  LatencyInterval i;
  i.lower = r.get_double("lower", 1e-3, 1);
  i.upper = r.get_double("upper", 1, 1e3);
  i.basis = r.get_string_or("basis", "");
  r.finish();
  return i;
}

nlohmann::json interval_json(const LatencyInterval& interval) {
  return {{"lower", interval.lower}, {"upper", interval.upper}, {"basis", interval.basis}};
}

namespace {

LatencyCoefficients latency_entry_from_json(JsonReader e) {
  LatencyCoefficients c;
  c.source = e.get_string("source");
  c.min_cycles_per_mac = e.get_double_or("min_cycles_per_mac", 0, 0, 1000);
  c.cycles = latency_cycles_from_json(e.child("cycles"));
  if (e.has("first_principles")) c.first_principles = latency_cycles_from_json(e.child("first_principles"));
  if (e.has("interval")) c.interval = latency_interval_from_json(e.child("interval"));
  e.finish();
  for (int j = 0; j < kLatencyFeatureCount; ++j)
    if (is_mac_feature(j) && c.cycles[size_t(j)] > 0 && c.cycles[size_t(j)] < c.min_cycles_per_mac)
      e.fail(std::string("cycles/") + latency_feature_names()[size_t(j)],
             "at least min_cycles_per_mac (" + std::to_string(c.min_cycles_per_mac) + ", the core's limit)");
  return c;
}

void read_latency(JsonReader l, RuntimeProfile& p) {
  for (const auto& [core, entry] : l.object().items()) {
    if (is_comment_key(core)) continue;
    check_core_key(l, core, false);
    p.latency[core] = latency_entry_from_json(l.child(core));
  }
  l.finish();
}

RuntimeProfile profile_from_json(const nlohmann::json& value, const std::string& file,
                                 const std::vector<RuntimeProfile>& bases) {
  JsonReader r(value, file);
  RuntimeProfile p;
  if (r.has("base")) {
    const std::string base = r.get_string("base");
    auto it = std::find_if(bases.begin(), bases.end(), [&](const RuntimeProfile& b) { return b.name == base; });
    if (it == bases.end()) {
      std::string names;
      for (const auto& b : bases) names += (names.empty() ? "" : ", ") + b.name;
      r.fail("base", "a built-in profile without a base (" + names + ")");
    }
    p = *it;
    p.latency.clear();
    p.base = base;
  }
  p.name = r.get_string("name");
  if (p.name.empty()) r.fail("name", "a non-empty profile name");
  p.description = r.get_string_or("description", "");
  if (!r.has("base")) {
    JsonReader a = r.child("arena");
    p.in_place.alignment = a.get_int("alignment", 1, 4096);
    p.in_place.reshape_in_place = a.get_bool("reshape_in_place");
    p.in_place.elementwise_in_place = a.get_bool("elementwise_in_place");
    a.finish();
    read_flash(r.child("flash"), p);
    read_ram(r.child("ram"), p);
    JsonReader s = r.child("scratch");
    for (const auto& [core, rule] : s.object().items()) {
      if (is_comment_key(core)) continue;
      check_core_key(s, core, true);
      p.scratch[core] = scratch_from_json(s.child(core));
    }
    s.finish();
  }
  read_latency(r.child("latency"), p);
  r.finish();
  return p;
}

}  // namespace

RuntimeProfile runtime_profile_from_json(const nlohmann::json& value, const std::string& file) {
  std::vector<RuntimeProfile> bases;
  for (const auto& b : RuntimeProfiles::builtin().all())
    if (b.base.empty()) bases.push_back(b);
  return profile_from_json(value, file, bases);
}

const RuntimeProfiles& RuntimeProfiles::builtin() {
  static const RuntimeProfiles profiles = [] {
    RuntimeProfiles all;
    // Profiles without a base first: a release profile copies its base's rules.
    for (int pass = 0; pass < 2; ++pass)
      for (int i = 0; i < kBuiltinRuntimeProfileCount; ++i) {
        const auto& f = kBuiltinRuntimeProfiles[i];
        const nlohmann::json value = nlohmann::json::parse(f.text);
        if (value.contains("base") != (pass == 1)) continue;
        std::vector<RuntimeProfile> bases;
        for (const auto& b : all.m_profiles)
          if (b.base.empty()) bases.push_back(b);
        all.m_profiles.push_back(profile_from_json(value, std::string("configs/runtimes/") + f.name + " (built in)", bases));
      }
    return all;
  }();
  return profiles;
}

const RuntimeProfile* RuntimeProfiles::find(const std::string& name) const {
  return find_by_name(m_profiles, name);
}

std::string RuntimeProfiles::names() const { return comma_list(m_profiles, &RuntimeProfile::name); }

RuntimeProfile resolve_runtime_profile(const std::string& name_or_path, const std::string& base_dir,
                                       const std::string& file, const std::string& pointer) {
  const auto& builtin = RuntimeProfiles::builtin();
  if (const RuntimeProfile* p = builtin.find(name_or_path)) return *p;
  if (name_or_path.size() > 5 && name_or_path.ends_with(".json")) {
    std::filesystem::path path(name_or_path);
    if (path.is_relative() && !base_dir.empty()) path = std::filesystem::path(base_dir) / path;
    return runtime_profile_from_json(read_json_file(path.string()), path.string());
  }
  throw ConfigError(file, pointer, "a runtime profile (" + builtin.names() + ") or the path of a profile .json file",
                    describe_json(name_or_path));
}

}  // namespace hwnas
