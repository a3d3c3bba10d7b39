// This file implements the op table of the architecture IR.
#include "space/op_kind.hpp"

#include <cassert>

namespace hwnas {

const std::vector<OpInfo>& all_ops() {
  static const std::vector<OpInfo> ops = {
      {OpKind::kConv2D, "conv2d", 1, 1, {"filters", "kernel", "stride", "padding", "use_bias"}},
      {OpKind::kDepthwiseConv2D, "depthwise_conv2d", 1, 1,
       {"kernel", "stride", "padding", "depth_multiplier", "use_bias"}},
      {OpKind::kDense, "dense", 1, 1, {"units", "use_bias"}},
      {OpKind::kAvgPool2D, "avg_pool2d", 1, 1, {"pool", "stride", "padding"}},
      {OpKind::kMaxPool2D, "max_pool2d", 1, 1, {"pool", "stride", "padding"}},
      {OpKind::kGlobalAvgPool, "global_avg_pool", 1, 1, {}},
      {OpKind::kAdd, "add", 2, -1, {}},
      {OpKind::kConcat, "concat", 2, -1, {}},
      {OpKind::kReLU, "relu", 1, 1, {}},
      {OpKind::kReLU6, "relu6", 1, 1, {}},
      {OpKind::kBatchNorm, "batch_norm", 1, 1, {"epsilon"}},
      {OpKind::kFlatten, "flatten", 1, 1, {}},
      {OpKind::kReshape, "reshape", 1, 1, {"shape"}},
      {OpKind::kSoftmax, "softmax", 1, 1, {}},
  };
  return ops;
}

const OpInfo& op_info(OpKind kind) {
  const auto& ops = all_ops();
  const auto index = static_cast<size_t>(kind);
  assert(index < ops.size() && ops[index].kind == kind);
  return ops[index];
}

std::optional<OpKind> parse_op_kind(const std::string& name) {
  for (const auto& op : all_ops())
    if (name == op.name) return op.kind;
  return std::nullopt;
}

std::string op_names_list() {
  std::string out;
  for (const auto& op : all_ops()) out += (out.empty() ? "" : ", ") + std::string(op.name);
  return out;
}

const char* padding_name(Padding padding) { return padding == Padding::kSame ? "same" : "valid"; }

}  // namespace hwnas
