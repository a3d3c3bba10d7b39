// This file implements load_run_config: the top level of config.json (see docs/config.md).
#include "search/run_config.hpp"

#include <algorithm>
#include <filesystem>

#include "search/config_sections.hpp"
#include "search/target_budgets.hpp"
#include "util/errors.hpp"

namespace hwnas {

RunConfig parse_run_config(const nlohmann::json& value, const std::string& file) {
  namespace fs = std::filesystem;
  const fs::path base_dir = fs::absolute(fs::path(file)).parent_path();
  JsonReader r(value, file);
  RunConfig c;
  c.path = file;
  c.source = value;
  c.dataset = detail::parse_dataset_section(r.child("dataset"), base_dir);
  c.space = detail::parse_space_section(r, "space", base_dir);
  const McuDatabase boards = detail::parse_mcus_section(r, "mcus");
  c.targets = detail::parse_targets_section(r, "targets", boards, base_dir);
  c.search = r.take("search") ? detail::parse_search_section(r.child("search"), base_dir) : SearchConfig{};
  c.training = r.take("training") ? detail::parse_training_section(r.child("training")) : TrainingOptions{};
  c.int8 = r.take("quantization") ? detail::parse_quantization_section(r.child("quantization"))
                                   : Int8Options{};
  c.output = detail::parse_output_section(r.child("output"));
  r.finish();
  // Energy as an objective needs every target's power model.
  const auto& objectives = c.search.objectives;
  if (std::find(objectives.begin(), objectives.end(), CostObjective::kEnergy) != objectives.end())
    for (const TargetConfig& t : c.targets)
      if (t.mcu.active_power_mw <= 0)
        throw ConfigError(file, "/search/objectives",
                          "\"energy\" only when every target board has active_power_mw (" + t.mcu.name + " has none)",
                          "\"energy\"");
  // A floor under a budget that no target sets would reject every candidate.
  for (const BudgetFloor& f : c.search.min_budget_use)
    if (std::none_of(c.targets.begin(), c.targets.end(),
                     [&](const TargetConfig& t) { return budget_limit(t, f.budget) > 0; })) {
      const std::string& name = budget_names()[size_t(f.budget)];
      throw ConfigError(file, "/search/min_budget_use/" + name,
                        "a budget that some target sets (" + std::string(budget_key(f.budget)) + ")",
                        nlohmann::json(f.share).dump());
    }
  return c;
}

void check_searchable(const RunConfig& config) {
  if (config.dataset.validation_fraction <= 0.0)
    throw ConfigError(config.path, "/dataset/validation_fraction",
                      "a number > 0 for a search (candidates are selected on the validation split)", "0");
}

RunConfig load_run_config(const std::string& path) {
  return parse_run_config(read_json_file(path), path);
}

const std::vector<std::string>& budget_names() {
  static const std::vector<std::string> names = {"ram", "flash", "latency", "energy", "model"};
  return names;
}

const char* strategy_name(StrategyKind kind) {
  switch (kind) {
    case StrategyKind::kRandom: return "random";
    case StrategyKind::kAgingEvolution: return "aging_evolution";
    case StrategyKind::kNsga2: return "nsga2";
    case StrategyKind::kLocalSearch: return "local_search";
  }
  return "?";
}

}  // namespace hwnas
