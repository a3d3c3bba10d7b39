// This file implements the Lawson-Hanson NNLS solver (see nnls.hpp).
#include "estimators/nnls.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <vector>

namespace hwnas {

namespace {

// Unconstrained least squares restricted to the columns in `passive`; other entries are 0.
Eigen::VectorXd solve_passive(const Eigen::MatrixXd& a, const Eigen::VectorXd& b, const std::vector<bool>& passive) {
  std::vector<Eigen::Index> cols;
  for (Eigen::Index j = 0; j < a.cols(); ++j)
    if (passive[size_t(j)]) cols.push_back(j);
  Eigen::MatrixXd sub(a.rows(), Eigen::Index(cols.size()));  // A_P (m x |P|)
  for (size_t k = 0; k < cols.size(); ++k) sub.col(Eigen::Index(k)) = a.col(cols[k]);
  const Eigen::VectorXd z = sub.colPivHouseholderQr().solve(b);
  Eigen::VectorXd s = Eigen::VectorXd::Zero(a.cols());
  for (size_t k = 0; k < cols.size(); ++k) s(cols[k]) = z(Eigen::Index(k));
  return s;
}

// Index of the largest gradient entry over the active set, or -1 if none exceeds `tolerance`.
Eigen::Index best_active(const Eigen::VectorXd& w, const std::vector<bool>& passive, const std::vector<bool>& blocked,
                         double tolerance) {
  Eigen::Index best = -1;
  double best_w = tolerance;
  for (Eigen::Index j = 0; j < w.size(); ++j) {
    if (passive[size_t(j)] || blocked[size_t(j)]) continue;
    if (w(j) > best_w) {
      best_w = w(j);
      best = j;
    }
  }
  return best;
}

// Inner loop of Lawson-Hanson: moves x towards the passive-set solution `s`, dropping
// variables that reach 0, until the passive-set solution is strictly positive.
void inner_loop(const Eigen::MatrixXd& a, const Eigen::VectorXd& b, Eigen::VectorXd s, Eigen::VectorXd& x,
                std::vector<bool>& passive, double tolerance) {
  const Eigen::Index n = a.cols();
  for (Eigen::Index guard = 0; guard <= 3 * n; ++guard) {
    double alpha = std::numeric_limits<double>::infinity();
    for (Eigen::Index j = 0; j < n; ++j)
      if (passive[size_t(j)] && s(j) <= tolerance) alpha = std::min(alpha, x(j) / (x(j) - s(j)));
    if (alpha == std::numeric_limits<double>::infinity()) break;
    x += alpha * (s - x);
    for (Eigen::Index j = 0; j < n; ++j) {
      if (passive[size_t(j)] && x(j) <= tolerance) passive[size_t(j)] = false;
      if (!passive[size_t(j)]) x(j) = 0;
    }
    s = solve_passive(a, b, passive);
  }
  x = s;
  for (Eigen::Index j = 0; j < n; ++j) x(j) = passive[size_t(j)] ? std::max(x(j), 0.0) : 0.0;
}

}  // namespace

NnlsResult nnls(const Eigen::MatrixXd& a, const Eigen::VectorXd& b, double tolerance, int max_iterations) {
  assert(a.rows() == b.size());
  const Eigen::Index n = a.cols();
  if (tolerance < 0)
    tolerance = 10 * std::numeric_limits<double>::epsilon() * a.cwiseAbs().colwise().sum().maxCoeff() *
                double(std::max(a.rows(), n));
  if (max_iterations < 0) max_iterations = int(3 * n);
  NnlsResult result;
  result.x = Eigen::VectorXd::Zero(n);
  std::vector<bool> passive(size_t(n), false);
  std::vector<bool> blocked(size_t(n), false);  // added once and could not stay positive
  Eigen::VectorXd w = a.transpose() * b;        // gradient -d/dx of ||Ax - b||^2 / 2 at x = 0
  while (true) {
    const Eigen::Index t = best_active(w, passive, blocked, tolerance);
    if (t < 0) break;
    if (result.iterations == max_iterations) {
      result.converged = false;
      break;
    }
    ++result.iterations;
    passive[size_t(t)] = true;
    const Eigen::VectorXd s = solve_passive(a, b, passive);
    if (s(t) <= tolerance) {
      // NOTE: in exact arithmetic the new variable is positive in the passive solution (its
      // gradient is); when rounding says otherwise, leave it out until x moves again.
      passive[size_t(t)] = false;
      blocked[size_t(t)] = true;
      continue;
    }
    inner_loop(a, b, s, result.x, passive, tolerance);
    std::fill(blocked.begin(), blocked.end(), false);
    w.noalias() = a.transpose() * (b - a * result.x);
  }
  result.residual_norm = (a * result.x - b).norm();
  return result;
}

}  // namespace hwnas
