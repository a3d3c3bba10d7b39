// This file implements export_model_files (see model_export.hpp).
#include "exporters/model_export.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "estimators/cost_model.hpp"
#include "estimators/runtime_profile.hpp"
#include "exporters/c_export.hpp"
#include "exporters/onnx_export.hpp"
#include "exporters/tflite_export.hpp"
#include "exporters/tflm_export.hpp"
#include "util/errors.hpp"

namespace hwnas {

namespace {

std::string numbers(const std::vector<double>& values) {
  std::string text;
  for (double v : values) text += (text.empty() ? "" : ", ") + fmt::format("{:.7g}", v);
  return text;
}

// What `runtime` is predicted to take on each board: each target's report once (the order
// search can be costly), and their JSON for the format's cost_report.json.
struct RuntimeCosts {
  std::vector<CostReport> reports;
  nlohmann::json json = nlohmann::json::array();
};

RuntimeCosts runtime_costs(const ModelToExport& m, const std::string& runtime, const std::string& format) {
  if (m.boards.empty()) throw UserError(format + " export of " + m.arch.name() + ": no target board to plan its memory for");
  const RuntimeProfile* profile = RuntimeProfiles::builtin().find(runtime);
  RuntimeCosts costs;
  for (const McuSpec& mcu : m.boards) {
    const CostTarget target = CostTarget::make(mcu, *profile);
    costs.reports.push_back(cost_report(m.arch, target));
    costs.json.push_back(cost_report_json(costs.reports.back(), target));
  }
  return costs;
}

SourceFile cost_report_file(const RuntimeCosts& costs) {
  return {"cost_report.json", nlohmann::json{{"targets", costs.json}}.dump(2) + "\n"};
}

// Writes a format's `files` into dir/folder; returns their paths relative to dir.
std::vector<std::string> write_format_files(const std::string& dir, const std::string& folder,
                                            const std::vector<SourceFile>& files) {
  write_source_files(dir + "/" + folder, files);
  std::vector<std::string> names;
  for (const SourceFile& f : files) names.push_back(folder + "/" + f.name);
  return names;
}

std::vector<std::string> export_c_files(const ModelToExport& m, const std::string& dir) {
  // The arena layout does not depend on the board, so the first target's plan serves every one.
  const RuntimeCosts costs = runtime_costs(m, "hwnas-c", "C");
  std::vector<SourceFile> files =
      export_c(m.int8, costs.reports.front().plan, m.description, op_layer_names(m.arch, m.int8));
  files.push_back(cost_report_file(costs));
  return write_format_files(dir, "c", files);
}

std::vector<std::string> export_onnx_files(const ModelToExport& m, const std::string& dir) {
  if (!m.folded) throw UserError("ONNX export of " + m.arch.name() + ": no float model given");
  return write_format_files(dir, "onnx",
                            {{"model_float.onnx", export_onnx_float(*m.folded, m.arch.name(), m.description)},
                             {"model_int8.onnx", export_onnx_qdq(m.int8, m.arch.name(), m.description)}});
}

// The ops go in the first target's planned order, the order TF Lite Micro then runs them
// in (scratch sizes, and so the best order, may differ a little between cores).
std::vector<std::string> export_tflite_files(const ModelToExport& m, const std::string& dir) {
  const RuntimeCosts costs = runtime_costs(m, "tflm-cmsis-nn", "TF Lite");
  TfliteExportOptions options;
  options.description = m.description;
  options.op_names = op_layer_names(m.arch, m.int8);
  options.schedule = costs.reports.front().plan.schedule;
  const TfliteFile tflite = write_tflite(m.int8, options);
  std::vector<TflmArena> arenas;
  for (size_t i = 0; i < m.boards.size(); ++i)
    arenas.push_back({m.boards[i].name, costs.reports[i].totals.ram.arena + costs.reports[i].totals.ram.persistent});
  std::vector<SourceFile> files = {{"model_int8.tflite", tflite.bytes}};
  for (SourceFile& f : export_tflm_sources(tflite.bytes, tflite.resolver_methods, arenas, m.description))
    files.push_back(std::move(f));
  files.push_back(cost_report_file(costs));
  return write_format_files(dir, "tflite", files);
}

}  // namespace

std::vector<ExportFormat> parse_export_formats(const std::string& name) {
  if (name == "c") return {ExportFormat::kC};
  if (name == "onnx") return {ExportFormat::kOnnx};
  if (name == "tflite") return {ExportFormat::kTflite};
  if (name == "all") return {ExportFormat::kC, ExportFormat::kOnnx, ExportFormat::kTflite};
  throw UserError("--format: expected c, onnx, tflite or all, got \"" + name + "\"");
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
    const std::vector<std::string> written = format == ExportFormat::kC      ? export_c_files(model, dir)
                                             : format == ExportFormat::kOnnx ? export_onnx_files(model, dir)
                                                                             : export_tflite_files(model, dir);
    files.insert(files.end(), written.begin(), written.end());
  }
  return files;
}

}  // namespace hwnas
