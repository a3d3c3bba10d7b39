// This file implements reading a TF Lite flatbuffer back into the architecture IR, so a
// model made elsewhere (or exported by hwnas) can be inspected and costed against a board
// (`nas-run inspect model.tflite`, `nas-run estimate model.tflite`). The structure is what
// is read: layers, shapes, kernels, strides, paddings, fused activations; weights and
// quantisation parameters are not (the cost models need only the structure). Batch norm
// arrives folded, so convolutions come back with biases and no batch_norm layer: the
// deployed graph, and so every cost, is the same as the original network's.
//
// Supported operators: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D,
// MAX_POOL_2D, MEAN over H and W, ADD, CONCATENATION on channels, RESHAPE, SOFTMAX, RELU,
// RELU6, and QUANTIZE/DEQUANTIZE (no layer of their own). Anything else is a UserError
// that names the operator. The file is checked with flatbuffers' verifier as it is read:
// a truncated or corrupt file is a UserError, never a crash.
#pragma once

#include <string>

#include "space/architecture.hpp"

namespace hwnas {

/// The network in `bytes`, a .tflite flatbuffer; `file` names it in errors, and its stem
/// names the network. @throws UserError.
Architecture import_tflite(const std::string& bytes, const std::string& file);

/// The network in `path`: a .tflite file (by its extension) or an arch.json.
/// @throws UserError or ConfigError naming the file.
Architecture load_network_file(const std::string& path);

}  // namespace hwnas
