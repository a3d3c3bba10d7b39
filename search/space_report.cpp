// This file implements the `nas-run space` report (see space_report.hpp).
#include "search/space_report.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "estimators/footprint_bounds.hpp"
#include "search/target_budgets.hpp"
#include "space/arch_json.hpp"
#include "util/atomic_file.hpp"
#include "util/errors.hpp"

namespace hwnas {

namespace {

namespace fs = std::filesystem;

/// Consecutive repeats after which a small space counts as exhausted.
constexpr int kMaxRepeatsInARow = 10000;

MetricRange range_of(const std::string& name, std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return {name, values.front(), values[values.size() / 2], values.back()};
}

int64_t largest_activation(const Architecture& arch) {
  int64_t largest = arch.input_shape().elements();
  for (size_t i = 0; i < arch.size(); ++i) largest = std::max(largest, arch.stats(i).output_elements);
  return largest;
}

// Per-target costs of the valid samples, accumulated one network at a time.
struct TargetAccumulator {
  const TargetConfig* target;
  int fits = 0;
  std::vector<double> ram, flash, latency;

  void add(const TargetCost& cost) {
    const CostEstimate& e = cost.costs;
    fits += cost.fits ? 1 : 0;
    ram.push_back(double(e.ram.total()));
    flash.push_back(double(e.flash.total()));
    latency.push_back(e.latency_ms);
  }
  TargetSpaceStats stats() const {
    return {target->mcu.name, target->cost.profile.name, fits,
            {range_of("RAM (bytes)", ram), range_of("flash (bytes)", flash), range_of("latency (ms)", latency)}};
  }
};

}  // namespace

SearchSpace make_search_space(const RunConfig& config) {
  const DatasetShape data = probe_dataset(config.dataset);
  return SearchSpace(config.space, data.sample_shape, data.num_classes);
}

SpaceReport report_space(const SearchSpace& space, int samples, uint64_t seed, const std::vector<TargetConfig>& targets,
                         const std::vector<BudgetFloor>& floors) {
  SpaceReport r;
  r.name = space.name();
  r.data_shape = space.data_shape();
  r.classes = space.classes();
  r.genes = space.genome_size();
  r.log10_size = space.log10_size();
  r.samples = samples;
  r.seed = seed;
  std::mt19937_64 rng(seed);
  std::set<std::string> seen;
  std::vector<double> params, macs, layers, activation, ram, flash, resolution;
  std::vector<TargetAccumulator> per_target;
  for (const auto& t : targets) per_target.push_back({&t, 0, {}, {}, {}});
  if (!floors.empty()) r.fits_floors = 0;
  for (int i = 0; i < samples; ++i) {
    const Genome genome = space.sample(rng);
    std::optional<DecodedNetwork> decoded;
    try {
      decoded = space.decode_detailed(genome);
    } catch (const SpaceDecodeError& e) {
      if (r.invalid++ == 0) r.first_invalid = e.what();
      continue;
    }
    const DecodedNetwork& n = *decoded;
    seen.insert(n.identity);
    r.max_active_genes = std::max(r.max_active_genes, size_t(std::count(n.active.begin(), n.active.end(), 1)));
    const FootprintBounds bounds = footprint_bounds(n.arch);
    params.push_back(double(n.arch.total_params()));
    macs.push_back(double(n.arch.total_macs()));
    layers.push_back(double(n.arch.size()));
    activation.push_back(double(largest_activation(n.arch)));
    ram.push_back(double(bounds.ram_bytes));
    flash.push_back(double(bounds.flash_bytes));
    resolution.push_back(double(n.arch.input_shape().h) * n.arch.input_shape().w);
    const std::vector<TargetCost> costs = cost_on_targets(n.arch, targets);
    for (size_t t = 0; t < costs.size(); ++t) per_target[t].add(costs[t]);
    if (!floors.empty())
      r.fits_floors += fits_all(costs) && budget_floor_shortfalls(costs, targets, floors).empty() ? 1 : 0;
  }
  r.distinct = int(seen.size());
  if (samples > r.invalid)
    r.metrics = {range_of("parameters", params),
                 range_of("MACs", macs),
                 range_of("layers", layers),
                 range_of("input pixels (h*w)", resolution),
                 range_of("largest activation (elements)", activation),
                 range_of("peak activations (int8 bytes, >=)", ram),
                 range_of("weights (int8 bytes, >=)", flash)};
  if (samples > r.invalid)
    for (const auto& acc : per_target) r.targets.push_back(acc.stats());
  return r;
}

std::string format_space_report(const SpaceReport& r) {
  const TensorShape& s = r.data_shape;
  std::string out = fmt::format("space '{}' on input {}x{}x{}, {} classes\n", r.name, s.h, s.w, s.c, r.classes);
  out += fmt::format("  genes: {}", r.genes);
  out += r.samples > r.invalid ? fmt::format(" (at most {} read by one sampled network)\n", r.max_active_genes) : "\n";
  out += fmt::format("  size: 10^{:.2f} networks (distinct genomes once unread genes are ignored)\n", r.log10_size);
  if (r.samples == 0) return out;
  if (r.invalid > 0)
    out += fmt::format("  {} of {} samples decoded to invalid networks (the search rejects them), e.g. {}\n",
                       r.invalid, r.samples, r.first_invalid);
  if (r.metrics.empty()) return out;
  out += fmt::format("  over {} uniform samples (seed {}), {} distinct networks:\n", r.samples, r.seed, r.distinct);
  out += fmt::format("    {:<36}{:>14}{:>14}{:>14}\n", "", "min", "median", "max");
  for (const auto& m : r.metrics)
    out += fmt::format("    {:<36}{:>14.0f}{:>14.0f}{:>14.0f}\n", m.name, m.min, m.median, m.max);
  const int valid = r.samples - r.invalid;
  for (const auto& t : r.targets) {
    out += fmt::format("  on {} ({}): {} of {} valid samples fit the budgets ({:.1f} %)\n", t.mcu, t.runtime, t.fits,
                       valid, 100.0 * t.fits / valid);
    for (const auto& m : t.metrics)
      out += fmt::format("    {:<36}{:>14.6g}{:>14.6g}{:>14.6g}\n", m.name, m.min, m.median, m.max);
  }
  if (r.fits_floors >= 0)
    out += fmt::format("  {} of {} valid samples ({:.1f} %) fit every target and use search.min_budget_use of its budgets\n",
                       r.fits_floors, valid, 100.0 * r.fits_floors / valid);
  return out;
}

namespace {

nlohmann::json targets_json(const SpaceReport& r) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& t : r.targets) {
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& m : t.metrics) metrics[m.name] = {{"min", m.min}, {"median", m.median}, {"max", m.max}};
    list.push_back({{"mcu", t.mcu}, {"runtime", t.runtime}, {"fits", t.fits}, {"metrics", metrics}});
  }
  return list;
}

}  // namespace

nlohmann::json space_report_json(const SpaceReport& r) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& m : r.metrics) metrics[m.name] = {{"min", m.min}, {"median", m.median}, {"max", m.max}};
  return {{"name", r.name},
          {"input", {r.data_shape.h, r.data_shape.w, r.data_shape.c}},
          {"classes", r.classes},
          {"genes", r.genes},
          {"max_active_genes", r.max_active_genes},
          {"log10_size", r.log10_size},
          {"samples", r.samples},
          {"distinct", r.distinct},
          {"invalid", r.invalid},
          {"seed", r.seed},
          {"metrics", metrics},
          {"targets", targets_json(r)},
          {"fits_min_budget_use", r.fits_floors >= 0 ? nlohmann::json(r.fits_floors) : nlohmann::json()}};
}

void require_empty_folder(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    throw UserError(dir + ": exists and is not empty (choose another --out)");
}

int write_space_samples(const SearchSpace& space, int count, uint64_t seed, const std::string& dir) {
  require_empty_folder(dir);
  create_folders(dir);
  std::mt19937_64 rng(seed);
  std::set<std::string> seen;
  int written = 0, repeats = 0;
  while (written < count && repeats < kMaxRepeatsInARow) {
    Genome genome = space.sample(rng);
    std::optional<DecodedNetwork> decoded;
    try {
      decoded = space.decode_detailed(genome);
    } catch (const SpaceDecodeError&) {
      ++repeats;  // an invalid network is skipped like a repeat
      continue;
    }
    const DecodedNetwork& n = *decoded;
    if (!seen.insert(n.identity).second) {
      ++repeats;
      continue;
    }
    repeats = 0;
    create_folders((fs::path(dir) / n.identity).string());
    save_architecture(n.arch, (fs::path(dir) / n.identity / "arch.json").string());
    const nlohmann::json line = {{"index", written},        {"identity", n.identity},
                                 {"genome", genome},        {"params", n.arch.total_params()},
                                 {"macs", n.arch.total_macs()}};
    append_line_durably((fs::path(dir) / "samples.jsonl").string(), line.dump());
    ++written;
  }
  return written;
}

}  // namespace hwnas
