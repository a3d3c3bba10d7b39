// This file implements export_models (see run_export.hpp): for each requested candidate,
// copy the run's files of it, load the int8 model the search scored and hand it to the
// exporters.
#include "search/run_export.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "search/history.hpp"
#include "search/run_search.hpp"
#include "space/arch_json.hpp"
#include "trainers/deploy/folded_model.hpp"
#include "trainers/deploy/quantized_model_io.hpp"
#include "trainers/training/model_weights.hpp"
#include "util/atomic_file.hpp"
#include "util/errors.hpp"
#include "util/json_reader.hpp"

namespace hwnas {

namespace {

namespace fs = std::filesystem;

// The files of a model directory that travel with every export, as the search wrote them.
const std::vector<std::string> kRunFiles = {"arch.json", "weights.bin", "weights.json", kInt8ModelFile,
                                            kInt8BlobFile, "cost_report.json"};

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

ExportedModel export_one(const std::string& run_dir, const std::string& id, const std::vector<McuSpec>& boards,
                         const nlohmann::json& record, const ExportRequest& request, const std::string& out) {
  const std::string source = run_dir + "/models/" + id;
  if (!fs::is_directory(source))
    throw UserError(run_dir + ": no model " + id + " (expected the folder " + source + ")");
  const Architecture arch = load_architecture(source + "/arch.json");
  const QuantizedModel int8 = load_quantized_model(arch, source);
  ExportedModel m{id, out + "/" + id, {}, int8.input_mean, int8.input_std};
  create_folders(m.dir);
  for (const std::string& name : kRunFiles) {
    if (!fs::exists(source + "/" + name)) throw UserError(source + "/" + name + ": missing: cannot export " + id);
    write_file_atomically(m.dir + "/" + name, read_file_text(source + "/" + name));
    m.files.push_back(name);
  }
  // The float network only ONNX needs: loading and folding the weights is skipped for C alone.
  const bool onnx = std::find(request.formats.begin(), request.formats.end(), ExportFormat::kOnnx) != request.formats.end();
  const std::optional<FoldedModel> folded =
      onnx ? std::optional<FoldedModel>(fold_model(arch, load_model_weights(source, arch))) : std::nullopt;
  const ModelToExport model{arch, int8, folded ? &*folded : nullptr, describe(arch, id, run_dir, record) + "\n" + input_preparation(int8),
                            boards};
  const std::vector<std::string> files = export_model_files(model, request.formats, m.dir);
  m.files.insert(m.files.end(), files.begin(), files.end());
  return m;
}

}  // namespace

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
  std::vector<McuSpec> boards;
  for (const TargetConfig& t : config.targets) boards.push_back(t.mcu);
  const std::vector<std::string> ids = request.ids.empty() ? pareto_set_ids(request.run_dir) : request.ids;
  const std::string out = request.out.empty() ? request.run_dir + "/export" : request.out;
  const auto records = latest_record_per_candidate(read_history(request.run_dir + "/" + kHistoryFile));
  std::vector<ExportedModel> exported;
  nlohmann::json listing = nlohmann::json::array();
  for (const std::string& id : ids) {
    const auto it = records.find(id);
    const nlohmann::json record = it == records.end() ? nlohmann::json() : it->second;
    exported.push_back(export_one(request.run_dir, id, boards, record, request, out));
    nlohmann::json entry = {{"id", id}, {"dir", id}, {"files", exported.back().files}};
    for (const char* key :
         {"val_accuracy_int8", "test_accuracy_int8", "fidelity", "costs", "params", "macs", "seed_runs", "deployed_seed_run"})
      if (record.is_object() && record.contains(key)) entry[key] = record[key];
    if (!exported.back().input_mean.empty())
      entry["input_standardization"] = {{"mean", exported.back().input_mean}, {"std", exported.back().input_std}};
    listing.push_back(std::move(entry));
    spdlog::info("exported {} to {}", id, exported.back().dir);
  }
  create_folders(out);
  write_file_atomically(out + "/export.json",
                        nlohmann::json{{"run_dir", fs::absolute(request.run_dir).lexically_normal().string()},
                                       {"models", listing}}
                                .dump(2) + "\n");
  return exported;
}

}  // namespace hwnas
