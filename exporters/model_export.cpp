// This file implements export_model_files (see model_export.hpp).
#include "exporters/model_export.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "estimators/cost_model.hpp"
#include "estimators/runtime_profile.hpp"
#include "exporters/c_export.hpp"
#include "exporters/onnx_export.hpp"
#include "util/errors.hpp"

namespace hwnas {

namespace {

std::string numbers(const std::vector<double>& values) {
  std::string text;
  for (double v : values) text += (text.empty() ? "" : ", ") + fmt::format("{:.7g}", v);
  return text;
}

// The hwnas-c profile on each board: what the generated C is predicted to take.
std::vector<CostTarget> c_targets(const std::vector<McuSpec>& boards) {
  const RuntimeProfile* profile = RuntimeProfiles::builtin().find("hwnas-c");
  std::vector<CostTarget> targets;
  for (const McuSpec& mcu : boards) targets.push_back(CostTarget::make(mcu, *profile));
  return targets;
}

std::vector<std::string> export_c_files(const ModelToExport& m, const std::string& dir) {
  // Each target's report is computed once (the order search can be costly); the arena
  // layout does not depend on the board, so the first target's plan serves every one.
  const std::vector<CostTarget> targets = c_targets(m.boards);
  if (targets.empty()) throw UserError("C export of " + m.arch.name() + ": no target board to plan its memory for");
  std::vector<CostReport> costs;
  nlohmann::json reports = nlohmann::json::array();
  for (const CostTarget& t : targets) {
    costs.push_back(cost_report(m.arch, t));
    reports.push_back(cost_report_json(costs.back(), t));
  }
  std::vector<SourceFile> files = export_c(m.int8, costs.front().plan, m.description, op_layer_names(m.arch, m.int8));
  files.push_back({"cost_report.json", nlohmann::json{{"targets", reports}}.dump(2) + "\n"});
  write_source_files(dir, files);
  std::vector<std::string> names;
  for (const SourceFile& f : files) names.push_back("c/" + f.name);
  return names;
}

std::vector<std::string> export_onnx_files(const ModelToExport& m, const std::string& dir) {
  if (!m.folded) throw UserError("ONNX export of " + m.arch.name() + ": no float model given");
  write_source_files(dir, {{"model_float.onnx", export_onnx_float(*m.folded, m.arch.name(), m.description)},
                           {"model_int8.onnx", export_onnx_qdq(m.int8, m.arch.name(), m.description)}});
  return {"onnx/model_float.onnx", "onnx/model_int8.onnx"};
}

}  // namespace

std::vector<ExportFormat> parse_export_formats(const std::string& name) {
  if (name == "c") return {ExportFormat::kC};
  if (name == "onnx") return {ExportFormat::kOnnx};
  if (name == "all") return {ExportFormat::kC, ExportFormat::kOnnx};
  throw UserError("--format: expected onnx, c or all, got \"" + name + "\"");
}

std::string input_preparation(const QuantizedModel& model) {
  if (model.input_mean.empty())
    return "Input standardisation: not recorded (a model saved before hwnas recorded it; with the run's "
           "dataset.normalize, the default, each channel was standardised with the training split's statistics).";
  const bool identity = std::all_of(model.input_mean.begin(), model.input_mean.end(), [](double m) { return m == 0; }) &&
                        std::all_of(model.input_std.begin(), model.input_std.end(), [](double s) { return s == 1; });
  if (identity) return "Input standardisation: none; v is the data as the dataset files give them.";
  return fmt::format("Input standardisation, as in training: v = (x - mean[c]) / std[c] for each channel c, "
                     "with x as the dataset files give it (IDX bytes divided by 255; .npy and CSV values as "
                     "they are), mean [{}], std [{}].",
                     numbers(model.input_mean), numbers(model.input_std));
}

std::vector<std::string> export_model_files(const ModelToExport& model, const std::vector<ExportFormat>& formats,
                                            const std::string& dir) {
  std::vector<std::string> files;
  for (ExportFormat format : formats) {
    const std::vector<std::string> written =
        format == ExportFormat::kC ? export_c_files(model, dir + "/c") : export_onnx_files(model, dir + "/onnx");
    files.insert(files.end(), written.begin(), written.end());
  }
  return files;
}

}  // namespace hwnas
