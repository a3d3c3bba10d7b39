// This file implements the search operators of SearchSpace: uniform sampling,
// mutation, crossover and neighbour enumeration (see search_space.hpp).
#include <algorithm>
#include <cassert>
#include <set>

#include "space/search_space.hpp"

namespace hwnas {

namespace {

/// Mutations drawn before falling back to enumerating every neighbour: a random change
/// almost always alters the network, but rounding (width multiplier) or an unused value
/// can leave it unchanged.
constexpr int kMutationAttempts = 64;

int uniform_index(std::mt19937_64& rng, size_t n) {
  return int(std::uniform_int_distribution<size_t>(0, n - 1)(rng));
}

}  // namespace

Genome SearchSpace::sample(std::mt19937_64& rng) const {
  Genome g(genome_size());
  for (size_t i = 0; i < g.size(); ++i) g[i] = uniform_index(rng, m_spec->genes[i].values.size());
  return g;
}

Genome SearchSpace::mutate(const Genome& parent, std::mt19937_64& rng, int changes) const {
  assert(changes >= 1);
  const DecodedNetwork original = decode_detailed(parent);
  std::vector<int> mutable_genes;  // active genes with an alternative value
  for (size_t i = 0; i < parent.size(); ++i)
    if (original.active[i] && m_spec->genes[i].values.size() > 1) mutable_genes.push_back(int(i));
  const size_t count = std::min(size_t(changes), mutable_genes.size());
  for (int attempt = 0; attempt < kMutationAttempts && count > 0; ++attempt) {
    Genome child = parent;
    std::vector<int> pool = mutable_genes;
    for (size_t k = 0; k < count; ++k) {
      // Partial Fisher-Yates: `count` distinct genes.
      std::swap(pool[k], pool[k + size_t(uniform_index(rng, pool.size() - k))]);
      const size_t gene = size_t(pool[k]);
      const int other = uniform_index(rng, m_spec->genes[gene].values.size() - 1);
      child[gene] = other >= parent[gene] ? other + 1 : other;
    }
    try {
      if (identity(child) != original.identity) return child;
    } catch (const SpaceDecodeError&) {
      // A rare combination the load-time check did not cover: try another change.
    }
  }
  const std::vector<Genome> around = neighbours(parent);
  if (around.empty())
    throw UserError("search space '" + name() + "': the network has no different neighbour to mutate to " +
                    "(every choice it reads has one value, or all values give the same network)");
  return around[size_t(uniform_index(rng, around.size()))];
}

Genome SearchSpace::crossover(const Genome& a, const Genome& b, std::mt19937_64& rng) const {
  assert(a.size() == genome_size() && b.size() == genome_size());
  Genome child(a.size());
  for (size_t i = 0; i < a.size(); ++i) child[i] = (rng() & 1) ? a[i] : b[i];
  return child;
}

std::vector<Genome> SearchSpace::neighbours(const Genome& genome) const {
  const DecodedNetwork original = decode_detailed(genome);
  std::set<std::string> seen = {original.identity};
  std::vector<Genome> out;
  for (size_t i = 0; i < genome.size(); ++i) {
    if (!original.active[i]) continue;
    for (size_t v = 0; v < m_spec->genes[i].values.size(); ++v) {
      if (int(v) == genome[i]) continue;
      Genome next = genome;
      next[i] = int(v);
      try {
        if (seen.insert(identity(next)).second) out.push_back(std::move(next));
      } catch (const SpaceDecodeError&) {
        // Not a neighbour: it is not a valid network.
      }
    }
  }
  return out;
}

}  // namespace hwnas
