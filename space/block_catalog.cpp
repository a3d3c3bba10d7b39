// This file implements the catalog of block kinds and parameters (see block_catalog.hpp).
#include "space/block_catalog.hpp"

#include <cmath>

namespace hwnas {

namespace {

using Type = ParamRule::Type;

const std::vector<ParamRule>& rules() {
  static const std::vector<ParamRule> table = {
      {"filters", Type::kInt, 1, 4096, {}, GeneRole::kOther},
      {"kernel", Type::kSize2, 1, 64, {}, GeneRole::kWindow},
      {"stride", Type::kSize2, 1, 8, {}, GeneRole::kStride},
      {"padding", Type::kEnum, 0, 0, {"same", "valid"}, GeneRole::kOther},
      {"activation", Type::kEnum, 0, 0, {"relu", "relu6", "none"}, GeneRole::kOther},
      {"batch_norm", Type::kBool, 0, 0, {}, GeneRole::kOther},
      {"depth_multiplier", Type::kInt, 1, 16, {}, GeneRole::kOther},
      {"expansion", Type::kNumber, 1, 16, {}, GeneRole::kOther},
      {"skip", Type::kBool, 0, 0, {}, GeneRole::kOther},
      {"pool_type", Type::kEnum, 0, 0, {"max", "avg"}, GeneRole::kOther},
      {"pool_size", Type::kSize2, 1, 64, {}, GeneRole::kWindow},
      {"units", Type::kInt, 1, 65536, {}, GeneRole::kOther},
  };
  return table;
}

const std::vector<BlockKindInfo>& kinds() {
  static const std::vector<BlockKindInfo> table = {
      {BlockKind::kConv, "conv", {"filters", "kernel", "stride", "padding", "activation", "batch_norm"},
       {"filters", "kernel"}},
      {BlockKind::kSeparable, "separable",
       {"filters", "kernel", "stride", "padding", "activation", "batch_norm", "depth_multiplier"},
       {"filters", "kernel"}},
      {BlockKind::kInvertedResidual, "inverted_residual",
       {"filters", "kernel", "stride", "expansion", "activation", "batch_norm", "skip"},
       {"filters", "kernel", "expansion"}},
      {BlockKind::kPool, "pool", {"pool_type", "pool_size", "stride", "padding"}, {}},
      {BlockKind::kGlobalPool, "global_pool", {}, {}},
      {BlockKind::kFlatten, "flatten", {}, {}},
      {BlockKind::kDense, "dense", {"units", "activation", "batch_norm"}, {"units"}},
      {BlockKind::kClassifier, "classifier", {}, {}},
  };
  return table;
}

std::string range_text(double min, double max, bool integer) {
  auto num = [&](double v) { return integer ? std::to_string(int64_t(v)) : nlohmann::json(v).dump(); };
  return "[" + num(min) + ", " + num(max) + "]";
}

bool int_in(const nlohmann::json& v, double min, double max) {
  return v.is_number_integer() && double(v.get<int64_t>()) >= min && double(v.get<int64_t>()) <= max;
}

}  // namespace

std::optional<std::string> ParamRule::check(const nlohmann::json& v) const {
  switch (type) {
    case Type::kInt:
      if (int_in(v, min, max)) return std::nullopt;
      return "an integer in " + range_text(min, max, true);
    case Type::kNumber:
      if (v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() >= min && v.get<double>() <= max)
        return std::nullopt;
      return "a number in " + range_text(min, max, false);
    case Type::kSize2:
      if (int_in(v, min, max)) return std::nullopt;
      if (v.is_array() && v.size() == 2 && int_in(v[0], min, max) && int_in(v[1], min, max)) return std::nullopt;
      return "an integer in " + range_text(min, max, true) + " or a pair [h, w] of them";
    case Type::kBool:
      if (v.is_boolean()) return std::nullopt;
      return "true or false";
    case Type::kEnum:
      if (v.is_string())
        for (const auto& o : options)
          if (v.get<std::string>() == o) return std::nullopt;
      std::string list;
      for (const auto& o : options) list += (list.empty() ? "" : ", ") + ("\"" + o + "\"");
      return "one of " + list;
  }
  return "a valid value";
}

const ParamRule* find_param_rule(const std::string& key) {
  for (const auto& r : rules())
    if (r.key == key) return &r;
  return nullptr;
}

std::string param_keys_list() {
  std::string out;
  for (const auto& r : rules()) out += (out.empty() ? "" : ", ") + r.key;
  return out;
}

const BlockKindInfo& block_kind_info(BlockKind kind) { return kinds()[size_t(kind)]; }

const char* block_kind_name(BlockKind kind) { return block_kind_info(kind).name; }

const std::vector<BlockKind>& all_block_kinds() {
  static const std::vector<BlockKind> all = [] {
    std::vector<BlockKind> v;
    for (const auto& k : kinds()) v.push_back(k.kind);
    return v;
  }();
  return all;
}

std::optional<BlockKind> parse_block_kind(const std::string& name) {
  for (const auto& k : kinds())
    if (name == k.name) return k.kind;
  return std::nullopt;
}

std::string block_kind_names() {
  std::string out;
  for (const auto& k : kinds()) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

int value_int(const nlohmann::json& v) { return int(v.get<int64_t>()); }

double value_number(const nlohmann::json& v) { return v.get<double>(); }

std::pair<int, int> value_size2(const nlohmann::json& v) {
  if (v.is_array()) return {int(v[0].get<int64_t>()), int(v[1].get<int64_t>())};
  const int n = int(v.get<int64_t>());
  return {n, n};
}

}  // namespace hwnas
