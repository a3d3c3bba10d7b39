// This file implements the grouped latency fit (see latency_fit.hpp).
#include "estimators/latency_fit.hpp"

#include <algorithm>
#include <cmath>

#include <Eigen/Dense>

#include "estimators/nnls.hpp"

namespace hwnas {

namespace {

constexpr double kMaxGroupFactor = 4.0;  // a group may run 4x faster or slower than the prior's ratio says
constexpr double kZ90 = 1.645;           // a two-sided 90% interval of a normal distribution

// Row i's prior cycles per group.
std::array<double, kLatencyGroupCount> group_cycles(const CalibrationSample& s, const LatencyVector& prior) {
  std::array<double, kLatencyGroupCount> g{};
  for (int j = 0; j < kLatencyFeatureCount; ++j) g[size_t(latency_group_of(j))] += s.features[size_t(j)] * prior[size_t(j)];
  return g;
}

// s0: minimises sum_i (s0 p_i / c_i - 1)^2, p_i the prior's prediction of row i.
double common_factor(const std::vector<CalibrationSample>& samples, const std::vector<size_t>& rows,
                     const LatencyVector& prior) {
  double num = 0, den = 0;
  for (size_t i : rows) {
    const double ratio = dot(samples[i].features, prior) / samples[i].cycles;
    num += ratio;
    den += ratio * ratio;
  }
  return den > 0 ? num / den : 1.0;
}

// The lowest factor of each group that keeps its MAC coefficients at the core's limit.
GroupScales mac_floors(const LatencyVector& prior, double min_cycles_per_mac) {
  GroupScales floor{};
  for (int j = 0; j < kLatencyFeatureCount; ++j)
    if (is_mac_feature(j) && prior[size_t(j)] > 0 && min_cycles_per_mac > 0) {
      double& f = floor[size_t(latency_group_of(j))];
      f = std::max(f, min_cycles_per_mac / prior[size_t(j)]);
    }
  return floor;
}

}  // namespace

const char* latency_group_name(int group) {
  static const char* names[kLatencyGroupCount] = {"gemm", "depthwise", "per_element", "per_op", "memory"};
  return names[group];
}

int latency_group_of(int feature) {
  switch (feature) {
    case kConvMacs:
    case kConvPatchBytes:
    case kPointwiseMacs:
    case kDenseMacs: return kGemmGroup;
    case kDepthwise3x3Macs:
    case kDepthwiseMacs:
    case kDepthwiseGenericMacs:
    case kDepthwisePixels: return kDepthwiseGroup;
    case kOpCalls: return kPerOpGroup;
    case kFlashWaitBytes:
    case kSramBytes: return kMemoryGroup;
    default: return kPerElementGroup;
  }
}

LatencyVector scaled_by_group(const LatencyVector& prior, const GroupScales& scale) {
  LatencyVector x = prior;
  for (int j = 0; j < kLatencyFeatureCount; ++j) x[size_t(j)] *= scale[size_t(latency_group_of(j))];
  return x;
}

LatencyFit fit_latency_groups(const std::vector<CalibrationSample>& samples, const std::vector<size_t>& rows,
                              const LatencyVector& prior, double prior_weight, double min_cycles_per_mac) {
  LatencyFit fit;
  fit.scale.fill(1.0);
  fit.common = rows.empty() ? 1.0 : common_factor(samples, rows, prior);
  const GroupScales floors = mac_floors(prior, min_cycles_per_mac);
  std::vector<int> groups;  // groups with data
  for (size_t i : rows) {
    const auto g = group_cycles(samples[i], prior);
    for (int k = 0; k < kLatencyGroupCount; ++k) fit.has_data[size_t(k)] |= g[size_t(k)] > 0;
  }
  for (int k = 0; k < kLatencyGroupCount; ++k) {
    if (fit.has_data[size_t(k)]) groups.push_back(k);
    fit.scale[size_t(k)] = std::max(fit.common, floors[size_t(k)]);
  }
  if (!groups.empty()) {
    // Variables z_g = s_g / s0, bounded below by lo_g: z = lo + y with y >= 0 (NNLS).
    const Eigen::Index n = Eigen::Index(groups.size());
    const Eigen::Index m = Eigen::Index(rows.size()) + (prior_weight > 0 ? n : 0);
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(m, n);  // (m x n)
    Eigen::VectorXd b = Eigen::VectorXd::Zero(m);     // (m)
    Eigen::VectorXd lo(n);
    for (size_t r = 0; r < rows.size(); ++r) {
      const CalibrationSample& s = samples[rows[r]];
      const auto g = group_cycles(s, prior);
      for (Eigen::Index k = 0; k < n; ++k) a(Eigen::Index(r), k) = g[size_t(groups[size_t(k)])] * fit.common / s.cycles;
      b(Eigen::Index(r)) = 1;
    }
    const double w = std::sqrt(prior_weight);
    for (Eigen::Index k = 0; k < n; ++k) {
      lo(k) = std::max(1.0 / kMaxGroupFactor, floors[size_t(groups[size_t(k)])] / fit.common);
      if (prior_weight > 0) a(Eigen::Index(rows.size()) + k, k) = w, b(Eigen::Index(rows.size()) + k) = w;
    }
    const NnlsResult solved = nnls(a, b - a * lo);
    for (Eigen::Index k = 0; k < n; ++k)
      fit.scale[size_t(groups[size_t(k)])] = fit.common * std::min(std::max(kMaxGroupFactor, lo(k)), lo(k) + solved.x(k));
  }
  fit.cycles = scaled_by_group(prior, fit.scale);
  return fit;
}

double LatencyInterval::sigma() const { return std::log(upper) / kZ90; }

LatencyInterval interval_from_errors(const std::vector<double>& measured, const std::vector<double>& predicted,
                                     double prior_sigma, double prior_rows) {
  double sum_sq = prior_rows * prior_sigma * prior_sigma;
  for (size_t i = 0; i < measured.size(); ++i) {
    const double r = std::log(measured[i] / predicted[i]);
    sum_sq += r * r;
  }
  const double n = double(measured.size()) + prior_rows;
  const double sigma = n > 0 ? std::sqrt(sum_sq / n) : prior_sigma;
  return {std::exp(-kZ90 * sigma), std::exp(kZ90 * sigma), ""};
}

LatencyFit fit_latency_groups(const std::vector<CalibrationSample>& samples, const LatencyVector& prior,
                              double prior_weight, double min_cycles_per_mac) {
  std::vector<size_t> rows(samples.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  return fit_latency_groups(samples, rows, prior, prior_weight, min_cycles_per_mac);
}

}  // namespace hwnas
