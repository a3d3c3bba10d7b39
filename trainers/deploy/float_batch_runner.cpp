// This file implements FloatBatchRunner (see float_batch_runner.hpp).
#include "trainers/deploy/float_batch_runner.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cassert>
#include <cmath>

#include "trainers/deploy/float_reference.hpp"

namespace hwnas {

namespace {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Rows of im2col per matrix product: about 64 K values, so a chunk stays in L2.
int64_t chunk_rows(int64_t k) { return std::max<int64_t>(16, 65536 / std::max<int64_t>(k, 1)); }

struct OpPlan {
  enum class Kind { kReference, kMatMul, kDepthwise } kind = Kind::kReference;
  int64_t k = 0;            // taps per output (matmul)
  Eigen::MatrixXf weights;  // matmul: W^T (K x cout); depthwise: [kh * kw][cout] as cout x taps
  std::vector<float> bias;  // per output channel
};

OpPlan prepare(const FoldedOp& op) {
  OpPlan p;
  const int64_t cout = op.deploy.out_shape.c;
  switch (op.deploy.kind) {
    case DeployKind::kConv:
    case DeployKind::kPointwiseConv:
    case DeployKind::kDense:
      p.kind = OpPlan::Kind::kMatMul;
      break;
    case DeployKind::kDepthwiseConv:
      p.kind = OpPlan::Kind::kDepthwise;
      break;
    default:
      return p;
  }
  p.k = int64_t(op.weights.size()) / cout;
  // [cout][K] row-major (OHWI, [unit][input]) or depthwise [taps][cout]: either way the
  // column-major matrix below has one output channel per column.
  p.weights = Eigen::Map<const Eigen::MatrixXd>(op.weights.data(),
                                                p.kind == OpPlan::Kind::kMatMul ? p.k : cout,
                                                p.kind == OpPlan::Kind::kMatMul ? cout : p.k)
                  .cast<float>();
  p.bias.assign(op.bias.begin(), op.bias.end());
  return p;
}

void activate(Activation a, float* y, int64_t n) {
  if (a == Activation::kNone) return;
  const float hi = a == Activation::kRelu6 ? 6.0f : HUGE_VALF;
  for (int64_t i = 0; i < n; ++i) y[i] = std::clamp(y[i], 0.0f, hi);
}

// im2col rows [r0, r1) of a batch (row r: sample r / P, output pixel r % P), 0 for
// padding taps; `cols` is (r1 - r0) x K row-major.
void im2col_rows(const WindowGeometry& g, const float* x, int64_t r0, int64_t r1, float* cols) {
  const int64_t pixels = g.out_pixels(), in_size = int64_t(g.in_pixels()) * g.channels;
  const int c = g.channels;
  for (int64_t r = r0; r < r1; ++r) {
    const float* sample = x + (r / pixels) * in_size;
    const int p = int(r % pixels), ih0 = g.in_row(p / g.out_w), iw0 = g.in_col(p % g.out_w);
    for (int kh = 0; kh < g.kernel_h; ++kh) {
      const int ih = ih0 + kh;
      for (int kw = 0; kw < g.kernel_w; ++kw, cols += c) {
        const int iw = iw0 + kw;
        if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w)
          std::fill(cols, cols + c, 0.0f);
        else
          std::copy_n(sample + (int64_t(ih) * g.in_w + iw) * c, c, cols);
      }
    }
  }
}

void matmul(const FoldedOp& op, const OpPlan& p, const float* x, int n, std::vector<float>& cols,
            float* y) {
  const bool dense = op.deploy.kind == DeployKind::kDense;
  const int64_t rows = dense ? n : int64_t(n) * op.geometry.out_pixels();
  const int64_t cout = op.deploy.out_shape.c, step = chunk_rows(p.k);
  const Eigen::Map<const Eigen::RowVectorXf> bias(p.bias.data(), cout);
  for (int64_t r0 = 0; r0 < rows; r0 += step) {
    const int64_t r1 = std::min(rows, r0 + step);
    const float* a = x + r0 * p.k;
    if (!dense) {
      cols.resize(size_t((r1 - r0) * p.k));
      im2col_rows(op.geometry, x, r0, r1, cols.data());
      a = cols.data();
    }
    Eigen::Map<RowMatrixF> out(y + r0 * cout, r1 - r0, cout);
    out.noalias() = Eigen::Map<const RowMatrixF>(a, r1 - r0, p.k) * p.weights;
    out.rowwise() += bias;
  }
  activate(op.activation, y, rows * cout);
}

void depthwise_sample(const FoldedOp& op, const OpPlan& p, const float* x, float* y) {
  const WindowGeometry& g = op.geometry;
  const int cm = op.deploy.out_shape.c, m = op.depth_multiplier, c = g.channels;
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    float* a = y + pixel * cm;
    std::copy(p.bias.begin(), p.bias.end(), a);
    for (int kh = kh0; kh < kh1; ++kh)
      for (int kw = kw0; kw < kw1; ++kw) {
        const float* w = p.weights.data() + (kh * g.kernel_w + kw) * cm;
        const float* xin = x + (in0 + int64_t(kh) * g.in_w + kw) * c;
        if (m == 1)
          for (int j = 0; j < cm; ++j) a[j] += w[j] * xin[j];
        else
          for (int j = 0; j < cm; ++j) a[j] += w[j] * xin[j / m];
      }
  });
  activate(op.activation, y, op.deploy.out_shape.elements());
}

}  // namespace

struct FloatBatchRunner::Prepared {
  std::vector<OpPlan> plans;  // per op
  std::vector<float> cols;
  std::vector<const float*> inputs;
};

FloatBatchRunner::FloatBatchRunner(const FoldedModel& model, int max_batch)
    : m_model(model), m_max_batch(max_batch), m_prepared(std::make_unique<Prepared>()) {
  assert(max_batch >= 1);
  for (const TensorShape& s : model.tensor_shapes)
    m_tensors.emplace_back(size_t(s.elements()) * size_t(max_batch));
  for (const FoldedOp& op : model.ops) m_prepared->plans.push_back(prepare(op));
}

FloatBatchRunner::~FloatBatchRunner() = default;
FloatBatchRunner::FloatBatchRunner(FloatBatchRunner&&) noexcept = default;

void FloatBatchRunner::run(const float* inputs, int64_t stride, int n) {
  assert(n >= 0 && n <= m_max_batch);
  const int64_t input_size = m_model.input_shape.elements();
  for (int b = 0; b < n; ++b)
    std::copy_n(inputs + b * stride, input_size, m_tensors[0].data() + b * input_size);
  Prepared& p = *m_prepared;
  for (size_t o = 0; o < m_model.ops.size(); ++o) {
    const FoldedOp& op = m_model.ops[o];
    const OpPlan& plan = p.plans[o];
    const float* x = m_tensors[size_t(op.deploy.inputs[0])].data();
    float* y = m_tensors[size_t(op.deploy.output)].data();
    if (plan.kind == OpPlan::Kind::kMatMul) {
      matmul(op, plan, x, n, p.cols, y);
      continue;
    }
    const int64_t in_size = op.deploy.in_shape.elements(),
                  out_size = op.deploy.out_shape.elements();
    for (int b = 0; b < n; ++b) {
      if (plan.kind == OpPlan::Kind::kDepthwise) {
        depthwise_sample(op, plan, x + b * in_size, y + b * out_size);
        continue;
      }
      p.inputs.clear();
      for (int id : op.deploy.inputs)
        p.inputs.push_back(m_tensors[size_t(id)].data() +
                           b * m_model.tensor_shapes[size_t(id)].elements());
      run_float_op(m_model, o, p.inputs.data(), y + b * out_size);
    }
  }
}

const float* FloatBatchRunner::tensor(size_t t, int b) const {
  return m_tensors[t].data() + int64_t(b) * m_model.tensor_shapes[t].elements();
}

int FloatBatchRunner::predicted_class(int b) const {
  const auto t = size_t(m_model.score_tensor);
  const float* s = tensor(t, b);
  return int(std::max_element(s, s + m_model.tensor_shapes[t].elements()) - s);
}

}  // namespace hwnas
