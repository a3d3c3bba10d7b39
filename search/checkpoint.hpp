// This file implements the search checkpoint (checkpoint.json in the run directory): all
// the state a run needs to continue exactly where it was, written atomically after every
// result the strategy sees. Finished evaluations themselves live in history.jsonl
// (appended durably as they finish), so a run killed at any moment loses none: on resume,
// pending candidates that already have a history line are taken from it, the rest are
// evaluated again with the same seed (which gives the same result).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/proposal_counts.hpp"
#include "space/search_space.hpp"

namespace hwnas {

struct PendingCandidate {
  int index = 0;
  int rung = 0;
  Genome genome;
  /// A search candidate's Candidate::proposals (none in checkpoints written before they
  /// existed, and for later rungs).
  std::optional<ProposalCounts> proposals;
};

struct Checkpoint {
  std::string config_hash;    ///< config_hash() of the run's config
  std::string config_path;    ///< the config file the run started from (resolves its relative paths)
  int proposed = 0;           ///< candidates 0 .. proposed-1 have been proposed
  int observed = 0;           ///< the strategy has seen candidates 0 .. observed-1
  int phase = 0;              ///< 0: search; r >= 1: evaluating rung r (promotions, final retraining)
  std::vector<PendingCandidate> pending;  ///< proposed, not yet seen by the strategy
  nlohmann::json strategy;    ///< Strategy::state()
  nlohmann::json source;      ///< ProposalSource::state()
  bool finished = false;      ///< the run ended on its budget (a resume with a larger one continues)
  std::string stop_reason;    ///< why the last invocation stopped
};

/// Atomic replace of `path`, with a format version and a CRC-32 of the content; the file it
/// replaces becomes previous_checkpoint_path(path). @throws EnvironmentError on I/O errors.
void save_checkpoint(const std::string& path, const Checkpoint& c);
/// The checkpoint in `path`; when that is missing, truncated, fails its checksum or holds
/// impossible values, the previous generation (with a warning).
/// @throws UserError (one line, naming the files) when neither is usable.
Checkpoint load_checkpoint(const std::string& path);
/// Where the generation before `path` is kept: "checkpoint.prev.json" beside "checkpoint.json".
std::string previous_checkpoint_path(const std::string& path);

/// Hash (FNV-1a, hex) of everything in a config that decides a run's results: all of it
/// except the budgets a resume may raise (search.evaluations, search.max_wall_minutes,
/// search.target_accuracy), the output section and "_" comments.
std::string config_hash(const nlohmann::json& source);
/// The first JSON pointer where two configs differ in what config_hash covers ("" if none).
std::string first_config_difference(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace hwnas
