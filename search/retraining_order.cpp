// This file implements retraining_order (see retraining_order.hpp).
#include "search/retraining_order.hpp"

#include <algorithm>
#include <queue>
#include <tuple>

namespace hwnas {

namespace {

double box_volume(const ObjectivePoint& p, const ObjectivePoint& reference) {
  double v = 1.0;
  for (size_t k = 0; k < p.size(); ++k) v *= std::max(reference[k] - p[k], 0.0);
  return v;
}

// Appends `members` (one rank) to `order` by lowest error first, then greedy hypervolume
// contribution. Lazy greedy (Minoux 1978): a point's contribution can only shrink as others
// are picked, so a stale value is an upper bound and only the top of the queue needs
// recomputing; this gives the same picks as recomputing every contribution each round.
void append_rank(const std::vector<ObjectivePoint>& points, std::vector<size_t> members,
                 const ObjectivePoint& reference, size_t keep, std::vector<size_t>& order) {
  const auto lowest_error = std::min_element(members.begin(), members.end(), [&](size_t a, size_t b) {
    return points[a][0] != points[b][0] ? points[a][0] < points[b][0] : a < b;
  });
  std::vector<ObjectivePoint> picked = {points[*lowest_error]};
  order.push_back(*lowest_error);
  members.erase(lowest_error);
  double picked_volume = hypervolume(picked, reference);

  using Entry = std::tuple<double, size_t>;  // (contribution bound, index); best: largest, then lowest index
  const auto worse = [](const Entry& a, const Entry& b) {
    return std::get<0>(a) != std::get<0>(b) ? std::get<0>(a) < std::get<0>(b) : std::get<1>(a) > std::get<1>(b);
  };
  std::priority_queue<Entry, std::vector<Entry>, decltype(worse)> queue(worse);
  for (size_t i : members) queue.emplace(box_volume(points[i], reference), i);
  while (!queue.empty() && order.size() < keep) {
    const size_t i = std::get<1>(queue.top());
    queue.pop();
    picked.push_back(points[i]);
    const double with_i = hypervolume(picked, reference);
    const Entry fresh(with_i - picked_volume, i);
    if (queue.empty() || !worse(fresh, queue.top())) {
      order.push_back(i);
      picked_volume = with_i;
    } else {
      picked.pop_back();
      queue.push(fresh);
    }
  }
}

}  // namespace

ObjectivePoint nadir_reference(const std::vector<ObjectivePoint>& points) {
  if (points.empty()) return {};
  ObjectivePoint lo = points.front(), hi = points.front();
  for (const ObjectivePoint& p : points)
    for (size_t k = 0; k < p.size(); ++k) {
      lo[k] = std::min(lo[k], p[k]);
      hi[k] = std::max(hi[k], p[k]);
    }
  ObjectivePoint reference(hi.size());
  for (size_t k = 0; k < hi.size(); ++k) reference[k] = hi[k] + (hi[k] > lo[k] ? 0.1 * (hi[k] - lo[k]) : 1.0);
  return reference;
}

std::vector<size_t> retraining_order(const std::vector<ObjectivePoint>& points, size_t keep) {
  std::vector<size_t> order;
  if (points.empty() || keep == 0) return order;
  const std::vector<int> rank = nondominated_ranks(points);
  const ObjectivePoint reference = nadir_reference(points);
  for (int r = 0; order.size() < keep; ++r) {
    std::vector<size_t> members;
    for (size_t i = 0; i < points.size(); ++i)
      if (rank[i] == r) members.push_back(i);
    if (members.empty()) break;
    append_rank(points, std::move(members), reference, keep, order);
  }
  return order;
}

}  // namespace hwnas
