// This file implements the report behind `nas-run space`: what a search space holds
// (its size, and the range of parameters, MACs, activations and footprint bounds over
// a random sample) and writing sampled architectures out as arch.json files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/run_config.hpp"
#include "space/search_space.hpp"

namespace hwnas {

/// Binds the config's space to its dataset's shape (read from the file headers, without
/// loading the data). @throws ConfigError if the space decodes to inconsistent shapes.
SearchSpace make_search_space(const RunConfig& config);

struct MetricRange {
  std::string name;
  double min = 0, median = 0, max = 0;
};

/// The sampled networks' costs on one target, and how many fit its budgets.
struct TargetSpaceStats {
  std::string mcu;
  std::string runtime;
  int fits = 0;  ///< valid samples within every budget of the target
  std::vector<MetricRange> metrics;
};

struct SpaceReport {
  std::string name;
  TensorShape data_shape;
  int classes = 0;
  size_t genes = 0;
  size_t max_active_genes = 0;  ///< most genes one sampled network reads
  double log10_size = 0;
  int samples = 0;
  int distinct = 0;  ///< distinct networks among the samples
  int invalid = 0;   ///< samples that decoded to invalid networks (rare combinations)
  std::string first_invalid;  ///< the first such problem
  uint64_t seed = 0;
  std::vector<MetricRange> metrics;
  std::vector<TargetSpaceStats> targets;
  /// Valid samples that fit every target and meet search.min_budget_use (-1: no floors).
  int fits_floors = -1;
};

/// Decodes `samples` uniform samples drawn with `seed`, and costs each on `targets`
/// (and counting those that fit every target and meet `floors`).
SpaceReport report_space(const SearchSpace& space, int samples, uint64_t seed,
                         const std::vector<TargetConfig>& targets = {}, const std::vector<BudgetFloor>& floors = {});
std::string format_space_report(const SpaceReport& report);
nlohmann::json space_report_json(const SpaceReport& report);

/// Writes `count` distinct sampled networks as DIR/<identity>/arch.json, plus
/// DIR/samples.jsonl (index, identity, genome, params, MACs). DIR must not exist or be
/// empty. Returns how many were written (fewer if the space has fewer networks).
/// @throws UserError if `dir` exists and is not an empty folder (checked before any work).
void require_empty_folder(const std::string& dir);

int write_space_samples(const SearchSpace& space, int count, uint64_t seed, const std::string& dir);

}  // namespace hwnas
