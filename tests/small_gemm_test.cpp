// This file implements the tests of the small GEMMs against Eigen's products in double,
// over shapes that exercise every column panel (4, 3, 2, 1 vectors of 16, one of 8,
// single columns) and row tail, with and without bias and accumulation.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "trainers/kernels/small_gemm.hpp"
#include "trainers/kernels/tensor.hpp"

namespace hwnas::test {

namespace {

Tensor random_matrix(int64_t rows, int64_t cols, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Tensor m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = u(rng);
  return m;
}

double max_abs_diff(const Tensor& a, const Eigen::MatrixXd& b) {
  return (a.cast<double>() - b).cwiseAbs().maxCoeff();
}

struct Shape {
  int64_t m;
  int k, n;
};

// n covers 64 + 48 + 8 + 3 columns, exact panels, narrow layers.
const Shape kShapes[] = {{13, 7, 123}, {8, 32, 64}, {5, 64, 32}, {3, 9, 16},
                         {1, 3, 8},    {6, 1, 1},   {17, 24, 24}, {4, 5, 200}};

}  // namespace

TEST_SUITE("small_gemm") {
  TEST_CASE("gemm_nn matches a double product with bias and accumulation") {
    std::mt19937_64 rng(3);
    for (const auto& [m, k, n] : kShapes) {
      INFO("m ", m, " k ", k, " n ", n);
      const Tensor a = random_matrix(m, k, rng), b = random_matrix(k, n, rng);
      const Tensor bias = random_matrix(1, n, rng), start = random_matrix(m, n, rng);
      const Eigen::MatrixXd product = a.cast<double>() * b.cast<double>();
      Tensor c = Tensor::Constant(m, n, 99.0f);  // stale values must be overwritten
      gemm_nn(a.data(), b.data(), c.data(), m, k, n, nullptr, false);
      CHECK(max_abs_diff(c, product) < 1e-5);
      gemm_nn(a.data(), b.data(), c.data(), m, k, n, bias.data(), false);
      CHECK(max_abs_diff(c, product + bias.cast<double>().replicate(m, 1)) < 1e-5);
      c = start;
      gemm_nn(a.data(), b.data(), c.data(), m, k, n, nullptr, true);
      CHECK(max_abs_diff(c, product + start.cast<double>()) < 1e-5);
    }
  }
  TEST_CASE("gemm_tn matches a double product, assigned and accumulated") {
    std::mt19937_64 rng(4);
    for (const auto& [m, k, n] : kShapes) {
      INFO("m ", m, " k ", k, " n ", n);
      const Tensor a = random_matrix(m, k, rng), b = random_matrix(m, n, rng);
      const Tensor start = random_matrix(k, n, rng);
      const Eigen::MatrixXd product = a.cast<double>().transpose() * b.cast<double>();
      Tensor c = Tensor::Constant(k, n, 99.0f);
      gemm_tn(a.data(), b.data(), c.data(), m, k, n, false);
      CHECK(max_abs_diff(c, product) < 1e-5);
      c = start;
      gemm_tn(a.data(), b.data(), c.data(), m, k, n, true);
      CHECK(max_abs_diff(c, product + start.cast<double>()) < 1e-5);
    }
  }
  TEST_CASE("transpose") {
    std::mt19937_64 rng(5);
    const Tensor w = random_matrix(5, 19, rng);
    Tensor t(19, 5);
    transpose(w.data(), 5, 19, t.data());
    CHECK(t == w.transpose());
  }
}

}  // namespace hwnas::test
