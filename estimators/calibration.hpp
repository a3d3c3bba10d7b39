// This file implements latency calibration: fitting the cycle coefficients of the latency
// model (cycles = features . coefficients, see latency_features.hpp) of one runtime profile
// and one core family to measured cycles, and the calibration file that carries the result.
//
// Measurements come from a CSV (format in docs/calibration.md; read by calibration_csv.cpp):
// each row names an arch.json and either the whole network or one IR layer (then the row
// measures the deploy op that layer is fused into) with its cycles or its latency. The fit
// scales the profile's coefficients group by group (latency_fit.hpp), pulled towards one
// common factor with weight `prior_weight`.
// Leave-one-out refits without each row in turn and predicts it: the honest error estimate,
// and the basis of the calibrated prediction interval.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "estimators/latency_features.hpp"
#include "estimators/latency_fit.hpp"
#include "estimators/mcu_database.hpp"
#include "estimators/runtime_profile.hpp"

namespace hwnas {

class JsonReader;

/// The rows of a measurements file for one board and profile.
struct MeasurementSet {
  std::string file;
  std::vector<CalibrationSample> samples;
  int skipped_unused = 0;   ///< use = 0
  int skipped_core = 0;     ///< another core family
  int skipped_runtime = 0;  ///< another runtime profile
  int skipped() const { return skipped_unused + skipped_core + skipped_runtime; }
};

/// Reads a measurements CSV and computes each used row's features with the profile's reshape
/// rule and the flash wait states of the board the row was measured on (its `mcu` column)
/// where the built-in database knows that board, else those of `mcu`; the same board's clock
/// converts `latency_ms` when the row has no `clock_mhz`. Rows for another core (their `core`
/// column, else their board's core) or another runtime, and rows with use = 0, are counted
/// and skipped. Paths in the `arch` column are relative to the CSV's folder.
/// @throws UserError naming the file, the line and the column of the first bad value.
MeasurementSet read_measurements_csv(const std::string& path, const McuSpec& mcu, const RuntimeProfile& profile);

/// Absolute percentage errors summarised.
struct ErrorSummary {
  double median_ape = 0;  ///< percent
  double p90_ape = 0;     ///< percent (linear interpolation between order statistics)
  double within_10 = 0;   ///< share of rows (0..1) with an error within +/-10 %
};

ErrorSummary summarize_errors(const std::vector<double>& measured, const std::vector<double>& predicted);

struct CalibrationRowResult {
  std::string row_id;
  std::string layer;
  double measured_cycles = 0;
  double fitted_cycles = 0;  ///< the full fit's prediction (in sample)
  double loo_cycles = 0;     ///< predicted by the fit without this row
};

struct CalibrationResult {
  LatencyVector prior{};
  LatencyVector cycles{};  ///< the fitted coefficients
  GroupScales scale{};     ///< each group's factor against the prior
  std::array<bool, kLatencyGroupCount> has_data{};  ///< some row has cycles in the group
  LatencyInterval interval;  ///< from the leave-one-out errors, shrunk towards the prior's interval
  double prior_weight = 0;
  int rows_skipped = 0;  ///< rows of the file for another core or runtime, or with use = 0 (set by the caller)
  ErrorSummary uncalibrated;  ///< the prior coefficients on the same rows
  ErrorSummary in_sample;
  ErrorSummary leave_one_out;
  std::vector<CalibrationRowResult> rows;
};

/// The full fit of `prior`'s coefficients to `samples` (MAC coefficients stay at or above
/// its min_cycles_per_mac), its in-sample and leave-one-out errors, and the interval: the
/// leave-one-out errors shrunk towards the prior's own interval as if it were worth
/// kIntervalPriorRows rows. `samples` must not be empty; `prior_weight` >= 0.
/// NOTE: pure function, safe to call concurrently.
CalibrationResult calibrate_latency(const std::vector<CalibrationSample>& samples, const LatencyCoefficients& prior,
                                    double prior_weight);
inline constexpr double kIntervalPriorRows = 3;

/// Where the calibration of a profile for a board goes by default.
std::string default_calibration_file(const RuntimeProfile& profile, const McuSpec& mcu);

/// The calibration file (schema in docs/calibration.md). `source` says how it was made.
nlohmann::json calibration_json(const CalibrationResult& result, const RuntimeProfile& profile, const McuSpec& mcu,
                                const std::string& source);

/// Reads a calibration file strictly for use with `profile` on `mcu`: its "profile" must be
/// the profile's name and its "core" the board's core family.
/// @throws UserError / ConfigError naming the file and the JSON pointer.
LatencyCoefficients read_calibration_file(const std::string& path, const RuntimeProfile& profile, const McuSpec& mcu);

/// The same from parsed JSON (`file` names it in errors).
LatencyCoefficients calibration_from_json(const nlohmann::json& value, const std::string& file,
                                          const RuntimeProfile& profile, const McuSpec& mcu);

/// The twelve coefficients of a "cycles" object, strictly (defined in runtime_profile.cpp).
LatencyVector latency_cycles_from_json(JsonReader r);

}  // namespace hwnas
