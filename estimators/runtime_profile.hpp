// This file implements RuntimeProfile: what an inference runtime adds to every cost, since
// the same network costs different flash, RAM and time under different runtimes (TF Lite
// Micro + CMSIS-NN vs our generated C). A profile gives the fixed code and RAM of the
// runtime, per-kernel code size, the model's metadata bytes, per-op/tensor/channel RAM the
// runtime keeps, scratch buffers per op and core family, in-place rules for the arena, and
// per-core-family latency coefficients (cycles per feature of latency_features.hpp).
// Profiles are JSON (configs/runtimes/*.json, compiled in; users may pass their own file).
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "space/deploy_graph.hpp"
#include "estimators/latency_features.hpp"
#include "estimators/latency_fit.hpp"
#include "estimators/memory_planner.hpp"

namespace hwnas {

class JsonReader;

constexpr std::array<int, kDeployKindCount> filled_array(int value) {
  std::array<int, kDeployKindCount> a{};
  for (int& x : a) x = value;
  return a;
}

/// Scratch bytes an op asks the arena for while it runs (e.g. CMSIS-NN's im2col buffer).
struct ScratchRule {
  double conv_per_patch_element = 0;       ///< x kh*kw*cin, im2col convolutions
  double depthwise_per_patch_element = 0;  ///< x kh*kw*cin, depth multiplier 1 only
  double pool_per_channel = 0;             ///< x channels, windowed average pooling (max pooling needs none)
  double dense_per_output = 0;             ///< x output units
};

struct LatencyCoefficients {
  LatencyVector cycles{};  ///< cycles per unit of each feature
  std::string source;      ///< where the numbers come from (calibration rows, first principles)
  /// The inner-loop estimate the fit scaled (all 0 when the profile gives none): the prior
  /// bench/latency_truth refits from, so that a held-out network never shapes its own prior.
  LatencyVector first_principles{};
  LatencyInterval interval;  ///< how far off the estimate may be (from the fit's leave-out errors)
  /// The core's physical limit, e.g. 0.5 on an M4 (SMLAD: 2 MACs per cycle); calibration
  /// keeps every MAC coefficient at or above it so a thin data set cannot fit the impossible.
  double min_cycles_per_mac = 0;
};

struct RuntimeProfile {
  std::string name;
  std::string base;  ///< the profile whose flash, RAM and scratch rules this release shares; empty: its own
  std::string description;
  InPlaceRules in_place;

  // Flash
  int64_t runtime_code_bytes = 0;  ///< interpreter / dispatcher code, independent of the model
  std::array<int64_t, kDeployKindCount> kernel_code_bytes{};  ///< per kernel kind used, counted once
  /// The kind whose kernel a kind runs on (pointwise convolutions on the conv kernel in
  /// hwnas-c), so shared code counts once; -1: its own kernel.
  std::array<int, kDeployKindCount> kernel_code_same_as = filled_array(-1);
  int64_t model_fixed_bytes = 0;   ///< model container overhead (flatbuffer header, tables)
  int64_t model_per_op_bytes = 0;
  int64_t model_per_weighted_op_bytes = 0;  ///< more for an op with weight and bias tensors (and their buffers)
  int64_t model_per_tensor_bytes = 0;
  int64_t model_per_channel_bytes = 0;  ///< stored quantisation parameters per output channel
  /// Dense ops keep one set of quantisation parameters (file and RAM), not one per output
  /// channel: per-tensor dense weights in a runtime that stores them as given (TF Lite).
  bool per_tensor_dense_parameters = false;
  // RAM beyond the planned arena
  int64_t ram_fixed_bytes = 0;
  int64_t ram_per_op_bytes = 0;
  int64_t ram_per_tensor_bytes = 0;
  int64_t ram_per_channel_bytes = 0;  ///< requantisation multiplier/shift kept in RAM per channel
  int64_t stack_bytes = 0;

  std::map<std::string, ScratchRule> scratch;          ///< by core family; "default" applies otherwise
  std::map<std::string, LatencyCoefficients> latency;  ///< by core family

  const ScratchRule& scratch_for(const std::string& core) const;
  /// nullptr if the profile has no coefficients for `core`.
  const LatencyCoefficients* latency_for(const std::string& core) const;
};

/// Scratch sizes of every op of `graph` under `rule`.
std::vector<int64_t> scratch_sizes(const DeployGraph& graph, const ScratchRule& rule);

/// A profile may name a `base` profile (built in) and then give only its own name, description
/// and latency coefficients: a release of the same runtime whose kernels run at another speed
/// ("tflm-cmsis-nn@2021"). Its flash, RAM and scratch rules are the base's.
/// @throws ConfigError naming `file` and the JSON pointer.
RuntimeProfile runtime_profile_from_json(const nlohmann::json& value, const std::string& file);

/// An interval object {"lower", "upper", "basis"}, strictly: 0 < lower <= 1 <= upper.
LatencyInterval latency_interval_from_json(JsonReader r);
nlohmann::json interval_json(const LatencyInterval& interval);

/// The profiles compiled into the binary (configs/runtimes/*.json).
class RuntimeProfiles {
 public:
  static const RuntimeProfiles& builtin();
  const RuntimeProfile* find(const std::string& name) const;
  const std::vector<RuntimeProfile>& all() const { return m_profiles; }
  std::string names() const;

 private:
  std::vector<RuntimeProfile> m_profiles;
};

/// A profile by built-in name, or from a JSON file when `name_or_path` ends in ".json"
/// (relative to `base_dir`). @throws UserError / ConfigError listing the built-in names.
RuntimeProfile resolve_runtime_profile(const std::string& name_or_path, const std::string& base_dir,
                                       const std::string& file, const std::string& pointer);

}  // namespace hwnas
