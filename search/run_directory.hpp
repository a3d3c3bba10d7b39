// This file implements RunDirectory, the folder a search writes into:
//   config.json    the config as given (for reproducing the run)
//   history.jsonl  one JSON line per evaluated candidate, appended durably as it finishes
//                  (search/history.hpp)
//   rejected.jsonl one JSON line per network rejected before training (it does not fit a
//                  target): id, genome, costs, reason; the first 2000 of a run, for the
//                  report (search/rejection_log.hpp)
//   summary.json   the run's totals and best candidates (rewritten atomically)
//   pareto.json    the Pareto set of every target (rewritten atomically after every result)
//   checkpoint.json  what a resume needs (search/checkpoint.hpp; rewritten atomically)
//   models/<id>/   per candidate: arch.json, cost_report.json, weights.bin + weights.json
//   run.log        the log, as on the console (appended to by resumed runs)
//   report.html    the run for people (search/run_report.hpp)
//   .nas-run.lock  held (flock) by the one process that writes the directory
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "search/run_config.hpp"
#include "util/folder_lock.hpp"

namespace hwnas {

class RunDirectory {
 public:
  /// Creates the directory named by `output`; if it exists and is not empty, either picks
  /// "<dir>-2", "<dir>-3", ... (if_exists: increment) or fails (if_exists: fail).
  /// @throws UserError.
  static RunDirectory create(const OutputConfig& output);
  /// An existing run directory (to resume). @throws UserError when it is not one.
  static RunDirectory open(const std::string& path);
  /// open(), for a process that will write it (a resumed run): it holds the directory's
  /// lock until it ends. create() takes the lock too. @throws UserError when another
  /// process holds it.
  static RunDirectory open_for_writing(const std::string& path);

  const std::string& path() const { return m_path; }
  std::string file(const std::string& name) const;

  /// Atomic replace of `name` with pretty JSON.
  void write_json(const std::string& name, const nlohmann::json& value) const;
  /// The directory for one candidate's files (created on demand).
  std::string model_dir(const std::string& identity) const;

  RunDirectory(RunDirectory&& other) noexcept : m_path(std::move(other.m_path)), m_lock(std::move(other.m_lock)) {}

 private:
  explicit RunDirectory(std::string path) : m_path(std::move(path)) {}

  std::string m_path;
  std::unique_ptr<FolderLock> m_lock;  ///< held by the process that writes the directory
};

}  // namespace hwnas
