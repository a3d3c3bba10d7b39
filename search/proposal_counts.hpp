// This file implements ProposalCounts, the proposal source's running totals (networks
// accepted, rejected before training, duplicates) as one value: what the progress line
// shows as the feasible share, and what each search candidate carries into its history
// line and the checkpoint, so that the report can draw the feasible share as the search
// went.
#pragma once

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace hwnas {

struct ProposalCounts {
  int64_t accepted = 0;    ///< proposals that fit every target (and were new)
  int64_t rejected = 0;    ///< did not fit a target (or decoded to no valid network): never trained
  int64_t duplicates = 0;  ///< networks proposed before, drawn again

  bool operator==(const ProposalCounts&) const = default;
};

/// The share of draws that fit every target. A duplicate was feasible when first drawn
/// (the fit check skips repeats), so it counts as feasible, not as a rejection.
inline double feasible_share(const ProposalCounts& c) {
  const double feasible = double(c.accepted + c.duplicates);
  return feasible / std::max(1.0, feasible + double(c.rejected));
}

inline void to_json(nlohmann::json& j, const ProposalCounts& c) {
  j = {{"accepted", c.accepted}, {"rejected", c.rejected}, {"duplicates", c.duplicates}};
}

/// @throws nlohmann::json::exception when a count is missing or not an integer.
inline void from_json(const nlohmann::json& j, ProposalCounts& c) {
  c.accepted = j.at("accepted").get<int64_t>();
  c.rejected = j.at("rejected").get<int64_t>();
  c.duplicates = j.at("duplicates").get<int64_t>();
}

}  // namespace hwnas
