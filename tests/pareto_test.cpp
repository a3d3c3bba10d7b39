// This file implements the tests of non-dominated filtering.
#include <doctest/doctest.h>

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
