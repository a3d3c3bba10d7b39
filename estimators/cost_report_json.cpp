// This file implements the JSON form of a cost report (see cost_model.hpp), which the
// estimate command prints and the run directory keeps per model, so that the exporter can
// reuse the exact schedule and buffer offsets.
#include "estimators/cost_model.hpp"

namespace hwnas {

namespace {

nlohmann::json flash_json(const FlashBreakdown& f) {
  return {{"total_bytes", f.total()},         {"weights", f.weights},
          {"biases", f.biases},               {"quant_params", f.quant_params},
          {"model_metadata", f.model_metadata}, {"kernel_code", f.kernel_code},
          {"runtime_code", f.runtime_code}};
}

nlohmann::json ram_json(const RamBreakdown& r) {
  return {{"total_bytes", r.total()}, {"arena", r.arena}, {"persistent", r.persistent},
          {"runtime", r.runtime},     {"stack", r.stack}};
}

nlohmann::json buffers_json(const CostReport& report) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& b : report.plan.buffers) {
    nlohmann::json tensors = nlohmann::json::array();
    for (int t : b.tensors) tensors.push_back(report.tensor_labels[size_t(t)]);
    list.push_back({{"tensors", tensors},
                    {"scratch_of", b.scratch_of_op < 0 ? nlohmann::json(nullptr)
                                                       : nlohmann::json(report.tensor_labels[size_t(b.scratch_of_op) + 1])},
                    {"size", b.buffer.size},
                    {"offset", b.buffer.offset},
                    {"first_step", b.buffer.first_step},
                    {"last_step", b.buffer.last_step}});
  }
  return list;
}

nlohmann::json ops_json(const CostReport& report) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& op : report.ops)
    list.push_back({{"label", op.label},
                    {"kind", deploy_kind_name(op.kind)},
                    {"output_shape", {op.out_shape.h, op.out_shape.w, op.out_shape.c}},
                    {"macs", op.macs},
                    {"params", op.params},
                    {"flash_bytes", op.flash_bytes},
                    {"scratch_bytes", op.scratch_bytes},
                    {"live_bytes", op.live_bytes},
                    {"cycles", op.cycles},
                    {"latency_ms", op.latency_ms}});
  return list;
}

}  // namespace

nlohmann::json cost_report_json(const CostReport& report, const CostTarget& target) {
  const CostEstimate& e = report.totals;
  nlohmann::json schedule = nlohmann::json::array();
  for (const auto& op : report.ops) schedule.push_back(op.label);
  return {{"mcu", target.mcu.name},
          {"core", target.mcu.core},
          {"clock_mhz", target.mcu.clock_mhz},
          {"runtime", target.profile.name},
          {"latency_source", target.latency.source},
          {"flash", flash_json(e.flash)},
          {"ram", ram_json(e.ram)},
          {"cycles", e.cycles},
          {"latency_ms", e.latency_ms},
          {"latency_interval_ms", target.latency.interval.known()
                                      ? nlohmann::json{{"low", e.latency_low_ms}, {"high", e.latency_high_ms},
                                                       {"basis", target.latency.interval.basis}}
                                      : nlohmann::json(nullptr)},
          {"energy_uj", e.energy_uj < 0 ? nlohmann::json(nullptr) : nlohmann::json(e.energy_uj)},
          {"schedule", schedule},
          {"order_searched", report.order_searched},
          {"order_states", report.order_states},
          {"listed_order_arena_bytes", report.listed_order_arena},
          {"arena_alignment", target.profile.in_place.alignment},
          {"buffers", buffers_json(report)},
          {"ops", ops_json(report)}};
}

}  // namespace hwnas
