// This file implements the latency features of deployed ops (see latency_features.hpp).
#include "estimators/latency_features.hpp"

namespace hwnas {

const std::array<const char*, kLatencyFeatureCount>& latency_feature_names() {
  static const std::array<const char*, kLatencyFeatureCount> names = {
      "conv_macs",    "pointwise_macs", "depthwise_macs", "dense_macs",       "requant_outputs", "im2col_bytes",
      "pool_reads",   "elementwise",    "copy_bytes",     "op_calls",         "flash_wait_bytes", "sram_bytes"};
  return names;
}

LatencyVector op_latency_features(const DeployOp& op, int flash_wait_states, bool reshape_copies) {
  LatencyVector f{};
  const double out = double(op.output_bytes);
  switch (op.kind) {
    case DeployKind::kConv:
      f[kConvMacs] = double(op.macs);
      f[kRequantOutputs] = out;
      // One patch of kh x kw x cin per output pixel.
      f[kIm2colBytes] = double(op.out_shape.h) * op.out_shape.w * op.kernel_h * op.kernel_w * op.in_shape.c;
      break;
    case DeployKind::kPointwiseConv: f[kPointwiseMacs] = double(op.macs); f[kRequantOutputs] = out; break;
    case DeployKind::kDepthwiseConv: f[kDepthwiseMacs] = double(op.macs); f[kRequantOutputs] = out; break;
    case DeployKind::kDense: f[kDenseMacs] = double(op.macs); f[kRequantOutputs] = out; break;
    case DeployKind::kPool: f[kPoolReads] = out * op.kernel_h * op.kernel_w; break;
    case DeployKind::kGlobalPool: f[kPoolReads] = double(op.input_bytes); break;
    case DeployKind::kAdd:
    case DeployKind::kSoftmax:
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
