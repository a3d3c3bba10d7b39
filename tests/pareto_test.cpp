// This file implements the tests of non-dominated filtering.
#include <doctest/doctest.h>

#include <cmath>

#include "search/pareto.hpp"

namespace hwnas::test {

TEST_SUITE("pareto") {
  TEST_CASE("keeps exactly the non-dominated points") {
    const std::vector<std::vector<double>> points = {
        {1, 5}, {2, 4}, {2, 6}, {3, 3}, {4, 4}, {5, 1}, {1, 5}};
    // {2,6} is dominated by {2,4} and {1,5}; {4,4} by {3,3}; the duplicate {1,5} stays.
    CHECK(pareto_front(points) == std::vector<size_t>{0, 1, 3, 5, 6});
  }
  TEST_CASE("single objective keeps all minima") {
    CHECK(pareto_front({{3}, {1}, {2}, {1}}) == std::vector<size_t>{1, 3});
  }
  TEST_CASE("empty input") { CHECK(pareto_front({}).empty()); }
}

}  // namespace hwnas::test

namespace hwnas::test {

TEST_SUITE("nsga2 sorting and hypervolume") {
  TEST_CASE("non-dominated ranks peel fronts") {
    // Front 0: {1,5},{3,3},{5,1}; front 1: {2,6},{4,4}; front 2: {5,5}.
    const std::vector<ObjectivePoint> points = {{1, 5}, {2, 6}, {3, 3}, {4, 4}, {5, 1}, {5, 5}};
    CHECK(nondominated_ranks(points) == std::vector<int>{0, 1, 0, 1, 0, 2});
  }
  TEST_CASE("crowding distance favours the extremes and sparse regions") {
    const std::vector<ObjectivePoint> points = {{0, 10}, {1, 9}, {5, 5}, {10, 0}};
    const std::vector<double> d = crowding_distances(points, {0, 1, 2, 3});
    CHECK(std::isinf(d[0]));
    CHECK(std::isinf(d[3]));
    // Point 1: (5 - 0) / 10 + (10 - 5) / 10 = 1.0; point 2: (10 - 1) / 10 + (9 - 0) / 10 = 1.8.
    CHECK(d[1] == doctest::Approx(1.0));
    CHECK(d[2] == doctest::Approx(1.8));
  }
  TEST_CASE("hypervolume of known 2-D and 3-D sets") {
    // Two points {1,2},{2,1} with reference {3,3}: 2x1 + 1x2 - 1x1 overlap = 3.
    CHECK(hypervolume({{1, 2}, {2, 1}}, {3, 3}) == doctest::Approx(3.0));
    // A dominated point and one outside the reference add nothing.
    CHECK(hypervolume({{1, 2}, {2, 1}, {2, 2}, {4, 0}}, {3, 3}) == doctest::Approx(3.0));
    // 3-D: one point {0,0,0} in the unit-2 cube is 8; adding {1,1,-1} adds a 1x1x1 slab.
    CHECK(hypervolume({{0, 0, 0}}, {2, 2, 2}) == doctest::Approx(8.0));
    CHECK(hypervolume({{0, 0, 0}, {1, 1, -1}}, {2, 2, 2}) == doctest::Approx(9.0));
    CHECK(hypervolume({}, {1, 1}) == 0.0);
  }
}

}  // namespace hwnas::test
