// This file implements the flash, RAM, latency and energy model (see cost_model.hpp).
#include "estimators/cost_model.hpp"

#include <algorithm>
#include <array>

#include "space/deploy_graph.hpp"
#include "estimators/schedule_search.hpp"
#include "util/errors.hpp"

namespace hwnas {

CostTarget CostTarget::make(const McuSpec& mcu, const RuntimeProfile& profile, const LatencyCoefficients* calibration) {
  CostTarget t{mcu, profile, {}};
  if (calibration) {
    t.latency = *calibration;
  } else if (const LatencyCoefficients* c = profile.latency_for(latency_family(mcu))) {
    t.latency = *c;
  } else {
    throw UserError("runtime profile " + profile.name + " has no latency coefficients for " + latency_family(mcu) +
                    " (board " + mcu.name + "); calibrate them with nas-run calibrate and pass the file");
  }
  return t;
}

namespace {

// Output channels whose quantisation parameters `p` stores (file and RAM) for `op`.
int64_t parameter_channels(const DeployOp& op, const RuntimeProfile& p) {
  return p.per_tensor_dense_parameters && op.kind == DeployKind::kDense ? 1 : op.quant_channels;
}

FlashBreakdown flash_of(const DeployGraph& g, const RuntimeProfile& p) {
  FlashBreakdown f;
  std::array<bool, kDeployKindCount> used{};
  int64_t channels = 0, weighted_ops = 0;
  for (const auto& op : g.ops()) {
    weighted_ops += op.weights > 0;
    f.weights += op.weights;
    f.biases += 4 * op.biases;
    channels += parameter_channels(op, p);
    used[size_t(op.kind)] = true;
  }
  f.quant_params = channels * p.model_per_channel_bytes;
  f.model_metadata = p.model_fixed_bytes + int64_t(g.ops().size()) * p.model_per_op_bytes +
                     int64_t(g.tensors().size()) * p.model_per_tensor_bytes + weighted_ops * p.model_per_weighted_op_bytes;
  // Each kernel's code once, however many kinds run on it.
  std::array<bool, kDeployKindCount> code_used{};
  for (int k = 0; k < kDeployKindCount; ++k)
    if (used[size_t(k)]) code_used[size_t(p.kernel_code_same_as[size_t(k)] >= 0 ? p.kernel_code_same_as[size_t(k)] : k)] = true;
  for (int k = 0; k < kDeployKindCount; ++k)
    if (code_used[size_t(k)]) f.kernel_code += p.kernel_code_bytes[size_t(k)];
  f.runtime_code = p.runtime_code_bytes;
  return f;
}

RamBreakdown ram_beyond_arena(const DeployGraph& g, const RuntimeProfile& p) {
  RamBreakdown r;
  int64_t channels = 0;
  for (const auto& op : g.ops()) channels += parameter_channels(op, p);
  r.persistent = int64_t(g.ops().size()) * p.ram_per_op_bytes + int64_t(g.tensors().size()) * p.ram_per_tensor_bytes +
                 channels * p.ram_per_channel_bytes;
  r.runtime = p.ram_fixed_bytes;
  r.stack = p.stack_bytes;
  return r;
}

// The plan of the best order: the min-live-peak order when the graph has several, unless the
// greedy placement happens to fragment it more than the listed order.
struct BestPlan {
  MemoryPlan plan;
  bool searched = false;    ///< the order search ran and finished
  int64_t states = 0;
  int64_t listed_arena = 0;
};

// The search filters every sample and must stay fast: it gives up sooner than a report,
// which may take a tenth of a second for a very wide graph.
constexpr int64_t kFilterSearchStates = 2000;
constexpr int64_t kReportSearchStates = 100000;

BestPlan best_plan(const DeployGraph& g, const std::vector<int64_t>& scratch, const InPlaceRules& rules,
                   int64_t max_states) {
  const ScheduleSearchResult found = min_peak_schedule(g, scratch, max_states);
  BestPlan best{plan_memory(g, found.order, scratch, rules), found.states > 0 && found.exhaustive, found.states, 0};
  best.listed_arena = best.plan.arena_bytes;
  if (best.searched && !std::is_sorted(found.order.begin(), found.order.end())) {
    MemoryPlan listed = plan_memory(g, listed_schedule(g, scratch).order, scratch, rules);
    best.listed_arena = listed.arena_bytes;
    if (listed.arena_bytes < best.plan.arena_bytes) best.plan = std::move(listed);
  }
  return best;
}

bool reshape_copies(const RuntimeProfile& p) { return !p.in_place.reshape_in_place; }

double cycles_of(const DeployGraph& g, const CostTarget& t) {
  return dot(network_latency_features(g, t.mcu.flash_wait_states, reshape_copies(t.profile)), t.latency.cycles);
}

CostEstimate finish_estimate(const DeployGraph& g, const CostTarget& t, int64_t arena) {
  CostEstimate e;
  e.flash = flash_of(g, t.profile);
  e.ram = ram_beyond_arena(g, t.profile);
  e.ram.arena = arena;
  e.cycles = cycles_of(g, t);
  e.latency_ms = e.cycles / (t.mcu.clock_mhz * 1e3);
  e.latency_low_ms = e.latency_ms * t.latency.interval.lower;
  e.latency_high_ms = e.latency_ms * t.latency.interval.upper;
  if (t.mcu.active_power_mw > 0) e.energy_uj = e.latency_ms * t.mcu.active_power_mw;  // ms x mW = uJ
  return e;
}

}  // namespace

CostEstimate estimate_costs(const Architecture& arch, const CostTarget& t) {
  const DeployGraph g(arch);
  const auto scratch = scratch_sizes(g, t.profile.scratch_for(latency_family(t.mcu)));
  const BestPlan best = best_plan(g, scratch, t.profile.in_place, kFilterSearchStates);
  return finish_estimate(g, t, best.plan.arena_bytes);
}

CostReport cost_report(const Architecture& arch, const CostTarget& t) {
  const DeployGraph g(arch);
  const auto scratch = scratch_sizes(g, t.profile.scratch_for(latency_family(t.mcu)));
  BestPlan best = best_plan(g, scratch, t.profile.in_place, kReportSearchStates);
  CostReport r;
  r.totals = finish_estimate(g, t, best.plan.arena_bytes);
  r.order_searched = best.searched;
  r.order_states = best.states;
  r.listed_order_arena = best.listed_arena;
  r.tensor_labels.push_back(kInputName);
  for (size_t o = 0; o < g.ops().size(); ++o) r.tensor_labels.push_back(g.op_label(arch, o));
  for (size_t s = 0; s < best.plan.schedule.size(); ++s) {
    const size_t o = size_t(best.plan.schedule[s]);
    const DeployOp& op = g.ops()[o];
    OpCostRow row;
    row.label = r.tensor_labels[o + 1];  // op o writes tensor o + 1
    row.kind = op.kind;
    row.out_shape = op.out_shape;
    row.macs = op.macs;
    row.params = op.weights + op.biases;
    row.flash_bytes = op.weights + 4 * op.biases + parameter_channels(op, t.profile) * t.profile.model_per_channel_bytes;
    row.scratch_bytes = scratch[o];
    row.live_bytes = best.plan.live_bytes[s];
    row.cycles = dot(op_latency_features(op, t.mcu.flash_wait_states, reshape_copies(t.profile)), t.latency.cycles);
    row.latency_ms = row.cycles / (t.mcu.clock_mhz * 1e3);
    r.ops.push_back(std::move(row));
  }
  r.plan = std::move(best.plan);
  return r;
}

}  // namespace hwnas
