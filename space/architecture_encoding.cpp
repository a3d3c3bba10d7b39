// This file implements encode_architecture (see architecture_encoding.hpp).
//
// A depth-first search over the genes, pruned by the target's layers. The genes split into
// groups: those outside every stage (resolution, width, shared named choices), then per
// stage its stage-wide genes (depth, a filter count for every block) and one group per
// block (per-block kernels, kinds, filters). A group's combinations are tried only where
// everything decoded so far, up to the end of the block just chosen, equals the target's
// first layers; so a free-form stage of 8 blocks costs 8 times one block's combinations,
// not their product. Blocks are built one at a time (SearchSpace::decode_prefix), so
// the genes of later blocks are never read early.
#include "space/architecture_encoding.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include "space/arch_identity.hpp"

namespace hwnas {

namespace {

using nlohmann::json;

/// Decodes tried before giving up: a space whose blocks have that many combinations
/// needs a smarter encoder, not a hang.
constexpr int64_t kMaxDecodes = int64_t(1) << 22;

class Encoder {
 public:
  Encoder(const SearchSpace& space, const Architecture& target)
      : m_space(space),
        m_spec(space.spec()),
        m_target(canonical_layers(target)),
        m_target_input(target.input_shape()),
        m_target_identity(architecture_identity(target)),
        m_genome(space.genome_size(), 0) {
    // Which stage and block reads each gene; genes outside every stage stay global.
    m_stage_wide.resize(m_spec.stages.size());
    m_per_block.resize(m_spec.stages.size());
    std::vector<char> placed(m_spec.genes.size(), 0);
    std::set<int> named;  // shared by several stages: global
    for (const auto& [name, gene] : m_spec.named_choices) named.insert(gene);
    for (size_t s = 0; s < m_spec.stages.size(); ++s) {
      const StageSpec& stage = m_spec.stages[s];
      // At least one block level, so that the stage's last level always decodes it whole.
      m_per_block[s].resize(size_t(std::max(1, stage.max_depth)));
      std::vector<const ValueSlot*> slots = {&stage.depth, &stage.block};
      for (const auto& [key, slot] : stage.params) slots.push_back(&slot);
      for (const ValueSlot* slot : slots) {
        if (slot->kind == ValueSlot::Kind::kPerBlock) {
          for (int b = 0; b < stage.max_depth; ++b) place(m_per_block[s][size_t(b)], slot->gene + b, placed);
        } else if (slot->kind == ValueSlot::Kind::kShared && named.count(slot->gene) == 0) {
          place(m_stage_wide[s], slot->gene, placed);
        }
      }
    }
    for (size_t g = 0; g < m_spec.genes.size(); ++g)
      if (!placed[g]) m_global.push_back(int(g));
  }

  bool run() {
    return enumerate(m_global, false, [&] { return decode(0, 0); }, [&] { return stage(0); });
  }
  const Genome& genome() const { return m_genome; }
  size_t matched_layers() const { return m_matched; }

 private:
  static void place(std::vector<int>& group, int gene, std::vector<char>& placed) {
    if (gene < 0 || placed[size_t(gene)]) return;
    placed[size_t(gene)] = 1;
    group.push_back(gene);
  }

  // Stage s: its stage-wide genes, then its blocks one by one, then the next stage. A
  // stage's finished networks are deduplicated by the genes it read (a depth of 0 reads
  // nothing else).
  bool stage(size_t s) {
    if (s == m_spec.stages.size()) return m_space.identity(m_genome) == m_target_identity;
    std::set<std::vector<int>> finished;
    // With no block built yet, the stage-wide genes add no layer to check: each
    // combination goes on to the blocks, which check it.
    return enumerate(m_stage_wide[s], false, [] { return true; }, [&] { return block(s, 0, finished); });
  }

  bool block(size_t s, size_t b, std::set<std::vector<int>>& finished) {
    if (b == m_per_block[s].size()) {
      // The last decode built the whole stage (all max_depth blocks) and matched.
      const std::vector<char> active = m_active;
      std::vector<int> read;
      for (const auto* group : stage_groups(s))
        for (int g : *group) read.push_back(active[size_t(g)] ? m_genome[size_t(g)] : -1);
      if (!finished.insert(read).second) return false;
      return stage(s + 1);
    }
    return enumerate(m_per_block[s][b], true, [&] { return decode(s + 1, int(b) + 1); },
                     [&] { return block(s, b + 1, finished); });
  }

  std::vector<const std::vector<int>*> stage_groups(size_t s) const {
    std::vector<const std::vector<int>*> out = {&m_stage_wide[s]};
    for (const auto& g : m_per_block[s]) out.push_back(&g);
    return out;
  }

  // Tries every combination of `genes` for which `matches` (a decode) holds and calls
  // `next` on each, until one succeeds. With check_active, combinations that differ only
  // in genes the decode did not read are tried once (a block's genes are read by that
  // block only, so once it is built their activity is final; stage-wide genes may still
  // be read by later blocks).
  template <typename Matches, typename Next>
  bool enumerate(const std::vector<int>& genes, bool check_active, Matches matches, Next next) {
    const Genome saved = m_genome;
    std::set<std::vector<int>> tried;
    for (;;) {
      m_active.clear();
      const bool ok = matches();
      const std::vector<char> active = m_active;  // `next` decodes again
      const auto read = [&](int g) { return !active.empty() && active[size_t(g)]; };
      if (ok) {
        std::vector<int> values;
        for (int g : genes) values.push_back(!check_active || read(g) ? m_genome[size_t(g)] : -1);
        if (tried.insert(values).second && next()) return true;
      }
      // A block of a shallower stage reads none of its genes: one combination stands for all.
      if (check_active && !active.empty() && std::none_of(genes.begin(), genes.end(), read)) break;
      if (!advance(genes)) break;
    }
    m_genome = saved;
    return false;
  }

  // Odometer over `genes`; false after the last combination.
  bool advance(const std::vector<int>& genes) {
    for (int g : genes) {
      int& v = m_genome[size_t(g)];
      if (++v < int(m_spec.genes[size_t(g)].values.size())) return true;
      v = 0;
    }
    return false;
  }

  // Decodes the first `stages` stages (the last cut after `blocks` blocks) and checks that
  // they build exactly the target's first layers.
  bool decode(size_t stages, int blocks) {
    if (++m_decodes > kMaxDecodes)
      throw UserError("space '" + m_spec.name + "' has too many combinations per block to match a network against");
    DecodedPrefix prefix;
    try {
      prefix = m_space.decode_prefix(m_genome, stages, blocks);
    } catch (const SpaceDecodeError&) {
      return false;
    }
    m_active = prefix.active;
    if (!(prefix.input == m_target_input) || prefix.layers.size() > m_target.size()) return false;
    if (prefix.layers.empty()) return true;
    const size_t n = prefix.layers.size();
    json layers;
    try {
      layers = canonical_layers(Architecture(m_spec.name, prefix.input, std::move(prefix.layers)));
    } catch (const ArchitectureError&) {
      return false;
    }
    size_t equal = 0;
    while (equal < n && layers[equal] == m_target[equal]) ++equal;
    m_matched = std::max(m_matched, equal);
    return equal == n;
  }

  const SearchSpace& m_space;
  const SpaceSpec& m_spec;
  json m_target;
  TensorShape m_target_input;
  std::string m_target_identity;
  Genome m_genome;
  std::vector<int> m_global;
  std::vector<std::vector<int>> m_stage_wide;
  std::vector<std::vector<std::vector<int>>> m_per_block;  ///< [stage][block] -> genes
  std::vector<char> m_active;  ///< genes the last decode read (empty if it failed)
  int64_t m_decodes = 0;
  size_t m_matched = 0;  ///< the most leading target layers any decoded prefix reproduced
};

}  // namespace

Genome encode_architecture(const SearchSpace& space, const Architecture& target) {
  Encoder encoder(space, target);
  if (encoder.run()) return encoder.genome();
  const size_t matched = encoder.matched_layers();
  std::string where;
  if (matched < target.size())
    where = "no choice of the space builds its layer " + std::to_string(matched + 1) + " ('" +
            target.layer(matched).name + "', " + std::string(op_name(target.layer(matched).op)) + ") after the " +
            std::to_string(matched) + " before it";
  else
    where = "the space builds all its layers but not exactly this network";
  throw UserError("network '" + target.name() + "' is not a member of space '" + space.name() + "': " + where);
}

}  // namespace hwnas
