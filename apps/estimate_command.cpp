// This file implements `nas-run estimate` (see estimate_command.hpp).
#include "apps/estimate_command.hpp"

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "estimators/calibration.hpp"
#include "estimators/cost_model.hpp"
#include "exporters/tflite_import.hpp"
#include "space/arch_json.hpp"
#include "util/json_reader.hpp"

namespace hwnas {

namespace {

struct Fit {
  bool fits_ram = false, fits_flash = false;
  double ram_margin_kb = 0, flash_margin_kb = 0;
};

Fit fit_of(const CostEstimate& e, const McuSpec& mcu) {
  Fit f;
  f.ram_margin_kb = mcu.sram_kb - double(e.ram.total()) / 1024.0;
  f.flash_margin_kb = mcu.flash_kb - double(e.flash.total()) / 1024.0;
  f.fits_ram = f.ram_margin_kb >= 0;
  f.fits_flash = f.flash_margin_kb >= 0;
  return f;
}

std::vector<McuSpec> selected_boards(const EstimateOptions& o) {
  McuDatabase db = McuDatabase::builtin();
  if (!o.mcu_file.empty()) {
    const McuDatabase extra = McuDatabase::from_json(read_json_file(o.mcu_file), o.mcu_file);
    for (size_t i = 0; i < extra.all().size(); ++i) {
      if (extra.all()[i].name == "all")
        throw ConfigError(o.mcu_file, pointer_index("/mcus", i) + "/name", "a board name other than \"all\" (--mcu all)",
                          "\"all\"");
      db.add(extra.all()[i], o.mcu_file, pointer_index("/mcus", i));
    }
  }
  if (o.mcu == "all") return db.all();
  const McuSpec* m = db.find(o.mcu);
  if (!m) throw UserError("--mcu: expected a known board (" + db.names() + ") or all, found \"" + o.mcu + "\"");
  return {*m};
}

void print_ops(const CostReport& r) {
  std::printf("  %-40s %-15s %-14s %10s %8s %8s %9s %10s\n", "op (schedule order)", "kind", "output", "MACs",
              "params", "scratch", "live B", "latency ms");
  for (const auto& op : r.ops)
    std::printf("  %-40s %-15s %-14s %10lld %8lld %8lld %9lld %10.3f\n", op.label.c_str(), deploy_kind_name(op.kind),
                op.out_shape.str().c_str(), (long long)op.macs, (long long)op.params, (long long)op.scratch_bytes,
                (long long)op.live_bytes, op.latency_ms);
}

void print_totals(const CostReport& r, const CostTarget& t, const Fit& fit) {
  const CostEstimate& e = r.totals;
  std::printf("  flash %lld B = weights %lld + biases %lld + quant params %lld + model %lld + kernels %lld + runtime %lld\n",
              (long long)e.flash.total(), (long long)e.flash.weights, (long long)e.flash.biases,
              (long long)e.flash.quant_params, (long long)e.flash.model_metadata, (long long)e.flash.kernel_code,
              (long long)e.flash.runtime_code);
  std::printf("  RAM   %lld B = arena %lld + runtime state %lld + runtime fixed %lld + stack %lld", (long long)e.ram.total(),
              (long long)e.ram.arena, (long long)e.ram.persistent, (long long)e.ram.runtime, (long long)e.ram.stack);
  if (r.order_searched)
    std::printf(" (order searched over %lld states; listed order: arena %lld B)", (long long)r.order_states,
                (long long)r.listed_order_arena);
  else if (r.order_states > 0)
    std::printf(" (order search gave up after %lld states: listed order)", (long long)r.order_states);
  std::printf("\n  latency %.3f ms (%.0f cycles at %g MHz)", e.latency_ms, e.cycles, t.mcu.clock_mhz);
  if (t.latency.interval.known())
    std::printf("; 90%% interval %.3f-%.3f ms", e.latency_low_ms, e.latency_high_ms);
  if (e.energy_uj >= 0) std::printf(", energy %.1f uJ at %g mW", e.energy_uj, t.mcu.active_power_mw);
  else std::printf(", energy unknown (no active power for this board)");
  std::printf("\n  fits SRAM (%g KiB): %s, margin %.1f KiB; fits flash (%g KiB): %s, margin %.1f KiB\n", t.mcu.sram_kb,
              fit.fits_ram ? "yes" : "NO", fit.ram_margin_kb, t.mcu.flash_kb, fit.fits_flash ? "yes" : "NO",
              fit.flash_margin_kb);
}

void print_summary(const std::vector<std::pair<CostTarget, CostReport>>& all) {
  std::printf("\n%-12s %-14s %10s %10s %12s %19s %11s %5s %5s\n", "board", "core", "flash B", "RAM B", "latency ms",
              "90% interval ms", "energy uJ", "RAM", "flash");
  for (const auto& [t, r] : all) {
    const Fit fit = fit_of(r.totals, t.mcu);
    char interval[64] = "-";
    if (t.latency.interval.known())
      std::snprintf(interval, sizeof interval, "%.3f-%.3f", r.totals.latency_low_ms, r.totals.latency_high_ms);
    std::printf("%-12s %-14s %10lld %10lld %12.3f %19s %11s %5s %5s\n", t.mcu.name.c_str(), t.mcu.core.c_str(),
                (long long)r.totals.flash.total(), (long long)r.totals.ram.total(), r.totals.latency_ms, interval,
                r.totals.energy_uj < 0 ? "-" : std::to_string(int64_t(r.totals.energy_uj + 0.5)).c_str(),
                fit.fits_ram ? "ok" : "NO", fit.fits_flash ? "ok" : "NO");
  }
}

CostTarget target_for(const McuSpec& mcu, const RuntimeProfile& profile, const EstimateOptions& o) {
  if (o.calibration.empty()) return CostTarget::make(mcu, profile);
  const LatencyCoefficients c = read_calibration_file(o.calibration, profile, mcu);
  return CostTarget::make(mcu, profile, &c);
}

using Estimates = std::vector<std::pair<CostTarget, CostReport>>;

void print_json(const Architecture& arch, const RuntimeProfile& profile, const Estimates& all,
                const std::vector<std::string>& skipped) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [t, r] : all) {
    nlohmann::json j = cost_report_json(r, t);
    const Fit fit = fit_of(r.totals, t.mcu);
    j["fits"] = {{"sram_kb", t.mcu.sram_kb}, {"flash_kb", t.mcu.flash_kb},        {"ram", fit.fits_ram},
                 {"flash", fit.fits_flash},  {"ram_margin_kb", fit.ram_margin_kb}, {"flash_margin_kb", fit.flash_margin_kb}};
    out.push_back(std::move(j));
  }
  std::cout << nlohmann::json{{"arch", arch.name()}, {"profile", profile.name}, {"targets", out}, {"skipped", skipped}}
                   .dump(2)
            << "\n";
}

void print_tables(const Architecture& arch, const RuntimeProfile& profile, const Estimates& all,
                  const std::vector<std::string>& skipped) {
  std::printf("%s under %s: %lld params, %lld MACs\n", arch.name().c_str(), profile.name.c_str(),
              (long long)arch.total_params(), (long long)arch.total_macs());
  for (const auto& [t, r] : all) {
    std::printf("\n%s (%s, %g MHz, %g KiB SRAM, %g KiB flash); latency coefficients: %s\n", t.mcu.name.c_str(),
                t.mcu.core.c_str(), t.mcu.clock_mhz, t.mcu.sram_kb, t.mcu.flash_kb, t.latency.source.c_str());
    print_ops(r);
    print_totals(r, t, fit_of(r.totals, t.mcu));
  }
  if (all.size() > 1) print_summary(all);
  for (const auto& name : skipped)
    std::printf("skipped %s: profile %s has no latency coefficients for its core\n", name.c_str(), profile.name.c_str());
}

}  // namespace

int run_estimate_command(const EstimateOptions& o) {
  const Architecture arch = load_network_file(o.arch_path);
  const RuntimeProfile profile = resolve_runtime_profile(o.profile, "", "command line", "--profile");
  // A calibration is for one core family, so it goes with one board.
  if (!o.calibration.empty() && o.mcu == "all")
    throw UserError("--calibration: expected one --mcu NAME (a calibration holds one core family's coefficients)");
  Estimates all;
  std::vector<std::string> skipped;
  for (const McuSpec& mcu : selected_boards(o)) {
    if (o.mcu == "all" && !profile.latency_for(latency_family(mcu))) {
      skipped.push_back(mcu.name + " (" + mcu.core + ")");
      continue;
    }
    CostTarget t = target_for(mcu, profile, o);
    CostReport r = cost_report(arch, t);
    all.emplace_back(std::move(t), std::move(r));
  }
  if (o.json) print_json(arch, profile, all, skipped);
  else print_tables(arch, profile, all, skipped);
  return 0;
}

}  // namespace hwnas
