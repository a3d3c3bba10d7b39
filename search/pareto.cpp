// This file implements pareto_front (see pareto.hpp). O(n^2 m); fine for the archive
// sizes of a search (thousands at most).
#include "search/pareto.hpp"

#include <cassert>

namespace hwnas {

namespace {

bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
  assert(a.size() == b.size());
  bool strictly = false;
  for (size_t k = 0; k < a.size(); ++k) {
    if (a[k] > b[k]) return false;
    if (a[k] < b[k]) strictly = true;
  }
  return strictly;
}

}  // namespace

std::vector<size_t> pareto_front(const std::vector<std::vector<double>>& points) {
  std::vector<size_t> front;
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) dominated = j != i && dominates(points[j], points[i]);
    if (!dominated) front.push_back(i);
  }
  return front;
}

}  // namespace hwnas
