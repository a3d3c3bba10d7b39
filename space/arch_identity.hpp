// This file implements the canonical identity of a network: a hash of its decoded
// structure that ignores names, so two genomes that decode to the same network are the
// same candidate (deduplication, caches, model directories).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "space/architecture.hpp"

namespace hwnas {

/// 16 lowercase hex digits (64-bit FNV-1a over the canonical structure: input shape, and
/// for each layer its op, attributes and producer indices; layer and network names are
/// excluded).
std::string architecture_identity(const Architecture& arch);

/// What the identity hashes: per layer its canonical JSON (op and every attribute) with
/// the name removed and the inputs given as producer indices (-1: the network input).
/// Two networks are the same when these arrays and their input shapes are equal.
nlohmann::json canonical_layers(const Architecture& arch);

}  // namespace hwnas
