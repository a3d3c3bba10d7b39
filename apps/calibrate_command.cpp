// This file implements `nas-run calibrate` (see calibrate_command.hpp).
#include "apps/calibrate_command.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "estimators/calibration.hpp"
#include "util/atomic_file.hpp"
#include "util/errors.hpp"

namespace hwnas {

namespace {

McuSpec board(const std::string& name) {
  const McuDatabase db = McuDatabase::builtin();
  const McuSpec* m = db.find(name);
  if (!m) throw UserError("--mcu: expected a known board (" + db.names() + "), found \"" + name + "\"");
  return *m;
}

void print_coefficients(const CalibrationResult& r) {
  std::printf("%-12s %8s  %s\n", "group", "factor", "data");
  for (int g = 0; g < kLatencyGroupCount; ++g)
    std::printf("%-12s %8.3f  %s\n", latency_group_name(g), r.scale[size_t(g)],
                r.has_data[size_t(g)] ? "fitted" : "no data (the common factor)");
  std::printf("\n%-24s %14s %14s\n", "feature", "prior", "calibrated");
  const auto& names = latency_feature_names();
  for (int j = 0; j < kLatencyFeatureCount; ++j)
    std::printf("%-24s %14.6g %14.6g\n", names[size_t(j)], r.prior[size_t(j)], r.cycles[size_t(j)]);
}

void print_rows(const CalibrationResult& r) {
  std::printf("\n%-14s %-12s %14s %14s %8s %14s %8s\n", "row", "layer", "measured", "fitted", "err %", "leave-one-out",
              "err %");
  for (const auto& row : r.rows) {
    const double fit_err = 100 * (row.fitted_cycles - row.measured_cycles) / row.measured_cycles;
    const double loo_err = 100 * (row.loo_cycles - row.measured_cycles) / row.measured_cycles;
    std::printf("%-14s %-12s %14.0f %14.0f %+8.1f %14.0f %+8.1f\n", row.row_id.c_str(),
                row.layer.empty() ? "(network)" : row.layer.c_str(), row.measured_cycles, row.fitted_cycles, fit_err,
                row.loo_cycles, loo_err);
  }
}

void print_summary(const char* what, const ErrorSummary& s, size_t rows) {
  std::printf("%-14s median APE %6.1f %%, p90 APE %6.1f %%, within +/-10 %%: %5.1f %% of %zu rows\n", what,
              s.median_ape, s.p90_ape, 100 * s.within_10, rows);
}

}  // namespace

CLI::App* add_calibrate_subcommand(CLI::App& app, CalibrateOptions& o) {
  auto* sub = app.add_subcommand("calibrate", "fit a runtime profile's latency coefficients to measured cycles");
  sub->add_option("measurements", o.measurements, "measurements CSV (docs/calibration.md)")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--mcu", o.mcu, "board of configs/mcus.json; its core family selects rows and coefficients")
      ->required();
  sub->add_option("--profile", o.profile, "runtime profile: tflm-cmsis-nn, hwnas-c or a profile .json")->required();
  sub->add_option("--out", o.out, "calibration file to write (default calibration-<profile>-<core>.json)");
  sub->add_option("--prior-weight", o.prior_weight, "pull towards the profile's coefficients (0: none)")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  sub->add_flag("--json", o.json, "print the calibration JSON instead of tables");
  sub->fallthrough();
  return sub;
}

int run_calibrate_command(const CalibrateOptions& o) {
  // CLI11's range check lets NaN through.
  if (!std::isfinite(o.prior_weight))
    throw UserError("--prior-weight: expected a number in [0, 1000000], found " + std::to_string(o.prior_weight));
  const McuSpec mcu = board(o.mcu);
  const RuntimeProfile profile = resolve_runtime_profile(o.profile, "", "command line", "--profile");
  const LatencyCoefficients* prior = profile.latency_for(latency_family(mcu));
  if (!prior)
    throw UserError("runtime profile " + profile.name + " has no latency coefficients for " + latency_family(mcu) +
                    " to start the fit from");
  const MeasurementSet set = read_measurements_csv(o.measurements, mcu, profile);
  if (set.samples.empty())
    throw UserError(o.measurements + ": no rows for core " + mcu.core + " and runtime " + profile.name + " (" +
                    std::to_string(set.skipped_core) + " for other cores, " + std::to_string(set.skipped_runtime) +
                    " for other runtimes, " + std::to_string(set.skipped_unused) + " with use = 0)");
  CalibrationResult result = calibrate_latency(set.samples, *prior, o.prior_weight);
  result.rows_skipped = set.skipped();
  const std::string source = fmt::format("nas-run calibrate {} ({} rows, prior weight {:g}, flash wait states {})",
                                         o.measurements, set.samples.size(), o.prior_weight, mcu.flash_wait_states);
  const nlohmann::json doc = calibration_json(result, profile, mcu, source);
  const std::string out = o.out.empty() ? default_calibration_file(profile, mcu) : o.out;
  write_file_atomically(out, doc.dump(2) + "\n");
  if (o.json) {
    std::cout << doc.dump(2) << "\n";
  } else {
    std::printf("%s on %s (board %s, %g MHz, %d flash wait states): %zu rows used, %d skipped (%d other core, "
                "%d other runtime, %d use=0); prior weight %g\n\n",
                profile.name.c_str(), mcu.core.c_str(), mcu.name.c_str(), mcu.clock_mhz, mcu.flash_wait_states,
                set.samples.size(), set.skipped(), set.skipped_core, set.skipped_runtime, set.skipped_unused,
                o.prior_weight);
    print_coefficients(result);
    print_rows(result);
    std::printf("\n");
    print_summary("uncalibrated:", result.uncalibrated, result.rows.size());
    print_summary("in sample:", result.in_sample, result.rows.size());
    print_summary("leave-one-out:", result.leave_one_out, result.rows.size());
    std::printf("90%% interval: x%.3f to x%.3f of the estimate (%s)\n", result.interval.lower, result.interval.upper,
                result.interval.basis.c_str());
    std::fflush(stdout);
  }
  spdlog::info("wrote {}", out);
  return 0;
}

}  // namespace hwnas
