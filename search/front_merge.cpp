// This file implements merge_fronts (see front_merge.hpp).
#include "search/front_merge.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include "search/pareto.hpp"
#include "util/errors.hpp"
#include "util/json_reader.hpp"

namespace hwnas {

namespace {

struct MergedTarget {
  nlohmann::json objectives;
  std::vector<std::string> runs;
  std::map<std::string, nlohmann::json> entries;  ///< by network identity
};

double accuracy_of(const nlohmann::json& entry) { return entry.value("val_accuracy_int8", -1.0); }

// The objective point of an entry ("max val_accuracy_int8", "min latency_ms", ...), all minimised.
ObjectivePoint point_of(const nlohmann::json& entry, const nlohmann::json& objectives, const std::string& where) {
  ObjectivePoint p;
  for (const auto& objective : objectives) {
    const std::string text = objective.get<std::string>();
    const bool maximise = text.rfind("max ", 0) == 0;
    const std::string key = text.substr(4);
    const auto it = entry.find(key);
    const double value = it != entry.end() && it->is_number() ? it->get<double>() : 0.0;
    if (it == entry.end() && key != "energy_uj") throw UserError(where + ": a front entry has no \"" + key + "\"");
    p.push_back(maximise ? -value : value);
  }
  return p;
}

}  // namespace

nlohmann::json merge_fronts(const std::vector<std::string>& run_dirs) {
  if (run_dirs.empty()) throw UserError("nas-run merge: name at least one run directory");
  std::map<std::pair<std::string, std::string>, MergedTarget> targets;
  std::vector<std::string> runs;
  for (const std::string& dir : run_dirs) {
    const std::string path = dir + "/pareto.json";
    if (!std::filesystem::exists(path)) throw UserError(path + ": missing: the run has no Pareto set yet");
    const std::string run = std::filesystem::absolute(dir).lexically_normal().string();
    runs.push_back(run);
    const nlohmann::json doc = read_json_file(path);
    for (const auto& target : doc.value("targets", nlohmann::json::array())) {
      MergedTarget& merged = targets[{target.value("mcu", ""), target.value("runtime", "")}];
      const nlohmann::json objectives = target.value("objectives", nlohmann::json::array());
      if (merged.runs.empty()) merged.objectives = objectives;
      if (merged.objectives != objectives)
        throw UserError(path + ": target " + target.value("mcu", "") + " ranks by " + objectives.dump() + ", " +
                        merged.runs.front() + " by " + merged.objectives.dump() + ": merge runs of one objective set");
      merged.runs.push_back(run);
      for (nlohmann::json entry : target.value("front", nlohmann::json::array())) {
        entry["run_dir"] = run;
        const std::string id = entry.value("id", "");
        auto [it, inserted] = merged.entries.emplace(id, entry);
        if (!inserted && accuracy_of(entry) > accuracy_of(it->second)) it->second = entry;
      }
    }
  }
  nlohmann::json out_targets = nlohmann::json::array();
  for (const auto& [key, merged] : targets) {
    std::vector<nlohmann::json> entries;
    std::vector<ObjectivePoint> points;
    for (const auto& [id, entry] : merged.entries) {
      entries.push_back(entry);
      points.push_back(point_of(entry, merged.objectives, entry["run_dir"].get<std::string>() + "/pareto.json"));
    }
    std::vector<nlohmann::json> front;
    for (size_t i : pareto_front(points)) front.push_back(entries[i]);
    std::sort(front.begin(), front.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
      return accuracy_of(a) != accuracy_of(b) ? accuracy_of(a) > accuracy_of(b) : a.value("id", "") < b.value("id", "");
    });
    out_targets.push_back({{"mcu", key.first},
                           {"runtime", key.second},
                           {"objectives", merged.objectives},
                           {"runs", merged.runs},
                           {"front", front}});
  }
  return {{"runs", runs}, {"targets", out_targets}};
}

}  // namespace hwnas
