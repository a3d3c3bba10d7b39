// This file implements the latency model's features: per deployed op, the counts whose
// weighted sum (the weights are the runtime profile's cycle coefficients for the core
// family) gives its cycles. The features follow the kernel the runtime actually runs for the
// op, the way CMSIS-NN (and ESP-NN) dispatch it:
//  - convolutions: a kxk convolution is im2col (each output pixel's kh*kw*cin patch copied,
//    widened to int16 on DSP cores) plus a GEMM; a 1x1 convolution is a GEMM straight on the
//    input (a strided one first gathers its pixels, priced as patch elements);
//  - depthwise: three kernels that differ several-fold per MAC: the 3x3 fast path (channel
//    multiplier 1, padding <= 1), the optimised kernel for other sizes (it copies each output
//    pixel's kh*kw*C patch before the MACs), and the generic scalar loops for a channel
//    multiplier > 1 (e.g. TF Lite's form of a convolution over one input channel); each
//    depthwise output pixel also pays a fixed set-up (pointers, padding bounds) that matters
//    when channels are few;
//  - per output element of a MAC op: requantisation (a 32x32->64 multiply, rounding shift,
//    offset, clamp and store);
//  - fully connected (weights streamed once, no reuse), pooling reads, add (each element
//    requantised from two inputs), softmax (fixed-point exp per element), other element-wise
//    work, copies (concat, reshape where the runtime copies);
//  - one fixed cost per op call (interpreter dispatch, kernel set-up);
//  - memory: weight bytes x the board's flash wait states, and activation bytes moved.
// Every feature is a count with a unit (MACs, bytes, elements, pixels, calls), so every
// coefficient is a physical quantity (cycles per MAC, per byte, per call) that can be
// bounded by what the core can do. Calibration fits the coefficients in groups (see
// latency_fit.hpp).
#pragma once

#include <array>
#include <string>

#include "space/deploy_graph.hpp"

namespace hwnas {

enum LatencyFeature : int {
  kConvMacs,              ///< im2col GEMM MACs of kxk convolutions
  kConvPatchBytes,        ///< im2col patch elements copied (kxk convolutions, strided 1x1)
  kPointwiseMacs,         ///< 1x1 convolution GEMM MACs
  kDepthwise3x3Macs,      ///< depthwise 3x3, channel multiplier 1: the fast path
  kDepthwiseMacs,         ///< depthwise of other sizes, channel multiplier 1: the optimised kernel
  kDepthwiseGenericMacs,  ///< depthwise with a channel multiplier > 1: the generic loops
  kDepthwisePixels,       ///< output pixels of depthwise ops (per-pixel set-up)
  kDenseMacs,
  kRequantOutputs,        ///< output elements of MAC ops (requantise, clamp, store)
  kPoolReads,             ///< input elements read by windowed and global pooling
  kAddElements,           ///< output elements of add (two inputs requantised)
  kSoftmaxElements,
  kElementwise,           ///< elements of a standalone activation or scale
  kCopyBytes,             ///< bytes copied by concat and by reshape where not aliased
  kOpCalls,               ///< one per op: interpreter dispatch, kernel set-up
  kFlashWaitBytes,        ///< weight bytes x the board's flash wait states
  kSramBytes,             ///< activation bytes read and written
  kLatencyFeatureCount
};

using LatencyVector = std::array<double, kLatencyFeatureCount>;

/// JSON names of the features, in enum order ("conv_macs", ...).
const std::array<const char*, kLatencyFeatureCount>& latency_feature_names();

/// The features that count MACs (their coefficients are bounded by the core's MAC rate).
bool is_mac_feature(int feature);

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
