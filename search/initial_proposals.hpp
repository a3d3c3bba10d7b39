// This file implements the start of a search from given networks: the config's
// search.initial_architectures, each found in the space (encode_architecture) and
// checked against every target's budgets, become the first proposals.
#pragma once

#include <vector>

#include "search/run_config.hpp"
#include "space/constrained_sampling.hpp"

namespace hwnas {

/// One proposal per initial architecture, in the config's order.
/// @throws ConfigError at the config's entry when a network is not a member of the space
/// (naming the first layer the space cannot build) or does not fit a target (naming the
/// budgets it exceeds): a search never trains a network it could not have proposed.
std::vector<Proposal> initial_proposals(const RunConfig& config, const SearchSpace& space);

}  // namespace hwnas
