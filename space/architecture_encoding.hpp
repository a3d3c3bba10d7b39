// This file implements encode_architecture: the genome of a space that decodes to a given
// network. It lets a search start from networks the user already has (a hand-designed
// baseline, the best of an earlier run) instead of uniform samples only.
#pragma once

#include "space/architecture.hpp"
#include "space/search_space.hpp"

namespace hwnas {

/// A genome whose network has the same canonical identity as `target` (names are ignored).
/// Genes the network does not read are 0. Matches stage by stage: a stage's genes are
/// enumerated only where the stages before it build exactly the target's first layers,
/// so the cost is the sum, not the product, of the stages' combinations.
/// @throws UserError when no genome decodes to `target`, naming the first of its layers
/// that no choice of the space reproduces, or when a stage has over 2^22 combinations.
Genome encode_architecture(const SearchSpace& space, const Architecture& target);

}  // namespace hwnas
