// This file implements the part of the TF Lite flatbuffer format (schema version 3) that
// hwnas writes and reads: the field ids of each table, and the enum values of the types,
// operators and options we use. The numbers are those of TF Lite's schema.fbs (fields are
// numbered in declaration order; a field's vtable slot is 4 + 2 * id). The writer
// (tflite_export.cpp) and the reader (tflite_import.cpp) both use flatbuffers' untyped
// table API with these ids, so no generated code and no copy of the schema is needed.
#pragma once

#include <cstdint>

#include <flatbuffers/flatbuffers.h>

namespace hwnas::tflite {

/// The vtable slot of field `id`.
constexpr flatbuffers::voffset_t slot(int id) { return flatbuffers::voffset_t(4 + 2 * id); }

inline constexpr char kFileIdentifier[] = "TFL3";
inline constexpr uint32_t kSchemaVersion = 3;

namespace model {
inline constexpr int kVersion = 0, kOperatorCodes = 1, kSubgraphs = 2, kDescription = 3, kBuffers = 4;
}
namespace operator_code {
// deprecated_builtin_code is a byte: readers before TF 2.4 see only it, and newer readers
// take the larger of the two, so both are written.
inline constexpr int kDeprecatedBuiltinCode = 0, kCustomCode = 1, kVersion = 2, kBuiltinCode = 3;
}
namespace subgraph {
inline constexpr int kTensors = 0, kInputs = 1, kOutputs = 2, kOperators = 3, kName = 4;
}
namespace tensor {
inline constexpr int kShape = 0, kType = 1, kBuffer = 2, kName = 3, kQuantization = 4;
}
namespace quantization {
inline constexpr int kMin = 0, kMax = 1, kScale = 2, kZeroPoint = 3, kQuantizedDimension = 6;
}
namespace op {
inline constexpr int kOpcodeIndex = 0, kInputs = 1, kOutputs = 2, kBuiltinOptionsType = 3, kBuiltinOptions = 4;
}
namespace buffer {
inline constexpr int kData = 0;
inline constexpr int kDataAlignment = 16;  ///< the schema's force_align on Buffer.data
}

/// TensorType values.
enum class TensorType : int8_t { kFloat32 = 0, kInt32 = 2, kInt8 = 9 };

/// BuiltinOperator values.
enum class Builtin : int32_t {
  kAdd = 0,
  kAveragePool2D = 1,
  kConcatenation = 2,
  kConv2D = 3,
  kDepthwiseConv2D = 4,
  kDequantize = 6,
  kFullyConnected = 9,
  kMaxPool2D = 17,
  kRelu = 19,
  kRelu6 = 21,
  kReshape = 22,
  kSoftmax = 25,
  kMean = 40,
  kQuantize = 114,
};

/// BuiltinOptions union member ids.
enum class OptionsType : uint8_t {
  kNone = 0,
  kConv2D = 1,
  kDepthwiseConv2D = 2,
  kPool2D = 5,
  kFullyConnected = 8,
  kSoftmax = 9,
  kConcatenation = 10,
  kAdd = 11,
  kReshape = 17,
  kReducer = 27,
  kQuantize = 89,
};

/// Padding and ActivationFunctionType values.
enum class Padding : int8_t { kSame = 0, kValid = 1 };
enum class FusedActivation : int8_t { kNone = 0, kRelu = 1, kRelu6 = 3 };

// Option tables' field ids.
namespace conv_options {  // Conv2DOptions
inline constexpr int kPadding = 0, kStrideW = 1, kStrideH = 2, kActivation = 3, kDilationW = 4, kDilationH = 5;
}
namespace depthwise_options {  // DepthwiseConv2DOptions
inline constexpr int kPadding = 0, kStrideW = 1, kStrideH = 2, kDepthMultiplier = 3, kActivation = 4,
                     kDilationW = 5, kDilationH = 6;
}
namespace pool_options {  // Pool2DOptions
inline constexpr int kPadding = 0, kStrideW = 1, kStrideH = 2, kFilterW = 3, kFilterH = 4, kActivation = 5;
}
namespace fully_connected_options {  // FullyConnectedOptions
inline constexpr int kActivation = 0, kWeightsFormat = 1, kKeepNumDims = 2;
}
namespace softmax_options {  // SoftmaxOptions
inline constexpr int kBeta = 0;
}
namespace concatenation_options {  // ConcatenationOptions
inline constexpr int kAxis = 0, kActivation = 1;
}
namespace add_options {  // AddOptions
inline constexpr int kActivation = 0;
}
namespace reshape_options {  // ReshapeOptions
inline constexpr int kNewShape = 0;
}
namespace reducer_options {  // ReducerOptions
inline constexpr int kKeepDims = 0;
}

}  // namespace hwnas::tflite
