// This file implements the catalog of the search-space language: which block kinds
// exist, which parameters each takes, and what values each parameter accepts. The
// parser checks spaces against it once; the decoder then trusts the values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "space/space_spec.hpp"

namespace hwnas {

/// What values a block parameter accepts.
struct ParamRule {
  enum class Type { kInt, kNumber, kSize2, kBool, kEnum };
  std::string key;
  Type type = Type::kInt;
  double min = 0, max = 0;           ///< kInt, kNumber, kSize2 (each of h, w)
  std::vector<std::string> options;  ///< kEnum
  GeneRole role = GeneRole::kOther;

  /// nullopt if `value` is acceptable, else what was expected ("an integer in [1, 4096]").
  std::optional<std::string> check(const nlohmann::json& value) const;
};

/// Rule of a block parameter key; nullptr if no block kind takes it.
const ParamRule* find_param_rule(const std::string& key);
/// Comma-separated list of every parameter key (for errors).
std::string param_keys_list();

struct BlockKindInfo {
  BlockKind kind;
  const char* name;
  std::vector<std::string> params;    ///< keys the kind reads
  std::vector<std::string> required;  ///< keys without a default
};

const BlockKindInfo& block_kind_info(BlockKind kind);
std::optional<BlockKind> parse_block_kind(const std::string& name);
std::string block_kind_names();

/// Reads validated values.
int value_int(const nlohmann::json& v);
double value_number(const nlohmann::json& v);
/// An int n means n x n; [h, w] means h x w.
std::pair<int, int> value_size2(const nlohmann::json& v);

}  // namespace hwnas
