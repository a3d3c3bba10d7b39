// This file implements architecture_identity (see arch_identity.hpp).
#include "space/arch_identity.hpp"

#include <cstdio>

#include "space/arch_json.hpp"

namespace hwnas {

namespace {

uint64_t fnv1a64(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The canonical JSON form of `arch`'s layers, in place: names replaced by producer indices.
void canonicalise_layers(nlohmann::json& layers, const Architecture& arch) {
  for (size_t i = 0; i < layers.size(); ++i) {
    layers[i].erase("name");
    layers[i]["inputs"] = arch.input_indices(i);
  }
}

}  // namespace

nlohmann::json canonical_layers(const Architecture& arch) {
  nlohmann::json layers = architecture_to_json(arch).at("layers");
  canonicalise_layers(layers, arch);
  return layers;
}

std::string architecture_identity(const Architecture& arch) {
  nlohmann::json j = architecture_to_json(arch);
  j.erase("name");
  canonicalise_layers(j["layers"], arch);
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(fnv1a64(j.dump())));
  return buffer;
}

}  // namespace hwnas
