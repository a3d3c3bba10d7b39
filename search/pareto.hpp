// This file implements the multi-objective tools of the search, for points where every
// objective is to be minimised: the Pareto front, NSGA-II's non-dominated sorting and
// crowding distance, and the hypervolume that bench/search_quality compares strategies by.
#pragma once

#include <cstddef>
#include <vector>

namespace hwnas {

using ObjectivePoint = std::vector<double>;

/// a is no worse than b in every objective and better in one.
bool dominates(const ObjectivePoint& a, const ObjectivePoint& b);

/// Indices of the points no other point dominates (<= in every objective, < in one), in
/// ascending index order. Exact duplicates are all kept.
std::vector<size_t> pareto_front(const std::vector<ObjectivePoint>& points);

/// NSGA-II's fronts (Deb et al. 2002): rank 0 is the Pareto front, rank 1 the front of
/// the rest, and so on. Returns each point's rank.
std::vector<int> nondominated_ranks(const std::vector<ObjectivePoint>& points);

/// NSGA-II's crowding distance of each point among the points `members` (one front):
/// the sum over objectives of the normalised gap between its neighbours; the extremes
/// of every objective get +infinity. Indexed like `members`.
std::vector<double> crowding_distances(const std::vector<ObjectivePoint>& points,
                                       const std::vector<size_t>& members);

/// Each point's non-dominated rank and its crowding distance within its own front: what
/// NSGA-II and successive halving order candidates by (lower rank, then larger crowding).
struct FrontRanking {
  std::vector<int> rank;
  std::vector<double> crowding;
};
FrontRanking rank_and_crowding(const std::vector<ObjectivePoint>& points);

/// Volume of the region dominated by `points` and bounded by `reference` (points that do
/// not dominate the reference contribute nothing). Exact, by slicing along the first
/// objective; fine for the few objectives and hundreds of points of a search.
double hypervolume(const std::vector<ObjectivePoint>& points, const ObjectivePoint& reference);

}  // namespace hwnas
