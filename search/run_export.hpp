// This file implements the export of trained candidates from a run directory, behind
// `nas-run export RUN_DIR` and the automatic export at the end of a search. Each exported
// model gets its own folder OUT/<id>/ with what a firmware engineer needs:
//   arch.json, weights.bin + weights.json   the trained float network
//   model_int8.json + model_int8.bin        the int8 model the search scored
//   cost_report.json                        per target: flash, RAM, latency, energy, and the
//                                           operator order and buffer plan assumed
//   c/, onnx/, tflite/                      the formats of exporters/model_export.hpp
// and OUT/export.json lists the exported models with their accuracies and costs.
#pragma once

#include <string>
#include <vector>

#include "exporters/model_export.hpp"

namespace hwnas {

struct ExportRequest {
  std::string run_dir;
  std::vector<std::string> ids;  ///< candidate identities; empty: the run's Pareto set
  std::vector<ExportFormat> formats = {ExportFormat::kC, ExportFormat::kOnnx, ExportFormat::kTflite};
  std::string out;  ///< empty: RUN_DIR/export
};

struct ExportedModel {
  std::string id;
  std::string dir;
  std::vector<std::string> files;  ///< relative to dir
  std::vector<double> input_mean, input_std;  ///< the standardisation its inputs need; empty: not recorded
};

/// The identities of the run's Pareto set: every front of pareto.json, in target order,
/// each once. @throws UserError when the run has no pareto.json.
std::vector<std::string> pareto_set_ids(const std::string& run_dir);

/// Exports the requested models. Files are written atomically; exporting again replaces
/// them. @throws UserError naming a missing run, unknown id or unreadable model file.
std::vector<ExportedModel> export_models(const ExportRequest& request);

}  // namespace hwnas
