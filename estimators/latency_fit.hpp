// This file implements the latency fit: scaling a prior coefficient vector (cycles per
// feature, see latency_features.hpp) to measured cycles, one factor per *group* of features
// that the same part of the machine pays for:
//
//   gemm        conv, pointwise and dense MACs, im2col patch copies (the GEMM kernels)
//   depthwise   the three depthwise kernels' MACs and their per-pixel set-up
//   per_element requantisation, pooling, add, softmax, element-wise work, copies
//   per_op      the interpreter's fixed cost per op call
//   memory      flash wait states on weights, activation bytes
//
// A prior gets the ratios within a group from the kernels' inner loops (what one MAC of the
// 3x3 depthwise path costs against one of the generic path); measurements say how fast the
// core, compiler and memory really run each group. Seventeen free coefficients cannot be
// pinned by a handful of whole-network rows; five group factors can, and with two rows the
// fit reduces to one common factor, which is what two rows can tell.
//
// The fit minimises the relative error, so a 2 k-cycle softmax counts as much as a
// 6 M-cycle convolution:
//
//   min_s  sum_i ((sum_g s_g G_ig - c_i) / c_i)^2  +  lambda sum_g (s_g / s0 - 1)^2
//
// where G_ig is row i's prior cycles in group g, c_i its measured cycles and s0 the one
// common factor that best fits the rows (so an unfitted group moves with the others). Each
// factor stays within [s0/4, 4 s0], and MAC coefficients at or above the core's limit
// (min_cycles_per_mac). Solved by non-negative least squares (nnls.hpp).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "estimators/latency_features.hpp"

namespace hwnas {

enum LatencyGroup : int { kGemmGroup, kDepthwiseGroup, kPerElementGroup, kPerOpGroup, kMemoryGroup, kLatencyGroupCount };

using GroupScales = std::array<double, kLatencyGroupCount>;

/// "gemm", "depthwise", ...
const char* latency_group_name(int group);
/// The group a feature's coefficient is scaled with.
int latency_group_of(int feature);

/// One usable measurement: the features of what was measured and its cycles.
struct CalibrationSample {
  std::string row_id;   ///< the CSV's row_id, else "line N"
  std::string network;  ///< what leave-one-network-out leaves out together (the CSV's network, else its arch)
  std::string mcu;      ///< the board measured (empty: not stated)
  std::string layer;    ///< empty: the whole network; else the deploy op's label
  LatencyVector features{};
  double cycles = 0;    ///< measured, > 0
};

struct LatencyFit {
  LatencyVector cycles{};  ///< the prior's coefficients times their group's factor
  GroupScales scale{};     ///< the factor of each group (1: the prior unchanged)
  double common = 1;       ///< s0, the one factor that fits the rows best
  std::array<bool, kLatencyGroupCount> has_data{};
};

/// Fits the group factors to `samples[rows]` (see the file comment); `prior_weight` >= 0.
/// With no rows the prior comes back unchanged.
/// NOTE: pure function, safe to call concurrently.
LatencyFit fit_latency_groups(const std::vector<CalibrationSample>& samples, const std::vector<size_t>& rows,
                              const LatencyVector& prior, double prior_weight, double min_cycles_per_mac);

/// The same over all samples.
LatencyFit fit_latency_groups(const std::vector<CalibrationSample>& samples, const LatencyVector& prior,
                              double prior_weight, double min_cycles_per_mac);

/// A prediction interval as multipliers of the point estimate: the truth lies within
/// [lower x estimate, upper x estimate] for about 90% of networks.
struct LatencyInterval {
  double lower = 1, upper = 1;  ///< 1, 1: unknown
  std::string basis;            ///< how it was derived
  bool known() const { return upper > lower; }
  /// The log-space sigma behind `upper` (see interval_from_errors).
  double sigma() const;
};

/// The interval of leave-out predictions: +/- 1.645 sigma in log space, where sigma is the
/// rms of ln(measured / predicted) shrunk towards `prior_sigma` as if `prior_rows` more rows
/// had that error (so that three lucky rows do not give a narrow interval).
LatencyInterval interval_from_errors(const std::vector<double>& measured, const std::vector<double>& predicted,
                                     double prior_sigma, double prior_rows);

/// Coefficients `prior` scaled group by group.
LatencyVector scaled_by_group(const LatencyVector& prior, const GroupScales& scale);

}  // namespace hwnas
