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

// Columns that carry data, and the scale that turns y_j (the NNLS variable) into x_j.
struct FitColumns {
  std::vector<int> features;   // fitted features, in enum order
  std::vector<double> scale;   // x_j = scale * y_j
  std::vector<double> target;  // prior target of y_j: 1 (x_j = prior_j) or 0 (prior_j = 0)
};

// rms over `rows` of f_j / c, the feature per measured cycle.
double relative_rms(const std::vector<CalibrationSample>& samples, const std::vector<size_t>& rows, int j) {
  double sum_sq = 0;
  for (size_t i : rows) {
    const double v = samples[i].features[size_t(j)] / samples[i].cycles;
    sum_sq += v * v;
  }
  return rows.empty() ? 0 : std::sqrt(sum_sq / double(rows.size()));
}

// A feature with prior p_j > 0 is fitted as y_j = x_j / p_j with target 1. One with p_j = 0
// is scaled so that y_j = 1 gives it the typical share of a row's cycles that a feature with
// a prior has at its prior value, and is pulled towards 0 in those units: no feature is a
// much cheaper knob than the others.
FitColumns choose_columns(const std::vector<CalibrationSample>& samples, const std::vector<size_t>& rows,
                          const LatencyVector& prior) {
  FitColumns c;
  double share_sum = 0;
  int share_count = 0;
  LatencyVector rms{};
  for (int j = 0; j < kLatencyFeatureCount; ++j) {
    rms[size_t(j)] = relative_rms(samples, rows, j);
    if (rms[size_t(j)] > 0 && prior[size_t(j)] > 0) share_sum += rms[size_t(j)] * prior[size_t(j)], ++share_count;
  }
  const double unit_share = share_count > 0 ? share_sum / share_count : 1.0;
  for (int j = 0; j < kLatencyFeatureCount; ++j) {
    if (rms[size_t(j)] == 0) continue;
    c.features.push_back(j);
    const bool has_prior = prior[size_t(j)] > 0;
    c.scale.push_back(has_prior ? prior[size_t(j)] : unit_share / rms[size_t(j)]);
    c.target.push_back(has_prior ? 1 : 0);
  }
  return c;
}

// The prior's shape at the data's level: prior x s, with s the one factor that best fits the
// rows in relative terms (minimises sum (s p_i / y_i - 1)^2, p_i the prior's prediction).
// First-principles coefficients get the ratios between features roughly right but can be
// off by a common factor (a slower memory system, compiler, clock set-up); with thin data a
// common factor is what the measurements can pin down reliably.
LatencyVector scaled_prior(const std::vector<CalibrationSample>& samples, const std::vector<size_t>& rows,
                           const LatencyVector& prior) {
  double num = 0, den = 0;
  for (size_t i : rows) {
    const double ratio = dot(samples[i].features, prior) / samples[i].cycles;
    num += ratio;
    den += ratio * ratio;
  }
  LatencyVector scaled = prior;
  if (den > 0)
    for (double& v : scaled) v *= num / den;
  return scaled;
}

bool is_mac_feature(int j) {
  return j == kConvMacs || j == kPointwiseMacs || j == kDepthwiseMacs || j == kDenseMacs;
}

LatencyVector at_least_floor(LatencyVector x, double min_cycles_per_mac) {
  for (int j = 0; j < kLatencyFeatureCount; ++j)
    if (is_mac_feature(j)) x[size_t(j)] = std::max(x[size_t(j)], min_cycles_per_mac);
  return x;
}

LatencyVector fit_rows(const std::vector<CalibrationSample>& samples, const std::vector<size_t>& rows,
                       const LatencyVector& unscaled_prior, double prior_weight, double min_cycles_per_mac) {
  const LatencyVector prior = scaled_prior(samples, rows, unscaled_prior);
  LatencyVector x = prior;
  const FitColumns c = choose_columns(samples, rows, prior);
  if (c.features.empty()) return at_least_floor(x, min_cycles_per_mac);
  const Eigen::Index n = Eigen::Index(c.features.size());
  const Eigen::Index m = Eigen::Index(rows.size()) + (prior_weight > 0 ? n : 0);
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(m, n);  // relative features, scaled (m x n)
  Eigen::VectorXd b = Eigen::VectorXd::Zero(m);     // 1 per measurement, prior targets (m)
  for (size_t r = 0; r < rows.size(); ++r) {
    const CalibrationSample& s = samples[rows[r]];
    for (Eigen::Index k = 0; k < n; ++k)
      a(Eigen::Index(r), k) = s.features[size_t(c.features[size_t(k)])] / s.cycles * c.scale[size_t(k)];
    b(Eigen::Index(r)) = 1;
  }
  if (prior_weight > 0) {
    const double w = std::sqrt(prior_weight);
    for (Eigen::Index k = 0; k < n; ++k) {
      a(Eigen::Index(rows.size()) + k, k) = w;
      b(Eigen::Index(rows.size()) + k) = w * c.target[size_t(k)];
    }
  }
  // Lower bounds by substitution: y = floor + z with z >= 0 is an NNLS problem in z.
  Eigen::VectorXd floor = Eigen::VectorXd::Zero(n);
  for (Eigen::Index k = 0; k < n; ++k)
    if (is_mac_feature(c.features[size_t(k)])) floor(k) = min_cycles_per_mac / c.scale[size_t(k)];
  const NnlsResult solved = nnls(a, b - a * floor);
  for (Eigen::Index k = 0; k < n; ++k)
    x[size_t(c.features[size_t(k)])] = (floor(k) + solved.x(k)) * c.scale[size_t(k)];
  // Coefficients without data keep the scaled prior, which may sit below the core's limit.
  return at_least_floor(x, min_cycles_per_mac);
}

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

LatencyVector fit_latency_coefficients(const std::vector<CalibrationSample>& samples, const LatencyVector& prior,
                                       double prior_weight, double min_cycles_per_mac) {
  std::vector<size_t> rows(samples.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  return fit_rows(samples, rows, prior, prior_weight, min_cycles_per_mac);
}

CalibrationResult calibrate_latency(const std::vector<CalibrationSample>& samples, const LatencyVector& prior,
                                    double prior_weight, double min_cycles_per_mac) {
  assert(!samples.empty() && prior_weight >= 0);
  CalibrationResult result;
  result.prior = prior;
  result.prior_weight = prior_weight;
  result.cycles = fit_latency_coefficients(samples, prior, prior_weight, min_cycles_per_mac);
  for (const auto& s : samples)
    for (int j = 0; j < kLatencyFeatureCount; ++j) result.has_data[size_t(j)] |= s.features[size_t(j)] != 0;
  std::vector<double> measured, fitted, loo, uncalibrated;
  for (size_t held = 0; held < samples.size(); ++held) {
    std::vector<size_t> others;
    for (size_t i = 0; i < samples.size(); ++i)
      if (i != held) others.push_back(i);
    const CalibrationSample& s = samples[held];
    const LatencyVector without = fit_rows(samples, others, prior, prior_weight, min_cycles_per_mac);
    result.rows.push_back({s.row_id, s.layer, s.cycles, dot(s.features, result.cycles), dot(s.features, without)});
    measured.push_back(s.cycles);
    fitted.push_back(result.rows.back().fitted_cycles);
    loo.push_back(result.rows.back().loo_cycles);
    uncalibrated.push_back(dot(s.features, prior));
  }
  result.uncalibrated = summarize_errors(measured, uncalibrated);
  result.in_sample = summarize_errors(measured, fitted);
  result.leave_one_out = summarize_errors(measured, loo);
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
  nlohmann::json fitted = nlohmann::json::array();
  for (int j = 0; j < kLatencyFeatureCount; ++j)
    if (result.has_data[size_t(j)]) fitted.push_back(names[size_t(j)]);
  return {{"profile", profile.name},
          {"core", mcu.core},
          {"mcu", mcu.name},
          {"source", source},
          {"cycles", cycles},
          {"fit", {{"rows_used", result.rows.size()},
                   {"rows_skipped", result.rows_skipped},
                   {"prior_weight", result.prior_weight},
                   {"features_with_data", fitted},
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
  c.cycles = latency_cycles_from_json(r.child("cycles"));
  if (r.take("fit") && !r.raw("fit").is_object()) r.fail("fit", "an object (the fit report)");
  r.finish();
  return c;
}

LatencyCoefficients read_calibration_file(const std::string& path, const RuntimeProfile& profile, const McuSpec& mcu) {
  return calibration_from_json(read_json_file(path), path, profile, mcu);
}

}  // namespace hwnas
