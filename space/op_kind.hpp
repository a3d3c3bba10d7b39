// This file implements OpKind, the closed set of layer types of the architecture IR,
// and the per-op facts every other part needs (JSON name, input arity, which
// attributes the op takes).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hwnas {

enum class OpKind {
  kConv2D,
  kDepthwiseConv2D,
  kDense,
  kAvgPool2D,
  kMaxPool2D,
  kGlobalAvgPool,
  kAdd,
  kConcat,
  kReLU,
  kReLU6,
  kBatchNorm,
  kFlatten,
  kReshape,
  kSoftmax,
};

enum class Padding { kSame, kValid };

struct OpInfo {
  OpKind kind;
  const char* name;  ///< JSON spelling, e.g. "conv2d"
  int min_inputs;
  int max_inputs;    ///< -1: any number >= min_inputs
  std::vector<std::string> attributes;  ///< JSON keys the op accepts besides name/op/inputs
};

/// Facts of one op. Every OpKind has an entry.
const OpInfo& op_info(OpKind kind);
/// All ops, in declaration order.
const std::vector<OpInfo>& all_ops();
/// Parses a JSON op name; nullopt if unknown.
std::optional<OpKind> parse_op_kind(const std::string& name);
/// "conv2d, depthwise_conv2d, ..." for error messages.
std::string op_names_list();

inline const char* op_name(OpKind kind) { return op_info(kind).name; }
const char* padding_name(Padding padding);

}  // namespace hwnas
