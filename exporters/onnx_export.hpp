// This file implements the ONNX exporter: a trained network as an ONNX model (opset 13)
// in two forms.
//  - Float: the deployed float network (batch norm folded, as FoldedModel runs it).
//    Input "input" float [batch, H, W, C] (NHWC, as the training data); outputs "output"
//    (the network's output, e.g. softmax probabilities) and, where the network ends in
//    softmax, "logits" (its input), each [batch, elements] in NHWC order.
//  - Int8 QDQ: exactly our int8 model (QuantizedModel) in QuantizeLinear/DequantizeLinear
//    form: int8 weights with per-channel scales and int32 biases behind DequantizeLinear,
//    every activation quantised with our scale and zero point. Input "input" int8
//    [batch, H, W, C]; output "logits" int8 [batch, elements], the score tensor (the
//    softmax's input where there is one). Runtimes that fuse QDQ (ONNX Runtime) run it in
//    integer arithmetic; their requantisation rounds differently from CMSIS-NN's fixed
//    point, so outputs may differ from ours by 1 LSB.
// Inside, tensors are NCHW as ONNX's Conv wants; transposes sit at the input and wherever
// a flatten must keep our NHWC element order (dense layers, reshapes).
#pragma once

#include <string>

#include "trainers/deploy/folded_model.hpp"
#include "trainers/deploy/quantized_model.hpp"

namespace hwnas {

/// The float ONNX model of `model`, serialised. `description` becomes its doc_string.
std::string export_onnx_float(const FoldedModel& model, const std::string& name, const std::string& description);

/// The int8 QDQ ONNX model of `model`, serialised.
std::string export_onnx_qdq(const QuantizedModel& model, const std::string& name, const std::string& description);

}  // namespace hwnas
