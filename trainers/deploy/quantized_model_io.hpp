// This file implements the saved form of an int8 model (QuantizedModel): the numbers the
// search found (int8 weights, int32 biases, per-channel weight scales, activation
// parameters and requantisation multipliers), so the exporters give exactly the model
// that was scored, QAT-tuned or not, without the data it was calibrated on. The structure
// (ops, tensors, window geometry) is not stored: it is the architecture's
// (deployed_structure), and loading checks the numbers fit it.
//
// Two files in a model directory:
//   model_int8.json  format, tensors [{scale, zero_point}], ops [{kind, activation_min,
//                    activation_max, weights/biases {offset, count} into the blob,
//                    weight_scales, output_multipliers, input_multipliers [[m, shift]],
//                    left_shift}], output_tensor, score_tensor
//   model_int8.bin   the blob: per op, int8 weights, then int32 biases (little endian,
//                    4-byte aligned)
#pragma once

#include <string>

#include "space/architecture.hpp"
#include "trainers/deploy/quantized_model.hpp"

namespace hwnas {

inline constexpr const char* kInt8ModelFile = "model_int8.json";
inline constexpr const char* kInt8BlobFile = "model_int8.bin";

/// Writes model_int8.json and model_int8.bin into `dir` (which must exist), each atomically.
void save_quantized_model(const QuantizedModel& model, const std::string& dir);

/// Reads the int8 model of `arch` saved in `dir`. @throws UserError naming the file and
/// field when a file is missing, malformed or does not fit `arch`.
QuantizedModel load_quantized_model(const Architecture& arch, const std::string& dir);

}  // namespace hwnas
