// This file implements the search checkpoint (see checkpoint.hpp).
#include "search/checkpoint.hpp"

#include <cstdio>

#include "util/atomic_file.hpp"
#include "util/errors.hpp"
#include "util/json_reader.hpp"

namespace hwnas {

namespace {

constexpr const char* kFormat = "hwnas-checkpoint-1";

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

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& c) {
  nlohmann::json pending = nlohmann::json::array();
  for (const auto& p : c.pending) pending.push_back({{"index", p.index}, {"rung", p.rung}, {"genome", p.genome}});
  const nlohmann::json j = {{"format", kFormat},          {"config_hash", c.config_hash},
                            {"config_path", c.config_path}, {"proposed", c.proposed},
                            {"observed", c.observed},      {"phase", c.phase},
                            {"pending", pending},
                            {"strategy", c.strategy},      {"source", c.source},
                            {"finished", c.finished},      {"stop_reason", c.stop_reason}};
  write_file_atomically(path, j.dump() + "\n");
}

Checkpoint load_checkpoint(const std::string& path) {
  const nlohmann::json j = read_json_file(path);
  try {
    if (j.at("format") != kFormat)
      throw UserError(path + ": /format: expected \"" + std::string(kFormat) + "\", got " + describe_json(j.at("format")));
    Checkpoint c;
    c.config_hash = j.at("config_hash").get<std::string>();
    c.config_path = j.at("config_path").get<std::string>();
    c.proposed = j.at("proposed").get<int>();
    c.observed = j.at("observed").get<int>();
    c.phase = j.at("phase").get<int>();
    for (const auto& p : j.at("pending"))
      c.pending.push_back({p.at("index").get<int>(), p.at("rung").get<int>(), p.at("genome").get<Genome>()});
    c.strategy = j.at("strategy");
    c.source = j.at("source");
    c.finished = j.at("finished").get<bool>();
    c.stop_reason = j.at("stop_reason").get<std::string>();
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw UserError(path + ": not a valid checkpoint (" + e.what() + ")");
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
