// This file implements the latency features of deployed ops (see latency_features.hpp).
#include "estimators/latency_features.hpp"

namespace hwnas {

const std::array<const char*, kLatencyFeatureCount>& latency_feature_names() {
  static const std::array<const char*, kLatencyFeatureCount> names = {
      "conv_macs",     "conv_patch_bytes", "pointwise_macs",   "depthwise3x3_macs", "depthwise_macs",
      "depthwise_generic_macs", "depthwise_pixels", "dense_macs", "requant_outputs", "pool_reads",
      "add_elements",  "softmax_elements", "elementwise",      "copy_bytes",        "op_calls",
      "flash_wait_bytes", "sram_bytes"};
  return names;
}

bool is_mac_feature(int feature) {
  return feature == kConvMacs || feature == kPointwiseMacs || feature == kDepthwise3x3Macs ||
         feature == kDepthwiseMacs || feature == kDepthwiseGenericMacs || feature == kDenseMacs;
}

namespace {

double out_pixels(const DeployOp& op) { return double(op.out_shape.h) * op.out_shape.w; }

void depthwise_features(const DeployOp& op, LatencyVector& f) {
  const double macs = double(op.macs);
  if (op.out_shape.c != op.in_shape.c) f[kDepthwiseGenericMacs] = macs;  // channel multiplier > 1
  else if (op.kernel_h == 3 && op.kernel_w == 3) f[kDepthwise3x3Macs] = macs;
  else f[kDepthwiseMacs] = macs;
  f[kDepthwisePixels] = out_pixels(op);
}

}  // namespace

LatencyVector op_latency_features(const DeployOp& op, int flash_wait_states, bool reshape_copies) {
  LatencyVector f{};
  const double out = double(op.output_bytes);
  switch (op.kind) {
    case DeployKind::kConv:
      f[kConvMacs] = double(op.macs);
      f[kConvPatchBytes] = out_pixels(op) * op.kernel_h * op.kernel_w * op.in_shape.c;
      f[kRequantOutputs] = out;
      break;
    case DeployKind::kPointwiseConv:
      f[kPointwiseMacs] = double(op.macs);
      // A strided 1x1 convolution gathers its sampled pixels first (the im2col path).
      if (op.out_shape.h != op.in_shape.h || op.out_shape.w != op.in_shape.w)
        f[kConvPatchBytes] = out_pixels(op) * op.in_shape.c;
      f[kRequantOutputs] = out;
      break;
    case DeployKind::kDepthwiseConv:
      depthwise_features(op, f);
      f[kRequantOutputs] = out;
      break;
    case DeployKind::kDense: f[kDenseMacs] = double(op.macs); f[kRequantOutputs] = out; break;
    case DeployKind::kPool: f[kPoolReads] = out * op.kernel_h * op.kernel_w; break;
    case DeployKind::kGlobalPool: f[kPoolReads] = double(op.input_bytes); break;
    case DeployKind::kAdd: f[kAddElements] = out; break;
    case DeployKind::kSoftmax: f[kSoftmaxElements] = out; break;
    case DeployKind::kActivation:
    case DeployKind::kScale: f[kElementwise] = out; break;
    case DeployKind::kConcat: f[kCopyBytes] = out; break;
    case DeployKind::kReshape: f[kCopyBytes] = reshape_copies ? out : 0.0; break;
  }
  f[kOpCalls] = 1;
  f[kFlashWaitBytes] = double(op.weights) * flash_wait_states;
  f[kSramBytes] = double(op.input_bytes) + out;
  return f;
}

LatencyVector network_latency_features(const DeployGraph& graph, int flash_wait_states, bool reshape_copies) {
  LatencyVector total{};
  for (const auto& op : graph.ops()) {
    const LatencyVector f = op_latency_features(op, flash_wait_states, reshape_copies);
    for (size_t i = 0; i < total.size(); ++i) total[i] += f[i];
  }
  return total;
}

}  // namespace hwnas
