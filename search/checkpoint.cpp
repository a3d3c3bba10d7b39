// This file implements the search checkpoint (see checkpoint.hpp).
#include "search/checkpoint.hpp"

#include <cstdio>
#include <filesystem>
#include <limits>

#include <spdlog/spdlog.h>
#include <zlib.h>

#include "util/atomic_file.hpp"
#include "util/errors.hpp"
#include "util/json_reader.hpp"

namespace hwnas {

namespace {

// Version 2 added the checksum; version 1 files (older runs) are still read.
constexpr const char* kFormat = "hwnas-checkpoint-2";
constexpr const char* kFormatWithoutChecksum = "hwnas-checkpoint-1";
// A pending search candidate's proposal counts (Candidate::proposals); optional.
constexpr const char* kProposalsKey = "proposals_so_far";

// The part of a config the hash covers.
nlohmann::json hashed_part(nlohmann::json config) {
  const std::function<void(nlohmann::json&)> strip_comments = [&](nlohmann::json& j) {
    if (j.is_object()) {
      for (auto it = j.begin(); it != j.end();) {
        if (is_comment_key(it.key())) it = j.erase(it);
        else strip_comments(*it++);
      }
    } else if (j.is_array()) {
      for (auto& e : j) strip_comments(e);
    }
  };
  if (!config.is_object()) return config;
  config.erase("output");
  if (config.contains("search") && config["search"].is_object())
    for (const char* budget : {"evaluations", "max_wall_minutes", "target_accuracy"}) config["search"].erase(budget);
  strip_comments(config);
  return config;
}

// CRC-32 of the checkpoint without its checksum field, as "crc32:<8 hex digits>". The dump
// of a parsed checkpoint is the text it was made from (objects keep sorted keys, numbers
// round-trip), so the reader recomputes it from what it parsed.
std::string checksum_of(nlohmann::json j) {
  j.erase("checksum");
  const std::string text = j.dump();
  const uLong crc = ::crc32(::crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(text.data()), uInt(text.size()));
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc));
  return std::string("crc32:") + hex;
}

// A count or index of the checkpoint: an integer within an int (a damaged or edited file
// must not turn into a negative count).
int count_at(const nlohmann::json& j, const char* key, const std::string& path, const std::string& pointer = "") {
  const nlohmann::json& v = j.at(key);
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > std::numeric_limits<int>::max())
    throw ConfigError(path, pointer + "/" + key, "an integer in [0, " + std::to_string(std::numeric_limits<int>::max()) + "]",
                      describe_json(v));
  return v.get<int>();
}

// A pending candidate's proposal counts: absent in files written before they were
// recorded (then the candidate's history line will lack them, nothing else).
std::optional<ProposalCounts> proposal_counts_at(const nlohmann::json& pending, const std::string& path,
                                                 const std::string& pointer) {
  const auto it = pending.find(kProposalsKey);
  if (it == pending.end()) return std::nullopt;
  ProposalCounts c;
  for (auto [key, count] : {std::pair{"accepted", &c.accepted}, {"rejected", &c.rejected}, {"duplicates", &c.duplicates}}) {
    const nlohmann::json v = it->is_object() ? it->value(key, nlohmann::json()) : nlohmann::json();
    if (!v.is_number_integer() || v.get<int64_t>() < 0)
      throw ConfigError(path, pointer + "/" + kProposalsKey + "/" + key, "a count (an integer >= 0)", describe_json(v));
    *count = v.get<int64_t>();
  }
  return c;
}

Checkpoint read_one_checkpoint(const std::string& path) {
  const nlohmann::json j = read_json_file(path);
  try {
    if (!j.is_object()) throw ConfigError(path, "", "a checkpoint object", describe_json(j));
    const std::string format = j.value("format", "");
    if (format != kFormat && format != kFormatWithoutChecksum)
      throw ConfigError(path, "/format", "\"" + std::string(kFormat) + "\"", describe_json(j.value("format", nlohmann::json())));
    if (format == kFormat && j.value("checksum", "") != checksum_of(j))
      throw UserError(path + ": damaged (its checksum does not match its content)");
    Checkpoint c;
    c.config_hash = j.at("config_hash").get<std::string>();
    c.config_path = j.at("config_path").get<std::string>();
    c.proposed = count_at(j, "proposed", path);
    c.observed = count_at(j, "observed", path);
    c.phase = count_at(j, "phase", path);
    const nlohmann::json& pending = j.at("pending");
    for (size_t i = 0; i < pending.size(); ++i) {
      const std::string at = "/pending/" + std::to_string(i);
      c.pending.push_back({count_at(pending[i], "index", path, at), count_at(pending[i], "rung", path, at),
                           pending[i].at("genome").get<Genome>(), proposal_counts_at(pending[i], path, at)});
    }
    c.strategy = j.at("strategy");
    c.source = j.at("source");
    c.finished = j.at("finished").get<bool>();
    c.stop_reason = j.at("stop_reason").get<std::string>();
    if (c.observed > c.proposed)
      throw UserError(path + ": damaged (it has seen " + std::to_string(c.observed) + " results of " +
                      std::to_string(c.proposed) + " proposals)");
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw UserError(path + ": not a valid checkpoint (" + e.what() + ")");
  }
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& c) {
  nlohmann::json pending = nlohmann::json::array();
  for (const auto& p : c.pending) {
    nlohmann::json entry = {{"index", p.index}, {"rung", p.rung}, {"genome", p.genome}};
    if (p.proposals) entry[kProposalsKey] = *p.proposals;
    pending.push_back(std::move(entry));
  }
  nlohmann::json j = {{"format", kFormat},          {"config_hash", c.config_hash},
                      {"config_path", c.config_path}, {"proposed", c.proposed},
                      {"observed", c.observed},      {"phase", c.phase},
                      {"pending", pending},
                      {"strategy", c.strategy},      {"source", c.source},
                      {"finished", c.finished},      {"stop_reason", c.stop_reason}};
  j["checksum"] = checksum_of(j);
  // The generation before this one stays beside it: if this file is ever found damaged,
  // a resume goes on from that one (history.jsonl holds every result since).
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) write_file_atomically(previous_checkpoint_path(path), read_file_text(path));
  write_file_atomically(path, j.dump() + "\n");
}

std::string previous_checkpoint_path(const std::string& path) {
  const std::filesystem::path p(path);
  return (p.parent_path() / (p.stem().string() + ".prev" + p.extension().string())).string();
}

Checkpoint load_checkpoint(const std::string& path) {
  std::string damage;
  try {
    return read_one_checkpoint(path);
  } catch (const UserError& e) {
    damage = e.what();
  }
  const std::string previous = previous_checkpoint_path(path);
  std::error_code ec;
  if (!std::filesystem::exists(previous, ec)) throw UserError(damage);
  try {
    Checkpoint c = read_one_checkpoint(previous);
    spdlog::warn("{}; going on from the previous checkpoint {} (the results since are in history.jsonl)", damage,
                 previous);
    return c;
  } catch (const UserError& e) {
    throw UserError(damage + "; the previous one is no better: " + e.what());
  }
}

std::string config_hash(const nlohmann::json& source) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (const unsigned char ch : hashed_part(source).dump()) {
    h ^= ch;
    h *= 0x100000001b3ULL;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

std::string first_config_difference(const nlohmann::json& a, const nlohmann::json& b) {
  const nlohmann::json patch = nlohmann::json::diff(hashed_part(a), hashed_part(b));
  return patch.empty() ? "" : patch[0].value("path", "/");
}

}  // namespace hwnas
