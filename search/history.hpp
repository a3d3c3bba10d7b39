// This file implements history.jsonl, a run's record of results: one JSON line per
// finished evaluation, appended durably as it finishes, never rewritten. It is the only
// code that writes or reads the file (resume, export, the report). One rule for a line
// cut short by a kill (no final newline): it is not a record. Readers skip it and leave
// the file alone (a live run may be writing it); a run that appends again first cuts it
// off, so its next line starts on a line of its own.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace hwnas {

/// The file name inside a run directory.
inline constexpr const char* kHistoryFile = "history.jsonl";

/// A record's wall-clock time ("finished_at"): UTC in ISO 8601 with milliseconds,
/// "2026-12-07T23:12:34.567Z". Wall time, not a steady clock: records of a resumed run,
/// written by other processes (or machines), stay on one time line.
std::string history_timestamp(std::chrono::system_clock::time_point when = std::chrono::system_clock::now());
/// Seconds since the Unix epoch of a history_timestamp (any number of decimals, or none);
/// nothing when `text` is not one.
std::optional<double> parse_history_timestamp(const std::string& text);

/// Every complete record of `path` in file order; none when the file does not exist.
/// @throws UserError naming the file and line of a complete line that is not a JSON object.
std::vector<nlohmann::json> read_history(const std::string& path);

/// Search records by (candidate index, rung); the first line of a key counts (an
/// evaluation is recorded once: a resumed run never repeats a recorded one).
using HistoryRecords = std::map<std::pair<int, int>, nlohmann::json>;
/// @throws UserError naming a record without an integer "index".
HistoryRecords records_by_evaluation(const std::vector<nlohmann::json>& records, const std::string& path);

/// The record of each candidate identity at its highest rung: the one its saved files are of.
std::map<std::string, nlohmann::json> latest_record_per_candidate(const std::vector<nlohmann::json>& records);

/// Appends records to one history file. Thread-safe: lines from concurrent evaluations
/// never interleave.
class HistoryWriter {
 public:
  /// Cuts an incomplete last line (left by a kill) off an existing file.
  /// @throws UserError when the file cannot be repaired.
  explicit HistoryWriter(std::string path);
  /// Appends `record` as one line and fsyncs; a failed append leaves no part of it.
  /// @throws EnvironmentError on I/O failure.
  void append(const nlohmann::json& record);
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
  std::mutex m_mutex;
};

}  // namespace hwnas
