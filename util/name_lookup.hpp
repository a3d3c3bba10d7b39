// This file implements the lookups by name that the engine's registries share (the MCU
// database, the runtime profiles): the record of a given name, and every name on one line
// for the error message that lists the choices when a name is not found. Header-only
// templates, as they work on any record type with a `name`.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace hwnas {

/// The first of `records` whose `name` member equals `name`; nullptr if there is none.
template <typename Record>
const Record* find_by_name(const std::vector<Record>& records, const std::string& name) {
  for (const Record& r : records)
    if (r.name == name) return &r;
  return nullptr;
}

/// "a, b, c": name_of(item) of each of `items`, in order (the items themselves by default).
template <typename Items, typename NameOf = std::identity>
std::string comma_list(const Items& items, NameOf name_of = {}) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + std::string(std::invoke(name_of, item));
  return out;
}

}  // namespace hwnas
