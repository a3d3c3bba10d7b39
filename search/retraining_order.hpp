// This file implements the order in which the search's later stages (successive-halving
// promotions, the final retraining) pick candidates for more training.
//
// Why not NSGA-II's crowding distance: it ranks every objective's extremes first (their
// distance is infinite), so with a few slots and several cost objectives the retrainings
// go to the smallest, fastest and least accurate networks of the front, and networks with
// good trade-offs inside the front are never trained fully (the 64 KB Fashion-MNIST runs
// lost their best and their smallest-yet-accurate networks this way). Greedy hypervolume
// contribution picks, one at a time, the candidate that adds the most dominated volume to
// those already picked: an extreme with poor accuracy adds a thin slab and waits.
#pragma once

#include <cstddef>
#include <vector>

#include "search/pareto.hpp"

namespace hwnas {

/// Indices of `points` (all objectives minimised; objective 0 is the error 1 - accuracy)
/// in the order they should be retrained, at most `keep` of them:
///   1. by non-dominated rank (the Pareto front first);
///   2. within a rank, the one with the lowest error first (the network most users deploy;
///      with several cost objectives the hypervolume alone can leave it out);
///   3. then greedily the point whose hypervolume contribution to the points already picked
///      from its rank is largest (ties: lower index), against a reference point 10% of each
///      objective's range beyond the worst value (the worst points still count a little).
/// The result does not depend on the objectives' units: scaling one scales every volume.
std::vector<size_t> retraining_order(const std::vector<ObjectivePoint>& points, size_t keep);

/// The reference point retraining_order uses: per objective, the worst value plus 10% of the
/// range (plus 1 where all values are equal).
ObjectivePoint nadir_reference(const std::vector<ObjectivePoint>& points);

}  // namespace hwnas
