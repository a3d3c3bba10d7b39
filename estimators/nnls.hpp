// This file implements non-negative least squares: minimise ||A x - b||_2 subject to x >= 0,
// by the active-set method of Lawson and Hanson ("Solving Least Squares Problems", 1974,
// ch. 23, algorithm NNLS). Latency calibration uses it to fit cycles-per-feature
// coefficients, which cannot be negative.
//
// The algorithm keeps a passive set P (variables free to be positive) and an active set Z
// (variables held at 0). Each outer step moves into P the variable whose gradient
// w = A^T (b - A x) most wants to grow, solves the unconstrained least-squares problem on
// the columns in P, and, while that solution has non-positive entries, steps back along the
// segment towards it until a variable hits 0 and returns that variable to Z. It stops when
// no variable in Z has a positive gradient (the KKT conditions hold).
#pragma once

#include <Eigen/Dense>

namespace hwnas {

struct NnlsResult {
  Eigen::VectorXd x;         ///< the solution (n), every entry >= 0
  double residual_norm = 0;  ///< ||A x - b||_2
  int iterations = 0;        ///< outer iterations (variables moved into the passive set)
  bool converged = true;     ///< false if the iteration limit was reached first
};

/// Solves min ||A x - b|| subject to x >= 0 for A (m x n) and b (m). Works for m < n and for
/// rank-deficient A (then one of the minimisers is returned). `tolerance` < 0 picks
/// 10 * eps * ||A||_1 * max(m, n); `max_iterations` < 0 picks 3 n.
/// NOTE: pure function, safe to call concurrently.
NnlsResult nnls(const Eigen::MatrixXd& a, const Eigen::VectorXd& b, double tolerance = -1,
                int max_iterations = -1);

}  // namespace hwnas
