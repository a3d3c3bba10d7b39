// This file implements non-dominated filtering: the Pareto front of a set of points where
// every objective is to be minimised.
#pragma once

#include <cstddef>
#include <vector>

namespace hwnas {

/// Indices of the points no other point dominates (<= in every objective, < in one), in
/// ascending index order. Exact duplicates are all kept.
std::vector<size_t> pareto_front(const std::vector<std::vector<double>>& points);

}  // namespace hwnas
