// This file implements RunConfig, the validated form of a run's config.json, and its
// loader. Everything is checked here, once (unknown keys, types, ranges, MCUs that
// exist, data files that exist); nothing downstream re-checks. Every key is documented
// in docs/config.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "estimators/cost_model.hpp"
#include "estimators/mcu_database.hpp"
#include "space/architecture.hpp"
#include "space/space_spec.hpp"
#include "trainers/data/dataset_config.hpp"
#include "trainers/training/training_options.hpp"

namespace hwnas {

/// One board the found networks must fit, under one runtime, with its budgets (already
/// reduced by nothing: the safety margin is applied when checking).
struct TargetConfig {
  McuSpec mcu;
  CostTarget cost;          ///< the board with its runtime profile and latency coefficients
  double max_ram_kb = 0;    ///< default: the board's SRAM
  double max_flash_kb = 0;  ///< default: the board's flash
  double max_latency_ms = 0;  ///< 0: no latency budget
  double max_energy_uj = 0;   ///< 0: no energy budget
  /// 0: no model-size budget. The model is what a .tflite file (or the generated C arrays)
  /// holds: weights, biases, quantisation parameters and metadata, not the runtime's code.
  double max_model_kb = 0;
  double safety_margin = 0.1;  ///< a candidate must fit in (1 - margin) x budget
  /// latency_bound "upper": the latency and energy budgets apply to the upper end of the
  /// latency's 90% prediction interval instead of the estimate ("estimate", the default).
  bool latency_upper_bound = false;
};

/// A budget of a target, by its config name (max_ram_kb is "ram", and so on).
enum class Budget { kRam, kFlash, kLatency, kEnergy, kModel };
/// The config names, in the order of Budget: "ram", "flash", "latency", "energy", "model".
const std::vector<std::string>& budget_names();

/// search.min_budget_use: a candidate must use at least `share` of `budget`.
struct BudgetFloor {
  Budget budget = Budget::kLatency;
  double share = 0;
  bool operator==(const BudgetFloor&) const = default;
};

enum class StrategyKind { kRandom, kAgingEvolution, kNsga2, kLocalSearch };

/// The config name of a strategy ("random", "aging_evolution", "nsga2").
const char* strategy_name(StrategyKind kind);

/// A cost the multi-objective strategies minimise (on every target).
enum class CostObjective { kLatency, kRam, kFlash, kEnergy };

/// How much training one evaluation gets (a fidelity level of the search).
struct FidelitySpec {
  int epochs = 0;             ///< 0: training.epochs
  int64_t train_samples = 0;  ///< 0: the whole training split; else a class-stratified subset
  /// 0: training.learning_rate. A short schedule needs a larger peak rate than the full
  /// recipe's: with the recipe's rate, networks that learn slowly (depthwise-separable
  /// stacks into global pooling) rank far below where they end (docs/search.md).
  double learning_rate = 0;
  bool operator==(const FidelitySpec&) const = default;
};

/// A network the search evaluates first (search.initial_architectures), before any
/// uniform sample: a baseline to improve on, or the best of an earlier run.
struct InitialArchitecture {
  std::string path;     ///< the arch.json, resolved against the config's folder
  std::string pointer;  ///< where the config names it, for errors
  std::shared_ptr<const Architecture> arch;
};

struct SearchConfig {
  StrategyKind strategy = StrategyKind::kRandom;
  int evaluations = 10;           ///< candidates to train
  uint64_t seed = 1;
  double max_wall_minutes = 0;    ///< 0: no wall-time budget
  double target_accuracy = 0;     ///< stop once a candidate's int8 validation accuracy reaches it (0: never)
  int max_rejections = 10000;     ///< consecutive infeasible samples before giving up
  /// Floors under budgets: a candidate must use at least this share of each named budget
  /// on some target that sets it (none: no floor). TinyNAS's observation: within fixed
  /// budgets the networks that use them are the accurate ones, while uniform samples and
  /// mutations from a network on its budgets drift to small, weak ones.
  std::vector<BudgetFloor> min_budget_use;
  /// Candidates in flight at once. Candidate k is proposed once the results of candidates
  /// 0 .. k - parallel are known, so results do not depend on timing or thread count.
  int parallel = 2;
  int population_size = 20;       ///< evolution: population (and the initial random samples)
  int sample_size = 5;            ///< aging evolution: tournament size
  int mutation_changes = 1;       ///< genes a mutation changes
  std::vector<CostObjective> objectives = {CostObjective::kLatency, CostObjective::kRam, CostObjective::kFlash};
  /// Multi-fidelity: the strategy sees results at `fidelity` (rung 0). After the search,
  /// successive halving promotes the best 1/promotion_eta of each rung (in the order of
  /// search/retraining_order.hpp) to the next of `promotions`; then, with retrain_final, the
  /// Pareto sets are trained again with the full recipe (the training section).
  FidelitySpec fidelity;
  std::vector<FidelitySpec> promotions;
  double promotion_eta = 3.0;
  bool retrain_final = true;
  /// The int8 validation accuracy a model must reach to be of use: candidates below it at
  /// a rung are not promoted, not retrained and not in pareto.json (0: no floor). It keeps
  /// fast but useless networks (a 20%-accurate one is the fastest of all) out of the fronts.
  double min_accuracy = 0;
  /// At most this many models retrained by the final rung (0: every Pareto-set member),
  /// chosen like promotions (search/rung_selection.hpp).
  int max_final = 0;
  /// Trainings of each model in the final stage, from different seeds. Selection and the
  /// reported accuracies use their mean; the weights kept are those of the training with
  /// the best int8 validation accuracy. One training's accuracy varies by a few tenths of
  /// a point with its seed, as much as good networks of equal cost differ.
  int final_seeds = 1;
  /// Evaluated first, in this order, before the strategy's uniform samples (they count
  /// among its population_size initial proposals). Each must be a member of the space
  /// and fit every target; checked when the run starts.
  std::vector<InitialArchitecture> initial_architectures;
};

enum class IfExists { kIncrement, kFail };

struct OutputConfig {
  std::string dir = "runs/run";  ///< absolute after loading
  IfExists if_exists = IfExists::kIncrement;
};

struct RunConfig {
  std::string path;  ///< the config file
  DatasetConfig dataset;
  std::shared_ptr<const SpaceSpec> space;  ///< parsed; bound to the data by SearchSpace
  std::vector<TargetConfig> targets;
  SearchConfig search;
  TrainingOptions training;
  Int8Options int8;  ///< the "quantization" section
  OutputConfig output;
  nlohmann::json source;  ///< the config as written, kept in the run directory
};

/// Reads and validates a config file. Relative paths inside it are resolved against the
/// config file's folder. @throws ConfigError / UserError with file and JSON pointer.
RunConfig load_run_config(const std::string& path);

/// What a search needs beyond a valid config (`nas-run train` does not): a validation
/// split to select candidates with. @throws ConfigError naming the field.
void check_searchable(const RunConfig& config);

/// Validates an already parsed config (`file` names it in errors).
RunConfig parse_run_config(const nlohmann::json& value, const std::string& file);

}  // namespace hwnas
