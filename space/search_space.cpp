// This file implements SearchSpace's binding to the data, its load-time check and its
// size (see search_space.hpp); decoding and the operators live in space_decoder.cpp
// and space_operators.cpp.
#include "space/search_space.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "space/block_catalog.hpp"
#include "util/errors.hpp"
#include "util/stop_signal.hpp"

namespace hwnas {

namespace {

/// Random genomes the load-time check decodes besides the extreme ones. Fixed seed: the
/// check's verdict must not vary between runs.
constexpr int kCheckSamples = 256;
constexpr uint64_t kCheckSeed = 0x5eed5bace;
/// Layers the random genomes of the check may decode in all: a space of thousands-of-layer
/// networks is checked on fewer of them, so that loading it takes seconds, not minutes.
/// Counted in layers, not seconds, so that the verdict is the same on every machine.
constexpr size_t kCheckLayerBudget = 1'000'000;

/// log10(sum of 10^x) without overflow.
double log10_sum(const std::vector<double>& logs) {
  if (logs.empty()) return -INFINITY;
  const double top = *std::max_element(logs.begin(), logs.end());
  double sum = 0;
  for (double x : logs) sum += std::pow(10.0, x - top);
  return top + std::log10(sum);
}

double log10_card(const SpaceSpec& spec, const ValueSlot& slot) {
  return slot.is_fixed() ? 0.0 : std::log10(double(spec.genes[size_t(slot.gene)].values.size()));
}

bool kind_takes(BlockKind kind, const std::string& key) {
  const auto& params = block_kind_info(kind).params;
  return std::find(params.begin(), params.end(), key) != params.end();
}

/// Index of the value that maximises (or minimises) `size`.
template <typename Size>
int extreme_index(const Gene& gene, Size size, bool largest) {
  int best = 0;
  for (size_t i = 1; i < gene.values.size(); ++i) {
    const double a = size(gene.values[i]), b = size(gene.values[size_t(best)]);
    if (largest ? a > b : a < b) best = int(i);
  }
  return best;
}

}  // namespace

SearchSpace::SearchSpace(std::shared_ptr<const SpaceSpec> spec, TensorShape data_shape, int classes)
    : m_spec(std::move(spec)), m_data_shape(data_shape), m_classes(classes) {
  check_decodes();
}

void SearchSpace::check_decodes() const {
  const auto check = [&](const Genome& g) {
    throw_if_stop_requested();  // a huge space takes a while: stay stoppable
    try {
      return decode_detailed(g).arch.size();
    } catch (const SpaceDecodeError& e) {
      const StageSpec& stage = m_spec->stages[size_t(e.stage())];
      throw ConfigError::with_message(stage.file, stage.pointer,
                                      "inconsistent shapes for input " + m_data_shape.str() + ": " + e.problem());
    }
  };
  for (const Genome& g : {first_genome(), last_genome(), worst_case_genome()}) check(g);
  std::mt19937_64 rng(kCheckSeed);
  size_t layers = 0;
  for (int i = 0; i < kCheckSamples && layers < kCheckLayerBudget; ++i) layers += check(sample(rng));
}

Genome SearchSpace::first_genome() const { return Genome(genome_size(), 0); }

Genome SearchSpace::last_genome() const {
  Genome g(genome_size());
  for (size_t i = 0; i < g.size(); ++i) g[i] = int(m_spec->genes[i].values.size()) - 1;
  return g;
}

Genome SearchSpace::worst_case_genome() const {
  Genome g(genome_size(), 0);
  auto area = [](const nlohmann::json& v) {
    const auto [h, w] = value_size2(v);
    return double(h) * w;
  };
  auto number = [](const nlohmann::json& v) { return v.is_number() ? v.get<double>() : 0.0; };
  for (size_t i = 0; i < g.size(); ++i) {
    const Gene& gene = m_spec->genes[i];
    switch (gene.role) {
      case GeneRole::kDepth: g[i] = extreme_index(gene, number, true); break;
      case GeneRole::kStride:
      case GeneRole::kWindow: g[i] = extreme_index(gene, area, true); break;
      case GeneRole::kResolution: g[i] = extreme_index(gene, area, false); break;
      case GeneRole::kBlockKind:
      case GeneRole::kOther: break;
    }
  }
  return g;
}

double SearchSpace::log10_size() const {
  const SpaceSpec& spec = *m_spec;
  std::set<int> named;
  double total = 0;
  for (const auto& [name, gene] : spec.named_choices) {
    named.insert(gene);
    total += std::log10(double(spec.genes[size_t(gene)].values.size()));
  }
  auto own = [&](const ValueSlot& slot) {  // named choices are already counted
    return slot.is_fixed() || named.count(slot.gene) ? 0.0 : log10_card(spec, slot);
  };
  if (spec.has_resolution) total += own(spec.resolution);
  total += own(spec.width_multiplier);

  for (const StageSpec& stage : spec.stages) {
    // Per kind: log10 of the stage-wide choices it reads and of one block's own choices.
    std::vector<double> shared_of_kind, block_of_kind;
    for (BlockKind kind : stage.possible_kinds) {
      double shared = 0, block = 0;
      for (const auto& [key, slot] : stage.params) {
        if (!kind_takes(kind, key)) continue;
        (slot.kind == ValueSlot::Kind::kPerBlock ? block : shared) += own(slot);
      }
      shared_of_kind.push_back(shared);
      block_of_kind.push_back(block);
    }
    std::vector<double> by_depth;
    for (int d : stage.depth_values) {
      if (d == 0) {
        by_depth.push_back(0.0);
        continue;
      }
      if (stage.block.kind == ValueSlot::Kind::kPerBlock) {
        // Each block picks its kind: (sum over kinds of one block's choices)^d, times
        // the stage-wide choices (an upper bound: not every kind reads all of them).
        double shared = 0;
        for (const auto& [key, slot] : stage.params)
          if (slot.kind != ValueSlot::Kind::kPerBlock) shared += own(slot);
        by_depth.push_back(shared + d * log10_sum(block_of_kind));
      } else {
        std::vector<double> per_kind;
        for (size_t k = 0; k < stage.possible_kinds.size(); ++k)
          per_kind.push_back(shared_of_kind[k] + d * block_of_kind[k]);
        by_depth.push_back(log10_sum(per_kind));
      }
    }
    total += log10_sum(by_depth);
  }
  return total;
}

}  // namespace hwnas
