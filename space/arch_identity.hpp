// This file implements the canonical identity of a network: a hash of its decoded
// structure that ignores names, so two genomes that decode to the same network are the
// same candidate (deduplication, caches, model directories).
#pragma once

#include <string>

#include "space/architecture.hpp"

namespace hwnas {

/// 16 lowercase hex digits (64-bit FNV-1a over the canonical structure: input shape, and
/// for each layer its op, attributes and producer indices; layer and network names are
/// excluded).
std::string architecture_identity(const Architecture& arch);

}  // namespace hwnas
