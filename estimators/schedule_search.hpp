// This file implements the operator-order search for graphs with branches: among all
// topological orders of a DeployGraph, the one whose peak of live activation bytes is
// lowest, by dynamic programming over the set of executed operators (the state fixes
// which tensors are live, so the best peak to reach a state does not depend on the path;
// uNAS computes peak memory the same way). Chains and residual blocks have one order and
// skip the search.
#pragma once

#include <cstdint>
#include <vector>

#include "space/deploy_graph.hpp"

namespace hwnas {

struct ScheduleSearchResult {
  std::vector<int> order;      ///< op indices
  int64_t live_peak_bytes = 0; ///< peak of live tensor + scratch bytes in that order
  int64_t states = 0;          ///< DP states explored (0: the order is unique)
  bool exhaustive = true;      ///< false if the state cap stopped the search (order = listed)
};

/// The listed order (op indices ascending) and its live peak.
ScheduleSearchResult listed_schedule(const DeployGraph& graph, const std::vector<int64_t>& scratch);

/// The order with the lowest live peak; falls back to the listed order if more than
/// `max_states` states would be needed or the graph has more than 256 ops.
ScheduleSearchResult min_peak_schedule(const DeployGraph& graph, const std::vector<int64_t>& scratch,
                                       int64_t max_states = 100000);

}  // namespace hwnas
