// This file implements the multi-objective tools (see pareto.hpp). Pareto filtering and
// sorting are O(n^2 m): fine for the population and archive sizes of a search.
#include "search/pareto.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <numeric>

namespace hwnas {

bool dominates(const ObjectivePoint& a, const ObjectivePoint& b) {
  assert(a.size() == b.size());
  bool strictly = false;
  for (size_t k = 0; k < a.size(); ++k) {
    if (a[k] > b[k]) return false;
    if (a[k] < b[k]) strictly = true;
  }
  return strictly;
}

std::vector<size_t> pareto_front(const std::vector<ObjectivePoint>& points) {
  std::vector<size_t> front;
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) dominated = j != i && dominates(points[j], points[i]);
    if (!dominated) front.push_back(i);
  }
  return front;
}

std::vector<int> nondominated_ranks(const std::vector<ObjectivePoint>& points) {
  const size_t n = points.size();
  std::vector<int> rank(n, -1);
  std::vector<int> dominated_by(n, 0);          // how many points dominate i
  std::vector<std::vector<size_t>> dominating(n);  // the points i dominates
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      if (i != j && dominates(points[i], points[j])) {
        dominating[i].push_back(j);
        ++dominated_by[j];
      }
  std::vector<size_t> front;
  for (size_t i = 0; i < n; ++i)
    if (dominated_by[i] == 0) front.push_back(i);
  for (int r = 0; !front.empty(); ++r) {
    std::vector<size_t> next;
    for (size_t i : front) {
      rank[i] = r;
      for (size_t j : dominating[i])
        if (--dominated_by[j] == 0) next.push_back(j);
    }
    front = std::move(next);
  }
  return rank;
}

std::vector<double> crowding_distances(const std::vector<ObjectivePoint>& points,
                                       const std::vector<size_t>& members) {
  const size_t n = members.size();
  std::vector<double> distance(n, 0.0);
  if (n == 0) return distance;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<size_t> order(n);
  for (size_t k = 0; k < points[members[0]].size(); ++k) {
    std::iota(order.begin(), order.end(), size_t(0));
    // Ties broken by position so the result does not depend on the sort's stability.
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const double va = points[members[a]][k], vb = points[members[b]][k];
      return va != vb ? va < vb : a < b;
    });
    const double lo = points[members[order.front()]][k], hi = points[members[order.back()]][k];
    distance[order.front()] = distance[order.back()] = inf;
    if (hi <= lo) continue;
    for (size_t i = 1; i + 1 < n; ++i)
      distance[order[i]] += (points[members[order[i + 1]]][k] - points[members[order[i - 1]]][k]) / (hi - lo);
  }
  return distance;
}

namespace {

// Adds p to `front` (mutually non-dominated points) unless a point there is no worse in every
// objective; drops the points p is no worse than.
void add_to_front(std::vector<ObjectivePoint>& front, ObjectivePoint p) {
  const auto no_worse = [](const ObjectivePoint& a, const ObjectivePoint& b) {
    for (size_t k = 0; k < a.size(); ++k)
      if (a[k] > b[k]) return false;
    return true;
  };
  for (const ObjectivePoint& q : front)
    if (no_worse(q, p)) return;
  front.erase(std::remove_if(front.begin(), front.end(), [&](const ObjectivePoint& q) { return no_worse(p, q); }),
              front.end());
  front.push_back(std::move(p));
}

// Hypervolume of `points` (all strictly dominating `reference`) by recursive slicing: sort
// by the first objective; between consecutive values the slab's cross-section is the
// (m-1)-dimensional hypervolume of the points seen so far. Only the seen points no other
// seen point covers are kept: the others add nothing to a cross-section, and dropping them
// keeps the recursion near the front's size instead of growing with every slab.
double hypervolume_of(std::vector<ObjectivePoint> points, const ObjectivePoint& reference) {
  if (points.empty()) return 0.0;
  const size_t m = reference.size();
  if (m == 1) {
    double best = reference[0];
    for (const auto& p : points) best = std::min(best, p[0]);
    return reference[0] - best;
  }
  std::sort(points.begin(), points.end(), [](const ObjectivePoint& a, const ObjectivePoint& b) { return a[0] < b[0]; });
  const ObjectivePoint rest_reference(reference.begin() + 1, reference.end());
  double volume = 0.0;
  std::vector<ObjectivePoint> seen;
  for (size_t i = 0; i < points.size(); ++i) {
    add_to_front(seen, ObjectivePoint(points[i].begin() + 1, points[i].end()));
    const double next = i + 1 < points.size() ? points[i + 1][0] : reference[0];
    if (next > points[i][0]) volume += (next - points[i][0]) * hypervolume_of(seen, rest_reference);
  }
  return volume;
}

}  // namespace

double hypervolume(const std::vector<ObjectivePoint>& points, const ObjectivePoint& reference) {
  std::vector<ObjectivePoint> inside;
  for (const auto& p : points) {
    bool below = p.size() == reference.size();
    for (size_t k = 0; below && k < p.size(); ++k) below = p[k] < reference[k];
    if (below) inside.push_back(p);
  }
  // Only the non-dominated points add volume; filtering first keeps the recursion small.
  std::vector<ObjectivePoint> front;
  for (size_t i : pareto_front(inside)) front.push_back(inside[i]);
  return hypervolume_of(std::move(front), reference);
}

FrontRanking rank_and_crowding(const std::vector<ObjectivePoint>& points) {
  FrontRanking r{nondominated_ranks(points), std::vector<double>(points.size(), 0.0)};
  const int fronts = r.rank.empty() ? 0 : *std::max_element(r.rank.begin(), r.rank.end()) + 1;
  for (int f = 0; f < fronts; ++f) {
    std::vector<size_t> members;
    for (size_t i = 0; i < points.size(); ++i)
      if (r.rank[i] == f) members.push_back(i);
    const std::vector<double> d = crowding_distances(points, members);
    for (size_t k = 0; k < members.size(); ++k) r.crowding[members[k]] = d[k];
  }
  return r;
}

}  // namespace hwnas
