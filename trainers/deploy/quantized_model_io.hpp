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

/// The two files' contents, for sending a model to another process.
struct QuantizedModelText {
  std::string json;
  std::string blob;
};
QuantizedModelText quantized_model_text(const QuantizedModel& model);
/// The inverse; `path` and `blob_path` name the sources in errors.
/// @throws UserError naming the field when the text is malformed or does not fit `arch`.
QuantizedModel quantized_model_from_text(const Architecture& arch, const QuantizedModelText& text,
                                         const std::string& path, const std::string& blob_path);

/// Writes model_int8.json and model_int8.bin into `dir` (which must exist), each atomically.
void save_quantized_model(const QuantizedModel& model, const std::string& dir);

/// Reads the int8 model of `arch` saved in `dir`. @throws UserError naming the file and
/// field when a file is missing, malformed or does not fit `arch`.
QuantizedModel load_quantized_model(const Architecture& arch, const std::string& dir);

}  // namespace hwnas
