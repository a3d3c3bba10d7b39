// This file implements the export of one trained model, held in memory, as deployable
// files: the generated C (model.h, model.c, the portable kernels and what the hwnas-c
// profile predicts it takes on each board), ONNX (model_float.onnx, the trained float
// network with batch norm folded, and model_int8.onnx, the scored int8 model as QDQ) and
// TF Lite (model_int8.tflite, the scored int8 model, with the TF Lite Micro sources
// model_data.{h,cc} and what the tflm-cmsis-nn profile predicts on each board).
// Exporters only write files from models; reading a run directory lives in
// search/run_export.hpp.
#pragma once

#include <string>
#include <vector>

#include "estimators/mcu_database.hpp"
#include "space/architecture.hpp"
#include "trainers/deploy/folded_model.hpp"
#include "trainers/deploy/quantized_model.hpp"

namespace hwnas {

enum class ExportFormat { kC, kOnnx, kTflite };

/// The format names `--format` accepts ("c", "onnx", "tflite", "all") and their formats.
/// @throws UserError naming the accepted values.
std::vector<ExportFormat> parse_export_formats(const std::string& name);

/// One model as the exporters take it.
struct ModelToExport {
  const Architecture& arch;
  const QuantizedModel& int8;   ///< the int8 model the search scored
  const FoldedModel* folded;    ///< the trained float network, batch norm folded (ONNX only)
  std::string description;      ///< the generated files' opening comment
  std::vector<McuSpec> boards;  ///< whose predicted costs the C export reports (the run's targets)
};

/// How the float input of the exported models is made from raw data (the training's
/// standardisation, which the model itself does not contain), for the description.
std::string input_preparation(const QuantizedModel& model);

/// Writes every format's files under `dir` (c/, onnx/, tflite/), atomically; returns their
/// paths relative to `dir`. @throws UserError on I/O failure.
std::vector<std::string> export_model_files(const ModelToExport& model, const std::vector<ExportFormat>& formats,
                                            const std::string& dir);

}  // namespace hwnas
