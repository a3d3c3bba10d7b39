// This file implements the latency fit, its error estimates and the calibration file (see
// calibration.hpp). Reading the measurements CSV is in calibration_csv.cpp.
#include "estimators/calibration.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "estimators/nnls.hpp"
#include "util/json_reader.hpp"

namespace hwnas {

namespace {

double percentile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double pos = q * double(values.size() - 1);
  const size_t lo = size_t(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - double(lo)) * (values[hi] - values[lo]);
}

nlohmann::json summary_json(const ErrorSummary& s) {
  return {{"median_ape", s.median_ape}, {"p90_ape", s.p90_ape}, {"within_10", s.within_10}};
}

}  // namespace

ErrorSummary summarize_errors(const std::vector<double>& measured, const std::vector<double>& predicted) {
  assert(measured.size() == predicted.size() && !measured.empty());
  std::vector<double> ape;
  int within = 0;
  for (size_t i = 0; i < measured.size(); ++i) {
    ape.push_back(100 * std::abs(predicted[i] - measured[i]) / measured[i]);
    within += ape.back() <= 10 ? 1 : 0;
  }
  return {percentile(ape, 0.5), percentile(ape, 0.9), double(within) / double(ape.size())};
}

CalibrationResult calibrate_latency(const std::vector<CalibrationSample>& samples, const LatencyCoefficients& prior,
                                    double prior_weight) {
  assert(!samples.empty() && prior_weight >= 0);
  CalibrationResult result;
  result.prior = prior.cycles;
  result.prior_weight = prior_weight;
  const LatencyFit full = fit_latency_groups(samples, prior.cycles, prior_weight, prior.min_cycles_per_mac);
  result.cycles = full.cycles;
  result.scale = full.scale;
  result.has_data = full.has_data;
  std::vector<double> measured, fitted, loo, uncalibrated;
  for (size_t held = 0; held < samples.size(); ++held) {
    std::vector<size_t> others;
    for (size_t i = 0; i < samples.size(); ++i)
      if (i != held) others.push_back(i);
    const CalibrationSample& s = samples[held];
    const LatencyFit without = fit_latency_groups(samples, others, prior.cycles, prior_weight, prior.min_cycles_per_mac);
    result.rows.push_back({s.row_id, s.layer, s.cycles, dot(s.features, result.cycles), dot(s.features, without.cycles)});
    measured.push_back(s.cycles);
    fitted.push_back(result.rows.back().fitted_cycles);
    loo.push_back(result.rows.back().loo_cycles);
    uncalibrated.push_back(dot(s.features, prior.cycles));
  }
  result.uncalibrated = summarize_errors(measured, uncalibrated);
  result.in_sample = summarize_errors(measured, fitted);
  result.leave_one_out = summarize_errors(measured, loo);
  const double prior_sigma = prior.interval.known() ? prior.interval.sigma() : 0.5;
  result.interval = interval_from_errors(measured, loo, prior_sigma, kIntervalPriorRows);
  result.interval.basis = "leave-one-out errors of " + std::to_string(samples.size()) +
                          " calibration rows, shrunk towards the profile's interval";
  return result;
}

std::string default_calibration_file(const RuntimeProfile& profile, const McuSpec& mcu) {
  return "calibration-" + profile.name + "-" + mcu.core + ".json";
}

nlohmann::json calibration_json(const CalibrationResult& result, const RuntimeProfile& profile, const McuSpec& mcu,
                                const std::string& source) {
  nlohmann::json cycles = nlohmann::json::object();
  const auto& names = latency_feature_names();
  for (int j = 0; j < kLatencyFeatureCount; ++j) cycles[names[size_t(j)]] = result.cycles[size_t(j)];
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : result.rows)
    rows.push_back({{"row_id", r.row_id}, {"layer", r.layer}, {"measured_cycles", r.measured_cycles},
                    {"fitted_cycles", r.fitted_cycles}, {"loo_cycles", r.loo_cycles}});
  nlohmann::json groups = nlohmann::json::object();
  for (int g = 0; g < kLatencyGroupCount; ++g)
    groups[latency_group_name(g)] = {{"factor", result.scale[size_t(g)]}, {"has_data", bool(result.has_data[size_t(g)])}};
  return {{"profile", profile.name},
          {"core", mcu.core},
          {"mcu", mcu.name},
          {"source", source},
          {"cycles", cycles},
          {"interval", interval_json(result.interval)},
          {"fit", {{"rows_used", result.rows.size()},
                   {"rows_skipped", result.rows_skipped},
                   {"prior_weight", result.prior_weight},
                   {"groups", groups},
                   {"uncalibrated", summary_json(result.uncalibrated)},
                   {"in_sample", summary_json(result.in_sample)},
                   {"leave_one_out", summary_json(result.leave_one_out)},
                   {"rows", rows}}}};
}

LatencyCoefficients calibration_from_json(const nlohmann::json& value, const std::string& file,
                                          const RuntimeProfile& profile, const McuSpec& mcu) {
  JsonReader r(value, file);
  const std::string for_profile = r.get_string("profile");
  if (for_profile != profile.name)
    throw ConfigError(file, "/profile", "the runtime profile it is used with (\"" + profile.name + "\")",
                      describe_json(for_profile) + " (a calibration holds for one runtime profile)");
  const std::string core = r.get_string("core");
  if (core != mcu.core)
    throw ConfigError(file, "/core", "the core of board " + mcu.name + " (\"" + mcu.core + "\")",
                      describe_json(core) + " (a calibration holds for one core family)");
  r.get_string("mcu");  // the board it was made with; any board of the same core may use it
  LatencyCoefficients c;
  c.source = "calibration " + file + ": " + r.get_string("source");
  if (const LatencyCoefficients* own = profile.latency_for(latency_family(mcu))) c.min_cycles_per_mac = own->min_cycles_per_mac;
  c.cycles = latency_cycles_from_json(r.child("cycles"));
  if (r.has("interval")) c.interval = latency_interval_from_json(r.child("interval"));
  if (r.take("fit") && !r.raw("fit").is_object()) r.fail("fit", "an object (the fit report)");
  r.finish();
  return c;
}

LatencyCoefficients read_calibration_file(const std::string& path, const RuntimeProfile& profile, const McuSpec& mcu) {
  return calibration_from_json(read_json_file(path), path, profile, mcu);
}

}  // namespace hwnas
