// This file implements CnnChainSpace, the foundation's minimal search space: a chain of
// conv blocks (conv -> [batch_norm] -> relu -> max_pool while the feature map allows)
// followed by global average pooling, an optional hidden dense layer and the classifier.
// The declarative JSON search-space language (issue 3) supersedes it.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "space/architecture.hpp"

namespace hwnas {

/// A candidate's choices, one index per decision (see CnnChainSpace for the layout).
using Genome = std::vector<int>;

struct CnnChainSpaceConfig {
  int min_blocks = 1;
  int max_blocks = 3;
  std::vector<int> channels{8, 16, 32};  ///< per-block choice
  std::vector<int> kernels{3, 5};        ///< per-block choice
  std::vector<int> dense_units{0, 32};   ///< 0: no hidden dense layer
  bool batch_norm = true;
};

class CnnChainSpace {
 public:
  /// `input` and `classes` come from the dataset.
  CnnChainSpace(CnnChainSpaceConfig config, TensorShape input, int classes);

  /// Genome layout: [blocks - min_blocks, (channel index, kernel index) x max_blocks,
  /// dense index]. Genes of blocks beyond the chosen depth are ignored by decode().
  Genome sample(std::mt19937_64& rng) const;
  Architecture decode(const Genome& genome) const;
  /// log10 of the number of distinct genomes that decode differently.
  double log10_size() const;

 private:
  CnnChainSpaceConfig m_config;
  TensorShape m_input;
  int m_classes;
};

}  // namespace hwnas
