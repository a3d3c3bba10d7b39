// This file implements the tolerant reading of a run directory for the report (see
// report_data.hpp).
#include "search/report_data.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "search/history.hpp"
#include "search/rejection_log.hpp"
#include "util/atomic_file.hpp"
#include "util/errors.hpp"

namespace hwnas {

namespace fs = std::filesystem;

namespace {

// At most this many exported files are listed per model (a C export holds a few dozen).
constexpr size_t kMaxExportedFiles = 60;

std::optional<double> number(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string text(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// A JSON file of the run directory, or null when it is absent or unreadable (being
// replaced, from another version): the report then shows that part as missing.
nlohmann::json optional_json(const fs::path& path, std::vector<std::string>& notes) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return nullptr;
  try {
    nlohmann::json j = nlohmann::json::parse(read_file_text(path.string()), nullptr, false);
    if (!j.is_discarded()) return j;
  } catch (const std::exception&) {
  }
  notes.push_back(path.filename().string() + " could not be read as JSON; what it holds is shown as missing");
  return nullptr;
}

TrialCost trial_cost(const nlohmann::json& c) {
  TrialCost out;
  out.ram_bytes = number(c, "ram_bytes");
  out.flash_bytes = number(c, "flash_bytes");
  out.latency_ms = number(c, "latency_ms");
  out.energy_uj = number(c, "energy_uj");
  if (c.is_object() && c.contains("fits") && c["fits"].is_boolean()) out.fits = c["fits"].get<bool>();
  return out;
}

// "proposals_so_far": three counts, or nothing when any is missing or not a count.
std::optional<ProposalCounts> proposal_counts(const nlohmann::json& r) {
  const auto it = r.find("proposals_so_far");
  if (it == r.end()) return std::nullopt;
  const auto accepted = number(*it, "accepted"), rejected = number(*it, "rejected"), duplicates = number(*it, "duplicates");
  if (!accepted || !rejected || !duplicates || *accepted < 0 || *rejected < 0 || *duplicates < 0) return std::nullopt;
  return ProposalCounts{int64_t(*accepted), int64_t(*rejected), int64_t(*duplicates)};
}

Trial trial_from_record(const nlohmann::json& r, int row) {
  Trial t;
  t.row = row;
  if (const auto index = number(r, "index")) t.index = int(*index);
  t.rung = int(number(r, "rung").value_or(0));
  t.stage = text(r, "stage");
  t.id = text(r, "id");
  t.status = text(r, "status");
  t.val_float = number(r, "val_accuracy");
  t.test_float = number(r, "test_accuracy");
  t.val_int8 = number(r, "val_accuracy_int8");
  t.test_int8 = number(r, "test_accuracy_int8");
  t.params = number(r, "params");
  t.macs = number(r, "macs");
  t.train_seconds = number(r, "train_seconds");
  if (r.contains("fidelity")) {
    t.epochs = number(r["fidelity"], "epochs");
    t.train_samples = number(r["fidelity"], "train_samples");
  }
  if (r.contains("costs") && r["costs"].is_object())
    for (const auto& [mcu, c] : r["costs"].items()) t.costs[mcu] = trial_cost(c);
  t.finished_at = parse_history_timestamp(text(r, "finished_at"));
  t.proposals = proposal_counts(r);
  return t;
}

// rejected.jsonl, each network once (a resumed run may log one again); a file that cannot
// be read is a note, like the other files.
void read_rejections(ReportData& data, const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return;
  std::vector<nlohmann::json> records;
  try {
    records = read_history(path.string());
  } catch (const std::exception& e) {
    data.notes.push_back(std::string(kRejectionFile) + ": " + e.what() + "; no rejected network is drawn");
    return;
  }
  data.has_rejection_log = true;
  std::set<std::string> seen;
  for (const nlohmann::json& r : records) {
    RejectedNetwork n{text(r, "id"), {}, text(r, "reason")};
    if (n.id.empty() || !seen.insert(n.id).second) continue;
    if (r.contains("costs") && r["costs"].is_object())
      for (const auto& [mcu, c] : r["costs"].items()) n.costs[mcu] = trial_cost(c);
    data.rejected_networks.push_back(std::move(n));
  }
}

// The history's complete lines; a line that is not JSON (a file from elsewhere) ends the
// reading with a note instead of failing the report.
std::vector<nlohmann::json> history_records(const std::string& path, std::vector<std::string>& notes) {
  try {
    return read_history(path);
  } catch (const std::exception& e) {
    notes.push_back(std::string("history.jsonl: ") + e.what() + "; the report shows no trials");
    return {};
  }
}

ReportTarget target_from_json(const nlohmann::json& t) {
  ReportTarget out;
  out.mcu = text(t, "mcu");
  out.runtime = text(t, "runtime");
  const nlohmann::json budgets = t.contains("budgets") ? t["budgets"] : t;
  const auto positive = [](std::optional<double> v, double scale) {
    return v && *v > 0 ? std::optional<double>(*v * scale) : std::nullopt;
  };
  out.max_ram_bytes = positive(number(budgets, "max_ram_kb"), 1024.0);
  out.max_flash_bytes = positive(number(budgets, "max_flash_kb"), 1024.0);
  out.max_latency_ms = positive(number(budgets, "max_latency_ms"), 1.0);
  out.safety_margin = number(budgets, "safety_margin").value_or(0.0);
  if (t.contains("front") && t["front"].is_array())
    for (const auto& m : t["front"]) out.front.emplace_back(text(m, "id"), number(m, "val_accuracy_int8"));
  return out;
}

// The targets of pareto.json; before it exists, config.json's (their budgets as given,
// defaults not filled in), else the boards the history names.
std::vector<ReportTarget> read_targets(const nlohmann::json& pareto, const nlohmann::json& config,
                                       const std::vector<Trial>& trials) {
  std::vector<ReportTarget> targets;
  const nlohmann::json* list = nullptr;
  if (pareto.is_object() && pareto.contains("targets") && pareto["targets"].is_array()) list = &pareto["targets"];
  else if (config.is_object() && config.contains("targets") && config["targets"].is_array()) list = &config["targets"];
  if (list)
    for (const auto& t : *list)
      if (t.is_object() && !text(t, "mcu").empty()) targets.push_back(target_from_json(t));
  std::set<std::string> named;
  for (const auto& t : targets) named.insert(t.mcu);
  for (const Trial& t : trials)
    for (const auto& [mcu, cost] : t.costs)
      if (named.insert(mcu).second) targets.push_back(ReportTarget{mcu, "", {}, {}, {}, 0, {}});
  return targets;
}

// The baselines: run.log names each initial network's identity when the run starts
// ("initial network <id>: <path> ..."); history records do not mark them.
std::set<std::string> baseline_ids(const fs::path& log) {
  std::set<std::string> ids;
  std::ifstream in(log);
  const std::string marker = "initial network ";
  for (std::string line; std::getline(in, line);) {
    const size_t at = line.find(marker);
    if (at == std::string::npos) continue;
    const size_t begin = at + marker.size();
    const size_t end = line.find(':', begin);
    if (end != std::string::npos && end > begin) ids.insert(line.substr(begin, end - begin));
  }
  return ids;
}

void read_proposal_counts(ReportData& data, const nlohmann::json& checkpoint, const nlohmann::json& summary) {
  const nlohmann::json source = checkpoint.is_object() && checkpoint.contains("source") ? checkpoint["source"] : nullptr;
  const auto count = [](std::optional<double> v) { return v ? std::optional<int64_t>(int64_t(*v)) : std::nullopt; };
  data.accepted = count(number(source, "accepted"));
  data.rejected = count(number(source, "rejected"));
  data.duplicates = count(number(source, "duplicates"));
  if (!data.rejected) data.rejected = count(number(summary, "rejected_before_training"));
  if (!data.duplicates) data.duplicates = count(number(summary, "duplicates"));
}

// Each latency interval a model's cost report gives, onto that model's trials.
void attach_latency_intervals(ReportData& data, const std::map<std::string, nlohmann::json>& reports) {
  for (Trial& t : data.trials) {
    const auto it = reports.find(t.id);
    if (it == reports.end()) continue;
    for (auto& [mcu, cost] : t.costs) {
      const auto target = std::find_if(it->second.begin(), it->second.end(),
                                       [&](const nlohmann::json& r) { return text(r, "mcu") == mcu; });
      if (target == it->second.end() || !target->contains("latency_interval_ms")) continue;
      const nlohmann::json& interval = (*target)["latency_interval_ms"];
      cost.latency_low_ms = number(interval, "low");
      cost.latency_high_ms = number(interval, "high");
    }
  }
}

// models/<id>/cost_report.json of every trained candidate (the trial table's latency
// intervals, the Pareto models' details); the "targets" arrays by id.
std::map<std::string, nlohmann::json> read_cost_reports(const fs::path& run, const std::vector<Trial>& trials) {
  std::map<std::string, nlohmann::json> reports;
  for (const Trial& t : trials) {
    if (t.id.empty() || reports.count(t.id)) continue;
    std::vector<std::string> ignored;
    const nlohmann::json report = optional_json(run / "models" / t.id / "cost_report.json", ignored);
    if (report.is_object() && report.contains("targets") && report["targets"].is_array())
      reports[t.id] = report["targets"];
  }
  return reports;
}

std::vector<std::string> exported_files(const fs::path& run, const std::string& id) {
  std::vector<std::string> files;
  std::error_code ec;
  const fs::path dir = run / "export" / id;
  if (!fs::is_directory(dir, ec)) return files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec)) files.push_back(fs::relative(it->path(), run, ec).generic_string());
  std::sort(files.begin(), files.end());
  if (files.size() > kMaxExportedFiles) files.resize(kMaxExportedFiles);
  return files;
}

}  // namespace

std::vector<std::string> pareto_ids(const ReportData& data) {
  std::vector<std::string> ids;
  for (const ReportTarget& t : data.targets)
    for (const auto& [id, accuracy] : t.front)
      if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  return ids;
}

ReportData load_report_data(const std::string& run_dir) {
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec)) throw UserError(run_dir + ": not a run directory (no such directory)");
  const fs::path run = fs::absolute(run_dir).lexically_normal();
  if (!fs::exists(run / kHistoryFile, ec) && !fs::exists(run / "config.json", ec))
    throw UserError(run_dir + ": not a run directory (it has neither history.jsonl nor config.json)");
  ReportData data;
  data.run_dir = run.string();
  data.title = run.filename().empty() ? run.parent_path().filename().string() : run.filename().string();
  const nlohmann::json config = optional_json(run / "config.json", data.notes);
  const nlohmann::json pareto = optional_json(run / "pareto.json", data.notes);
  const nlohmann::json summary = optional_json(run / "summary.json", data.notes);
  const nlohmann::json checkpoint = optional_json(run / "checkpoint.json", data.notes);
  const auto records = history_records((run / kHistoryFile).string(), data.notes);
  const std::set<std::string> baselines = baseline_ids(run / "run.log");
  for (size_t i = 0; i < records.size(); ++i) {
    data.trials.push_back(trial_from_record(records[i], int(i + 1)));
    data.trials.back().baseline = baselines.count(data.trials.back().id) > 0;
  }
  read_rejections(data, run / kRejectionFile);
  data.targets = read_targets(pareto, config, data.trials);
  data.has_pareto = pareto.is_object();
  data.finished = summary.is_object() && summary.value("stopped_early", true) == false;
  data.stop_reason = text(summary, "stop_reason");
  data.wall_seconds = number(summary, "wall_seconds");
  read_proposal_counts(data, checkpoint, summary);
  if (config.is_object() && config.contains("search")) {
    if (const auto n = number(config["search"], "evaluations")) data.planned_evaluations = int64_t(*n);
    data.strategy = text(config["search"], "strategy");
  }
  const auto reports = read_cost_reports(run, data.trials);
  attach_latency_intervals(data, reports);
  for (const std::string& id : pareto_ids(data)) {
    ModelFiles& m = data.models[id];
    if (const auto it = reports.find(id); it != reports.end())
      for (const auto& target : it->second) m.cost_reports[text(target, "mcu")] = target;
    m.exported = exported_files(run, id);
  }
  return data;
}

}  // namespace hwnas
