// This file implements FloatBatchRunner (see float_batch_runner.hpp): BatchRunner's float32
// policy, weights and biases cast to float32 once, matrix products by Eigen.
#include "trainers/deploy/float_batch_runner.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

#include "trainers/deploy/batch_runner_impl.hpp"
#include "trainers/deploy/batch_windows.hpp"
#include "trainers/deploy/float_reference.hpp"

namespace hwnas {

namespace {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void activate(Activation a, float* y, int64_t n) {
  if (a == Activation::kNone) return;
  const float hi = a == Activation::kRelu6 ? 6.0f : HUGE_VALF;
  for (int64_t i = 0; i < n; ++i) y[i] = std::clamp(y[i], 0.0f, hi);
}

// A float32 input as the window loops read it: as it is.
constexpr auto as_is = [](float v) { return v; };

// Depthwise convolution of one sample, each output pixel accumulated in place in y from
// the bias. NOTE: outside BatchOps, so that its lambdas inline (see batch_windows.hpp).
void depthwise(const FoldedOp& op, const float* weights, const std::vector<float>& bias,
               const float* x, float* y) {
  const int cm = op.deploy.out_shape.c;
  const Activation activation = op.activation;
  depthwise_windows(
      op.geometry, cm, op.depth_multiplier, weights, x, as_is,
      [&bias, cm, y](int64_t pixel) {
        float* a = y + pixel * cm;
        std::copy(bias.begin(), bias.end(), a);
        return a;
      },
      [activation, cm](int64_t, float* a) { activate(activation, a, cm); });
}

}  // namespace

template <>
struct BatchOps<FoldedModel> {
  struct Plan {
    Eigen::MatrixXf weights;  // matmul: W^T (K x cout); depthwise: [kh * kw][cout] as cout x taps
    std::vector<float> bias;  // per output channel
  };
  struct Scratch {
    std::vector<float> cols;  // a chunk's im2col rows
  };

  static Plan prepare(const FoldedModel&, const FoldedOp& op, BatchOpKind kind, int64_t k) {
    Plan p;
    if (kind == BatchOpKind::kReference) return p;
    const int64_t cout = op.deploy.out_shape.c;
    const bool matmul = kind == BatchOpKind::kMatMul;
    // [cout][K] row-major (OHWI, [unit][input]) or depthwise [taps][cout]: either way the
    // column-major matrix below has one output channel per column.
    p.weights = Eigen::Map<const Eigen::MatrixXd>(op.weights.data(), matmul ? k : cout,
                                                  matmul ? cout : k)
                    .cast<float>();
    p.bias.assign(op.bias.begin(), op.bias.end());
    return p;
  }

  static void load_sample(const FoldedModel&, const float* in, int64_t size, float* out) {
    std::copy_n(in, size, out);
  }

  // Output rows [r0, r1): (im2col rows, or a dense op's samples in place) x W^T + bias,
  // then the activation.
  static void matmul_chunk(const FoldedModel&, const FoldedOp& op, const Plan& p, int64_t k,
                           const float* x, int64_t r0, int64_t r1, Scratch& s, float* y) {
    const int64_t rows = r1 - r0, cout = op.deploy.out_shape.c;
    const float* a = x + r0 * k;
    if (op.deploy.kind != DeployKind::kDense) {
      s.cols.resize(size_t(rows * k));
      im2col_batch_rows(op.geometry, x, r0, r1, as_is, s.cols.data());
      a = s.cols.data();
    }
    Eigen::Map<RowMatrixF> out(y + r0 * cout, rows, cout);
    out.noalias() = Eigen::Map<const RowMatrixF>(a, rows, k) * p.weights;
    out.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(p.bias.data(), cout);
    activate(op.activation, y + r0 * cout, rows * cout);
  }

  static void depthwise_sample(const FoldedModel&, const FoldedOp& op, const Plan& p,
                               const float* x, Scratch&, float* y) {
    depthwise(op, p.weights.data(), p.bias, x, y);
  }

  static void run_reference(const FoldedModel& model, size_t op, const float* const* inputs,
                            float* y) {
    run_float_op(model, op, inputs, y);
  }
};

template class BatchRunner<FoldedModel, float>;

}  // namespace hwnas
