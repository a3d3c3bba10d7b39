// This file implements SearchSpace: a parsed space bound to a dataset's input shape and
// class count. It decodes genomes into architectures and offers the search operators:
// uniform sampling, mutation, crossover and neighbour enumeration, each driven by an
// explicit random generator so runs replay from a seed.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "space/architecture.hpp"
#include "space/space_spec.hpp"

namespace hwnas {

/// One value index per gene of the space (SpaceSpec::genes).
using Genome = std::vector<int>;

/// A decoded genome: the network, its canonical identity, and which genes it read
/// (genes of blocks beyond a stage's depth, or parameters the chosen block kind does
/// not take, are inactive: changing them does not change the network).
struct DecodedNetwork {
  Architecture arch;
  std::string identity;
  std::vector<char> active;
};

/// The layers the first stages of a genome build (see SearchSpace::decode_prefix).
struct DecodedPrefix {
  TensorShape input;          ///< the network input (the space may choose the resolution)
  std::vector<Layer> layers;  ///< shapes inferred, not yet checked as a whole network
  std::vector<char> active;   ///< genes read so far
};

/// A genome that decodes to an invalid network; names the stage whose layers fail.
class SpaceDecodeError : public UserError {
 public:
  SpaceDecodeError(int stage, std::string problem, const std::string& message)
      : UserError(message), m_stage(stage), m_problem(std::move(problem)) {}
  int stage() const { return m_stage; }
  /// The layer's problem without the stage prefix.
  const std::string& problem() const { return m_problem; }

 private:
  int m_stage;
  std::string m_problem;
};

class SearchSpace {
 public:
  /// Binds `spec` to the data and checks that it decodes to valid networks: the
  /// all-first, all-last and worst-case (smallest input, most downsampling) genomes
  /// and a fixed sample of random ones. @throws ConfigError at the stage whose layers
  /// are inconsistent.
  SearchSpace(std::shared_ptr<const SpaceSpec> spec, TensorShape data_shape, int classes);

  const SpaceSpec& spec() const { return *m_spec; }
  const std::string& name() const { return m_spec->name; }
  size_t genome_size() const { return m_spec->genes.size(); }
  const TensorShape& data_shape() const { return m_data_shape; }
  int classes() const { return m_classes; }

  /// log10 of the number of distinct genomes once inactive genes are ignored: an upper
  /// bound on the number of distinct networks (rounded channel counts can coincide).
  double log10_size() const;

  /// Every gene uniformly at random.
  Genome sample(std::mt19937_64& rng) const;
  /// @throws SpaceDecodeError (a UserError) if the genome decodes to an invalid network,
  /// which the load-time check makes unlikely but cannot rule out for every space.
  Architecture decode(const Genome& genome) const;
  DecodedNetwork decode_detailed(const Genome& genome) const;
  /// The layers of the first `stage_count` stages only, the last of them cut after its
  /// first `last_stage_blocks` blocks: genes of later stages and blocks are not read, so
  /// a network can be matched stage by stage and block by block (encode_architecture).
  /// Records in `stage_of_layer`, when given, the stage that built each layer.
  /// @throws SpaceDecodeError if a block of those stages is invalid.
  DecodedPrefix decode_prefix(const Genome& genome, size_t stage_count, int last_stage_blocks,
                              std::vector<int>* stage_of_layer = nullptr) const;
  std::string identity(const Genome& genome) const;

  /// Changes `changes` active genes (fewer if there are fewer) to other values, retrying
  /// until the network differs from the parent's. @throws UserError if the parent has
  /// no different neighbour (a space of one network).
  Genome mutate(const Genome& parent, std::mt19937_64& rng, int changes = 1) const;
  /// Uniform crossover: each gene from either parent with probability 1/2.
  Genome crossover(const Genome& a, const Genome& b, std::mt19937_64& rng) const;
  /// Every genome that differs from `genome` in one active gene and decodes to a
  /// different network, one per distinct network, in gene order.
  std::vector<Genome> neighbours(const Genome& genome) const;

  /// The first (all zeros) and last (all maxima) genomes, and the one with the most
  /// downsampling at the smallest input: what the load-time check decodes.
  Genome first_genome() const;
  Genome last_genome() const;
  Genome worst_case_genome() const;

 private:
  void check_decodes() const;

  std::shared_ptr<const SpaceSpec> m_spec;
  TensorShape m_data_shape;
  int m_classes;
};

}  // namespace hwnas
