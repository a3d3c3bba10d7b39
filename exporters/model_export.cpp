// This file implements export_models (see model_export.hpp): for each requested
// candidate, copy the run's files of it, load the int8 model the search scored and
// generate each format from it.
#include "exporters/model_export.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "estimators/cost_model.hpp"
#include "estimators/runtime_profile.hpp"
#include "exporters/c_export.hpp"
#include "exporters/onnx_export.hpp"
#include "search/run_search.hpp"
#include "space/arch_json.hpp"
#include "trainers/folded_model.hpp"
#include "trainers/model_weights.hpp"
#include "trainers/quantized_model_io.hpp"
#include "util/atomic_file.hpp"
#include "util/errors.hpp"
#include "util/json_reader.hpp"

namespace hwnas {

namespace {

namespace fs = std::filesystem;

// The files of a model directory that travel with every export, as the search wrote them.
const std::vector<std::string> kRunFiles = {"arch.json", "weights.bin", "weights.json", kInt8ModelFile,
                                            kInt8BlobFile, "cost_report.json"};

// The last history record of each candidate: its highest rung, the one its saved files are of.
std::map<std::string, nlohmann::json> last_records(const std::string& run_dir) {
  std::map<std::string, nlohmann::json> records;
  std::ifstream in(run_dir + "/history.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    // A line cut by a kill is skipped here as on resume.
    const nlohmann::json r = nlohmann::json::parse(line, nullptr, false);
    if (r.is_object() && r.contains("id") && r["id"].is_string()) records[r["id"].get<std::string>()] = r;
  }
  return records;
}

std::string percent(const nlohmann::json& record, const char* key) {
  const auto it = record.find(key);
  return it != record.end() && it->is_number() && it->get<double>() >= 0 ? fmt::format("{:.2f}%", 100 * it->get<double>())
                                                                         : "n/a";
}

// model.h's opening comment: which network this is and how good it is.
std::string describe(const Architecture& arch, const std::string& id, const std::string& run_dir,
                     const nlohmann::json& record) {
  std::string text = fmt::format("{} ({}) from run {}", id, arch.name(), fs::absolute(run_dir).lexically_normal().string());
  if (record.is_object() && record.contains("seed_runs") && record.contains("deployed_seed_run")) {
    // search.final_seeds: the record's accuracies are means; these weights are one training's.
    const nlohmann::json& runs = record["seed_runs"];
    const nlohmann::json& deployed = runs.at(record["deployed_seed_run"].get<size_t>());
    text += fmt::format(": int8 accuracy {} on the test split, {} on validation (these weights; mean of {} trainings: {}, {})",
                        percent(deployed, "test_accuracy_int8"), percent(deployed, "val_accuracy_int8"), runs.size(),
                        percent(record, "test_accuracy_int8"), percent(record, "val_accuracy_int8"));
  } else if (record.is_object()) {
    text += fmt::format(": int8 accuracy {} on the test split, {} on validation", percent(record, "test_accuracy_int8"),
                        percent(record, "val_accuracy_int8"));
  }
  if (record.is_object() && record.contains("fidelity"))
    text += fmt::format(", after {} epoch(s) on {} samples", record["fidelity"].value("epochs", 0),
                        record["fidelity"].value("train_samples", 0));
  return text;
}

std::string numbers(const std::vector<double>& values) {
  std::string text;
  for (double v : values) text += (text.empty() ? "" : ", ") + fmt::format("{:.7g}", v);
  return text;
}

// How the float input of the exported models is made from raw data: the training's
// standardisation (dataset.normalize), which the model itself does not contain.
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

// The hwnas-c profile on the board of each target: what the generated C is predicted to take.
std::vector<CostTarget> c_targets(const RunConfig& config) {
  const RuntimeProfile* profile = RuntimeProfiles::builtin().find("hwnas-c");
  std::vector<CostTarget> targets;
  for (const TargetConfig& t : config.targets) targets.push_back(CostTarget::make(t.mcu, *profile));
  return targets;
}

std::vector<std::string> export_c_files(const Architecture& arch, const QuantizedModel& model,
                                        const std::vector<CostTarget>& targets, const std::string& description,
                                        const std::string& dir) {
  // Each target's report is computed once (the order search can be costly); the arena
  // layout does not depend on the board, so the first target's plan serves every one.
  std::vector<CostReport> costs;
  nlohmann::json reports = nlohmann::json::array();
  for (const CostTarget& t : targets) {
    costs.push_back(cost_report(arch, t));
    reports.push_back(cost_report_json(costs.back(), t));
  }
  std::vector<SourceFile> files = export_c(model, costs.front().plan, description, op_layer_names(arch, model));
  files.push_back({"cost_report.json", nlohmann::json{{"targets", reports}}.dump(2) + "\n"});
  write_source_files(dir, files);
  std::vector<std::string> names;
  for (const SourceFile& f : files) names.push_back("c/" + f.name);
  return names;
}

// model_float.onnx (the trained float network) and model_int8.onnx (the scored int8 model, QDQ).
std::vector<std::string> export_onnx_files(const Architecture& arch, const QuantizedModel& model,
                                           const std::string& source, const std::string& description,
                                           const std::string& dir) {
  const FoldedModel folded = fold_model(arch, load_model_weights(source, arch));
  write_source_files(dir, {{"model_float.onnx", export_onnx_float(folded, arch.name(), description)},
                           {"model_int8.onnx", export_onnx_qdq(model, arch.name(), description)}});
  return {"onnx/model_float.onnx", "onnx/model_int8.onnx"};
}

ExportedModel export_one(const std::string& run_dir, const std::string& id, const RunConfig& config,
                         const nlohmann::json& record, const ExportRequest& request, const std::string& out) {
  const std::string source = run_dir + "/models/" + id;
  if (!fs::is_directory(source))
    throw UserError(run_dir + ": no model " + id + " (expected the folder " + source + ")");
  const Architecture arch = load_architecture(source + "/arch.json");
  const QuantizedModel model = load_quantized_model(arch, source);
  ExportedModel m{id, out + "/" + id, {}, model.input_mean, model.input_std};
  fs::create_directories(m.dir);
  for (const std::string& name : kRunFiles) {
    if (!fs::exists(source + "/" + name)) throw UserError(source + "/" + name + ": missing: cannot export " + id);
    write_file_atomically(m.dir + "/" + name, read_file_text(source + "/" + name));
    m.files.push_back(name);
  }
  const std::string description = describe(arch, id, run_dir, record) + "\n" + input_preparation(model);
  for (ExportFormat format : request.formats) {
    switch (format) {
      case ExportFormat::kC: {
        const auto files = export_c_files(arch, model, c_targets(config), description, m.dir + "/c");
        m.files.insert(m.files.end(), files.begin(), files.end());
        break;
      }
      case ExportFormat::kOnnx: {
        const auto files = export_onnx_files(arch, model, source, description, m.dir + "/onnx");
        m.files.insert(m.files.end(), files.begin(), files.end());
        break;
      }
    }
  }
  return m;
}

}  // namespace

std::vector<ExportFormat> parse_export_formats(const std::string& name) {
  if (name == "c") return {ExportFormat::kC};
  if (name == "onnx") return {ExportFormat::kOnnx};
  if (name == "all") return {ExportFormat::kC, ExportFormat::kOnnx};
  throw UserError("--format: expected onnx, c or all, got \"" + name + "\"");
}

std::vector<std::string> pareto_set_ids(const std::string& run_dir) {
  const std::string path = run_dir + "/pareto.json";
  if (!fs::exists(path))
    throw UserError(path + ": missing: the run has no Pareto set yet (it writes one when it stops); name models with --ids");
  const nlohmann::json doc = read_json_file(path);
  std::vector<std::string> ids;
  for (const auto& target : doc.value("targets", nlohmann::json::array()))
    for (const auto& entry : target.value("front", nlohmann::json::array())) {
      const std::string id = entry.value("id", "");
      if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
  return ids;
}

std::vector<ExportedModel> export_models(const ExportRequest& request) {
  if (!fs::is_directory(request.run_dir)) throw UserError(request.run_dir + ": not a run directory");
  const RunConfig config = load_run_dir_config(request.run_dir);
  const std::vector<std::string> ids = request.ids.empty() ? pareto_set_ids(request.run_dir) : request.ids;
  const std::string out = request.out.empty() ? request.run_dir + "/export" : request.out;
  const auto records = last_records(request.run_dir);
  std::vector<ExportedModel> exported;
  nlohmann::json listing = nlohmann::json::array();
  for (const std::string& id : ids) {
    const auto it = records.find(id);
    const nlohmann::json record = it == records.end() ? nlohmann::json() : it->second;
    exported.push_back(export_one(request.run_dir, id, config, record, request, out));
    nlohmann::json entry = {{"id", id}, {"dir", id}, {"files", exported.back().files}};
    for (const char* key :
         {"val_accuracy_int8", "test_accuracy_int8", "fidelity", "costs", "params", "macs", "seed_runs", "deployed_seed_run"})
      if (record.is_object() && record.contains(key)) entry[key] = record[key];
    if (!exported.back().input_mean.empty())
      entry["input_standardization"] = {{"mean", exported.back().input_mean}, {"std", exported.back().input_std}};
    listing.push_back(std::move(entry));
    spdlog::info("exported {} to {}", id, exported.back().dir);
  }
  fs::create_directories(out);
  write_file_atomically(out + "/export.json",
                        nlohmann::json{{"run_dir", fs::absolute(request.run_dir).lexically_normal().string()},
                                       {"models", listing}}
                                .dump(2) + "\n");
  return exported;
}

}  // namespace hwnas
