// This file implements the TF Lite exporter: a QuantizedModel becomes a .tflite flatbuffer
// (schema version 3) that encodes exactly that int8 model, for TF Lite Micro (the runtime
// the tflm-cmsis-nn cost profile models), the TF Lite interpreter, Arm NN, STM32Cube.AI,
// Vela and the other tools that take .tflite files.
//  - One subgraph: int8 input [1, H, W, C] with our input scale and zero point, int8 output
//    (the network's output; [1, C] after a dense or flatten, [1, H, W, C] otherwise).
//  - Our ops in our order (the memory plan's schedule when given), each as the TF Lite
//    builtin that computes what our integer reference computes: CONV_2D and
//    DEPTHWISE_CONV_2D with per-channel int8 weights (one zero point per channel, as the
//    runtimes require), FULLY_CONNECTED with per-tensor weights, int32 biases at
//    input_scale * weight_scale, fused RELU/RELU6, AVERAGE/MAX_POOL_2D, MEAN over H and W,
//    ADD, CONCATENATION (with QUANTIZE in front of an input whose parameters differ from
//    the output's, as our reference requantises it), RESHAPE, SOFTMAX, RELU/RELU6.
//  - Every tensor carries our scale and zero point, so the runtime derives the same
//    multipliers at Prepare time that quantize() derived.
#pragma once

#include <string>
#include <vector>

#include "trainers/deploy/quantized_model.hpp"

namespace hwnas {

struct TfliteExportOptions {
  std::string description;            ///< the model's description string
  std::vector<std::string> op_names;  ///< per op of the model: names its tensors ("op<i>" if missing)
  std::vector<int> schedule;          ///< op order (a memory plan's schedule); empty: the model's order
  /// End the model at the score tensor (the softmax's input where there is one): the
  /// tests compare logits, which a runtime only keeps when they are an output.
  bool end_at_scores = false;
};

/// A .tflite file and what TF Lite Micro must register to run it.
struct TfliteFile {
  std::string bytes;
  /// TF Lite Micro's op resolver method for each builtin the file uses ("AddConv2D", ...),
  /// sorted, each once.
  std::vector<std::string> resolver_methods;
};

/// The .tflite file of `model` with its resolver methods, from one lowering.
/// @throws UserError as export_tflite.
TfliteFile write_tflite(const QuantizedModel& model, const TfliteExportOptions& options = {});

/// The .tflite file of `model`. @throws UserError for a model TF Lite cannot express
/// (an ADD of more than two tensors, per-channel dense weights of an older hwnas).
std::string export_tflite(const QuantizedModel& model, const TfliteExportOptions& options = {});

/// TF Lite Micro's op resolver method for each builtin the exported model of `model` uses
/// ("AddConv2D", ...), sorted, each once.
std::vector<std::string> tflite_resolver_methods(const QuantizedModel& model);

}  // namespace hwnas
