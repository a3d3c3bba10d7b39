// This file implements the tests of retraining_order (which candidates the later search
// stages train more) and of the hypervolume it relies on.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "search/pareto.hpp"
#include "search/retraining_order.hpp"

namespace hwnas::test {

namespace {

// Exact hypervolume of integer points against an integer reference by counting unit cells:
// the cell with lower corner c is dominated when some point is <= c in every objective.
double counted_hypervolume(const std::vector<ObjectivePoint>& points, int reference, size_t dims) {
  std::vector<int> cell(dims, 0);
  double count = 0;
  for (;;) {
    for (const ObjectivePoint& p : points) {
      bool covers = true;
      for (size_t k = 0; k < dims && covers; ++k) covers = p[k] <= cell[k];
      if (covers) {
        ++count;
        break;
      }
    }
    size_t k = 0;
    while (k < dims && ++cell[k] == reference) cell[k++] = 0;
    if (k == dims) return count;
  }
}

std::vector<ObjectivePoint> random_points(std::mt19937& rng, size_t n, size_t dims, int range) {
  std::uniform_int_distribution<int> value(0, range - 1);
  std::vector<ObjectivePoint> points(n, ObjectivePoint(dims));
  for (auto& p : points)
    for (double& v : p) v = value(rng);
  return points;
}

// Greedy hypervolume selection the slow way: every round recomputes every contribution.
std::vector<size_t> eager_greedy(const std::vector<ObjectivePoint>& points, std::vector<size_t> members,
                                 const ObjectivePoint& reference, std::vector<size_t> order) {
  std::vector<ObjectivePoint> picked;
  for (size_t i : order) picked.push_back(points[i]);
  while (!members.empty()) {
    const double base = hypervolume(picked, reference);
    size_t best = 0;
    double best_gain = -1;
    for (size_t m = 0; m < members.size(); ++m) {
      picked.push_back(points[members[m]]);
      const double gain = hypervolume(picked, reference) - base;
      picked.pop_back();
      if (gain > best_gain) best_gain = gain, best = m;  // members ascend: ties keep the lower index
    }
    order.push_back(members[best]);
    picked.push_back(points[members[best]]);
    members.erase(members.begin() + std::ptrdiff_t(best));
  }
  return order;
}

}  // namespace

TEST_SUITE("retraining order") {
  TEST_CASE("hypervolume matches counted unit cells in 2 to 4 dimensions") {
    std::mt19937 rng(7);
    for (size_t dims = 2; dims <= 4; ++dims)
      for (int round = 0; round < 20; ++round) {
        const auto points = random_points(rng, 3 + size_t(round), dims, 6);
        CHECK(hypervolume(points, ObjectivePoint(dims, 6.0)) == counted_hypervolume(points, 6, dims));
      }
  }

  TEST_CASE("the knee of the front comes before a poor extreme") {
    // (error, latency): A is the most accurate; B trades 2 points for half the latency; C is
    // the fastest but 20 points worse; D is barely faster than A; E is dominated by B.
    const std::vector<ObjectivePoint> points = {
        {0.20, 8.0}, {0.10, 10.0}, {0.30, 1.0}, {0.12, 5.0}, {0.11, 9.5}};
    const size_t E = 0, A = 1, C = 2, B = 3, D = 4;
    CHECK(retraining_order(points, 5) == std::vector<size_t>{A, B, C, D, E});
    // Crowding distance would have kept A and C (both extremes) for two slots.
    CHECK(retraining_order(points, 2) == std::vector<size_t>{A, B});
    CHECK(retraining_order(points, 0).empty());
    CHECK(retraining_order({}, 3).empty());
  }

  TEST_CASE("the most accurate point leads even where its hypervolume contribution is small") {
    // Four cost objectives: A's accuracy edge is thin and it is the worst on every cost.
    const std::vector<ObjectivePoint> points = {
        {0.100, 10, 10, 10, 10}, {0.101, 1, 1, 1, 1}, {0.2, 0.5, 5, 5, 5}};
    CHECK(retraining_order(points, 1) == std::vector<size_t>{0});
    CHECK(retraining_order(points, 3) == std::vector<size_t>{0, 1, 2});
  }

  TEST_CASE("units do not matter") {
    std::mt19937 rng(11);
    for (int round = 0; round < 10; ++round) {
      auto points = random_points(rng, 12, 3, 50);
      const auto order = retraining_order(points, 12);
      for (auto& p : points) p[2] *= 1024.0;
      CHECK(retraining_order(points, 12) == order);
    }
  }

  TEST_CASE("lazy greedy picks what recomputing every contribution picks, rank by rank") {
    std::mt19937 rng(3);
    for (int round = 0; round < 30; ++round) {
      const size_t dims = 2 + size_t(round % 3);
      const auto points = random_points(rng, 14, dims, 20);
      const std::vector<int> rank = nondominated_ranks(points);
      const ObjectivePoint reference = nadir_reference(points);
      std::vector<size_t> expected;
      for (int r = 0; expected.size() < points.size(); ++r) {
        std::vector<size_t> members;
        for (size_t i = 0; i < points.size(); ++i)
          if (rank[i] == r) members.push_back(i);
        const size_t first = *std::min_element(members.begin(), members.end(), [&](size_t a, size_t b) {
          return points[a][0] != points[b][0] ? points[a][0] < points[b][0] : a < b;
        });
        members.erase(std::find(members.begin(), members.end(), first));
        const auto rank_order = eager_greedy(points, members, reference, {first});
        expected.insert(expected.end(), rank_order.begin(), rank_order.end());
      }
      CHECK(retraining_order(points, points.size()) == expected);
      CHECK(retraining_order(points, 5) == std::vector<size_t>(expected.begin(), expected.begin() + 5));
    }
  }
}

}  // namespace hwnas::test
