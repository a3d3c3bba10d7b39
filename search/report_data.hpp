// This file implements the reading side of the run report (report.html): everything the
// report shows, gathered from a run directory as plain values. It reads tolerantly: a run
// directory of an older version, an interrupted run or a live one (no pareto.json or
// summary.json yet, a history line being written) gives a report with gaps, never an
// error. A field that is absent or of the wrong type is std::nullopt, shown as "-".
// Only a path that is not a run directory at all is a UserError.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/proposal_counts.hpp"

namespace hwnas {

/// One target board's costs of one evaluation (history.jsonl's per-target `costs`).
struct TrialCost {
  std::optional<double> ram_bytes, flash_bytes, latency_ms, energy_uj;
  /// The estimator's latency interval (from models/<id>/cost_report.json, when it has one).
  std::optional<double> latency_low_ms, latency_high_ms;
  std::optional<bool> fits;
};

/// One history.jsonl record: one evaluation of one candidate at one rung.
struct Trial {
  int row = 0;  ///< 1-based position in history.jsonl: the table row's anchor (#trial-<row>)
  std::optional<int> index;
  int rung = 0;
  std::string stage;  ///< "search", "promotion", "final" ("" when the record has none)
  std::string id;
  std::string status;
  std::optional<double> val_float, val_int8, test_int8, test_float;
  std::optional<double> params, macs;
  std::optional<double> epochs, train_samples, train_seconds;
  std::map<std::string, TrialCost> costs;  ///< by MCU name
  bool baseline = false;                   ///< one of the config's search.initial_architectures
  /// When it was recorded, in seconds since the Unix epoch ("finished_at"; older runs lack it).
  std::optional<double> finished_at;
  /// Search candidates: the proposal counts once it was proposed ("proposals_so_far").
  std::optional<ProposalCounts> proposals;
};

/// A network the fit check rejected before training (rejected.jsonl): no accuracy, but
/// its costs.
struct RejectedNetwork {
  std::string id;
  std::map<std::string, TrialCost> costs;  ///< by MCU name
  std::string reason;                      ///< the budgets it misses
};

/// A target board as pareto.json (or, before it exists, config.json) names it.
struct ReportTarget {
  std::string mcu;
  std::string runtime;
  /// The budgets in the units the plots use (bytes, ms); unset ones are absent.
  std::optional<double> max_ram_bytes, max_flash_bytes, max_latency_ms;
  double safety_margin = 0;
  /// pareto.json's front: (id, int8 validation accuracy) of each member.
  std::vector<std::pair<std::string, std::optional<double>>> front;
};

/// A Pareto model's cost_report.json (per target) and its exported files.
struct ModelFiles {
  std::map<std::string, nlohmann::json> cost_reports;  ///< by MCU name; the target's JSON object
  std::vector<std::string> exported;  ///< paths relative to the run directory, sorted
};

struct ReportData {
  std::string run_dir;  ///< absolute
  std::string title;    ///< the run directory's name
  std::vector<Trial> trials;  ///< in history order
  std::vector<ReportTarget> targets;
  bool has_pareto = false;    ///< pareto.json was there
  bool finished = false;      ///< summary.json says the run ended without being stopped
  std::string stop_reason;
  std::optional<double> wall_seconds;
  std::optional<int64_t> accepted, rejected, duplicates;  ///< proposals (checkpoint.json / summary.json)
  std::optional<int64_t> planned_evaluations;             ///< search.evaluations
  std::string strategy;
  std::map<std::string, ModelFiles> models;  ///< the Pareto models, by id
  /// rejected.jsonl's networks, each id once, in file order (a capped sample of the rejections).
  std::vector<RejectedNetwork> rejected_networks;
  bool has_rejection_log = false;  ///< rejected.jsonl was there (runs of older versions have none)
  std::vector<std::string> notes;  ///< what could not be read, shown at the top of the report
};

/// Reads `run_dir`. @throws UserError when it does not exist or holds neither
/// history.jsonl nor config.json (not a run directory).
ReportData load_report_data(const std::string& run_dir);

/// The ids of every target's front, each once, in target then front order.
std::vector<std::string> pareto_ids(const ReportData& data);

}  // namespace hwnas
