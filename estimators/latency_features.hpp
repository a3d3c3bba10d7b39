// This file implements the latency model's features: per deployed op, the counts whose
// weighted sum (the weights are the runtime profile's cycle coefficients for the core
// family) gives its cycles. The features separate what costs differently on an MCU: MACs
// by kernel variant (im2col convolution, pointwise GEMM, depthwise, dense), per-output
// requantisation, im2col copies, pooling reads, element-wise work, copies, a fixed cost per
// op call, and a memory term for weights fetched from flash with wait states and for
// activation bytes moved through SRAM. Calibration fits the coefficients to measurements by
// non-negative least squares over exactly these features.
#pragma once

#include <array>
#include <string>

#include "space/deploy_graph.hpp"

namespace hwnas {

enum LatencyFeature : int {
  kConvMacs,
  kPointwiseMacs,
  kDepthwiseMacs,
  kDenseMacs,
  kRequantOutputs,  ///< output elements of MAC ops (requantise, clamp, store)
  kIm2colBytes,     ///< patch elements copied for im2col convolutions
  kPoolReads,       ///< input elements read by windowed and global pooling
  kElementwise,     ///< elements of add, softmax, standalone activation / scale
  kCopyBytes,       ///< bytes copied by concat and by reshape where not aliased
  kOpCalls,         ///< one per op: interpreter dispatch, kernel set-up
  kFlashWaitBytes,  ///< weight bytes x the board's flash wait states
  kSramBytes,       ///< activation bytes read and written
  kLatencyFeatureCount
};

using LatencyVector = std::array<double, kLatencyFeatureCount>;

/// JSON names of the features, in enum order ("conv_macs", ...).
const std::array<const char*, kLatencyFeatureCount>& latency_feature_names();

/// Features of one op. `flash_wait_states` comes from the board; `reshape_copies` says whether
/// the runtime copies on reshape (TF Lite Micro does; an aliasing runtime does not).
LatencyVector op_latency_features(const DeployOp& op, int flash_wait_states, bool reshape_copies);

/// Sum of op features over a whole network.
LatencyVector network_latency_features(const DeployGraph& graph, int flash_wait_states, bool reshape_copies);

inline double dot(const LatencyVector& a, const LatencyVector& b) {
  double s = 0;
  for (int i = 0; i < kLatencyFeatureCount; ++i) s += a[size_t(i)] * b[size_t(i)];
  return s;
}

}  // namespace hwnas
