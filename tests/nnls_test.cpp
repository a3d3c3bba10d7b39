// This file implements the tests of the Lawson-Hanson NNLS solver on small hand cases.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "estimators/nnls.hpp"

namespace hwnas::test {

TEST_SUITE("nnls") {
  TEST_CASE("a consistent system with a positive solution is recovered exactly") {
    Eigen::MatrixXd a(4, 3);
    a << 1, 2, 0,  //
        0, 1, 3,   //
        2, 0, 1,   //
        1, 1, 1;
    const Eigen::Vector3d truth(0.5, 2.0, 1.25);
    const Eigen::VectorXd b = a * truth;
    const NnlsResult r = nnls(a, b);
    CHECK(r.converged);
    CHECK((r.x - truth).norm() < 1e-12);
    CHECK(r.residual_norm < 1e-12);
  }

  TEST_CASE("an unconstrained solution with a negative entry is clamped to the constrained optimum") {
    // Unconstrained: A^T A = [[2,1],[1,2]], A^T b = (1,-3), so x = (5/3, -7/3). With x >= 0,
    // x2 = 0 and x1 minimises (x1-2)^2 + (x1+1)^2 + 4, so x1 = 0.5 and ||r||^2 = 8.5; the
    // gradient for x2 there is a2.(b - A x) = (0,1,1).(1.5,-1.5,-2) = -3.5 < 0 (KKT holds).
    Eigen::MatrixXd a(3, 2);
    a << 1, 0,  //
        1, 1,   //
        0, 1;
    const Eigen::Vector3d b(2, -1, -2);
    const Eigen::Vector2d unconstrained = a.colPivHouseholderQr().solve(b);
    REQUIRE(unconstrained(0) == doctest::Approx(5.0 / 3));
    REQUIRE(unconstrained(1) == doctest::Approx(-7.0 / 3));
    const NnlsResult r = nnls(a, b);
    CHECK(r.x(0) == doctest::Approx(0.5));
    CHECK(r.x(1) == 0.0);
    CHECK(r.residual_norm == doctest::Approx(std::sqrt(8.5)));
  }

  TEST_CASE("one active constraint, one positive variable") {
    // A = I(2) stacked on (1, 1); b = (3, -1, 2): the unconstrained x2 is negative.
    Eigen::MatrixXd a(3, 2);
    a << 1, 0,  //
        0, 1,   //
        1, 1;
    const Eigen::Vector3d b(3, -1, 2);
    const Eigen::Vector2d unconstrained = a.colPivHouseholderQr().solve(b);
    REQUIRE(unconstrained(1) < 0);  // the constraint matters
    const NnlsResult r = nnls(a, b);
    // With x2 = 0: minimise (x1-3)^2 + 1 + (x1-2)^2 -> x1 = 2.5; gradient for x2 at that point
    // is a2.(b - A x) = (0,1,1).(0.5, -1, -0.5) = -1.5 < 0, so x2 stays 0 (KKT).
    CHECK(r.x(0) == doctest::Approx(2.5));
    CHECK(r.x(1) == 0.0);
    CHECK(r.converged);
  }

  TEST_CASE("an underdetermined system returns a non-negative exact solution") {
    Eigen::MatrixXd a(1, 3);
    a << 1, 2, 3;
    const Eigen::VectorXd b = Eigen::VectorXd::Constant(1, 6.0);
    const NnlsResult r = nnls(a, b);
    CHECK((r.x.array() >= 0).all());
    CHECK(r.residual_norm < 1e-12);
  }

  TEST_CASE("all-negative targets give x = 0") {
    Eigen::MatrixXd a(2, 2);
    a << 1, 0, 0, 1;
    const NnlsResult r = nnls(a, Eigen::Vector2d(-1, -3));
    CHECK(r.x.isZero());
    CHECK(r.iterations == 0);
  }

  TEST_CASE("random problems satisfy the KKT conditions") {
    std::mt19937 rng(7);
    std::normal_distribution<double> g(0, 1);
    for (int trial = 0; trial < 50; ++trial) {
      const int m = 3 + trial % 8, n = 2 + trial % 6;
      Eigen::MatrixXd a(m, n);
      Eigen::VectorXd b(m);
      for (int i = 0; i < m; ++i) {
        b(i) = g(rng);
        for (int j = 0; j < n; ++j) a(i, j) = g(rng);
      }
      const NnlsResult r = nnls(a, b);
      REQUIRE(r.converged);
      const Eigen::VectorXd w = a.transpose() * (b - a * r.x);
      for (int j = 0; j < n; ++j) {
        CHECK(r.x(j) >= 0);
        CHECK(w(j) < 1e-9);                           // no variable wants to grow
        if (r.x(j) > 0) CHECK(std::abs(w(j)) < 1e-9);  // free variables are at a stationary point
      }
    }
  }
}

}  // namespace hwnas::test
