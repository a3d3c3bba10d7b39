// This file implements the cost model of one network on one (MCU, runtime) target: flash
// (int8 weights, int32 biases, per-channel quantisation parameters, model metadata, kernel
// and runtime code), peak RAM (the planned arena for the best operator order, plus what the
// runtime keeps per op/tensor/channel, its fixed RAM and a stack reserve), latency (cycles
// from the latency features and the profile's coefficients for the board's core, at the
// board's clock) and energy (latency x active power). estimate_costs() is the fast path the
// search calls for every sample; cost_report() adds the per-op table and the memory plan.
// NOTE: both are const and safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "estimators/mcu_database.hpp"
#include "estimators/memory_planner.hpp"
#include "estimators/runtime_profile.hpp"
#include "space/architecture.hpp"

namespace hwnas {

/// A board and a runtime, resolved once: the coefficients for the board's core are looked
/// up (or taken from a calibration) so that estimating is a few loops.
struct CostTarget {
  McuSpec mcu;
  RuntimeProfile profile;
  LatencyCoefficients latency;  ///< for mcu.core

  /// @throws UserError if the profile has no latency coefficients for the board's core and
  /// no `calibration` is given.
  static CostTarget make(const McuSpec& mcu, const RuntimeProfile& profile,
                         const LatencyCoefficients* calibration = nullptr);
};

struct FlashBreakdown {
  int64_t weights = 0;         ///< int8
  int64_t biases = 0;          ///< int32
  int64_t quant_params = 0;    ///< per-channel scales / multipliers stored with the model
  int64_t model_metadata = 0;  ///< container, per-op and per-tensor records
  int64_t kernel_code = 0;     ///< code of each kernel kind the network uses, once
  int64_t runtime_code = 0;
  int64_t total() const { return weights + biases + quant_params + model_metadata + kernel_code + runtime_code; }
};

struct RamBreakdown {
  int64_t arena = 0;       ///< planned activations + scratch
  int64_t persistent = 0;  ///< per-op, per-tensor and per-channel runtime state
  int64_t runtime = 0;     ///< fixed runtime RAM
  int64_t stack = 0;
  int64_t total() const { return arena + persistent + runtime + stack; }
};

struct CostEstimate {
  FlashBreakdown flash;
  RamBreakdown ram;
  double cycles = 0;
  double latency_ms = 0;
  /// The prediction interval of the latency (the coefficients' interval); equal to latency_ms
  /// when unknown. A target with latency_bound "upper" budgets latency_high_ms.
  double latency_low_ms = 0, latency_high_ms = 0;
  double energy_uj = -1;  ///< < 0: the board's active power is unknown
};

CostEstimate estimate_costs(const Architecture& arch, const CostTarget& target);

struct OpCostRow {
  std::string label;  ///< "conv1+conv1_bn+conv1_relu"
  DeployKind kind = DeployKind::kConv;
  TensorShape out_shape;
  int64_t macs = 0;
  int64_t params = 0;        ///< weights + biases
  int64_t flash_bytes = 0;   ///< weights + int32 biases + quantisation parameters
  int64_t scratch_bytes = 0;
  int64_t live_bytes = 0;    ///< activations + scratch live while the op runs
  double cycles = 0;
  double latency_ms = 0;
};

struct CostReport {
  CostEstimate totals;
  std::vector<OpCostRow> ops;  ///< in schedule order
  MemoryPlan plan;
  std::vector<std::string> tensor_labels;  ///< label of each deploy tensor ("input", producer op label)
  bool order_searched = false;  ///< the graph has several orders and the search finished
  int64_t order_states = 0;     ///< > 0 with order_searched false: it gave up, listed order used
  int64_t listed_order_arena = 0;  ///< arena of the listed order, to show what the search saved
};

CostReport cost_report(const Architecture& arch, const CostTarget& target);

/// The report as JSON (schema in docs/cost-models.md), including the schedule and the buffer plan.
nlohmann::json cost_report_json(const CostReport& report, const CostTarget& target);

}  // namespace hwnas
