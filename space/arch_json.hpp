// This file implements the arch.json format: reading (strict, with JSON-pointer errors)
// and writing (canonical: every attribute of the op spelled out, so that
// write(read(write(a))) == write(a) and read(write(a)) has the same definition as a).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "space/architecture.hpp"

namespace hwnas {

/// Canonical JSON of an architecture.
nlohmann::json architecture_to_json(const Architecture& arch);

/// Parses and validates an architecture. `file` and `pointer` locate `value` for errors.
/// @throws ConfigError (bad JSON field or a shape error, with the layer's pointer).
Architecture architecture_from_json(const nlohmann::json& value, const std::string& file,
                                    const std::string& pointer = "");

/// Reads an arch.json file. @throws UserError / ConfigError.
Architecture load_architecture(const std::string& path);

/// Writes an arch.json file atomically (pretty-printed, trailing newline).
void save_architecture(const Architecture& arch, const std::string& path);

}  // namespace hwnas
