// This file implements Int8BatchRunner (see int8_batch_runner.hpp).
#include "trainers/deploy/int8_batch_runner.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "trainers/deploy/int8_reference.hpp"

namespace hwnas {

namespace {

template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Rows of im2col per matrix product: about 64 K values, so a chunk stays in L2.
int64_t chunk_rows(int64_t k) { return std::max<int64_t>(16, 65536 / std::max<int64_t>(k, 1)); }

// Per output channel: bias, then multiply_by_quantized_multiplier, zero point, clamp.
// NOTE: separate arrays (not QuantizedOp's pairs), so that the loop vectorises.
struct Requantization {
  std::vector<int32_t> bias, multiplier, total_shift;  // total_shift: 31 - shift
  int32_t zero_point = 0, min = -128, max = 127;
};

// A conv, pointwise conv or dense op as a matrix product (see the file comment).
struct MatMulOp {
  bool dense = false;
  int64_t k = 0;              // taps (weights) per output
  bool in_double = false;     // float could round the accumulator
  Eigen::MatrixXf weights_f;  // W^T (K x cout), when !in_double
  Eigen::MatrixXd weights_d;  // W^T (K x cout), when in_double
};

// A depthwise conv: int32 weights per tap, channels innermost.
struct DepthwiseOp {
  std::vector<int32_t> weights;  // [kh * kw][cout]
};

struct OpPlan {
  enum class Kind { kReference, kMatMul, kDepthwise } kind = Kind::kReference;
  Requantization requantization;
  MatMulOp matmul;
  DepthwiseOp depthwise;
};

Requantization prepare_requantization(const QuantizedOp& op, QuantParams out) {
  Requantization r;
  r.bias = op.biases;
  for (const QuantizedMultiplier& m : op.output_multipliers) {
    r.multiplier.push_back(m.multiplier);
    r.total_shift.push_back(31 - m.shift);
  }
  r.zero_point = out.zero_point;
  r.min = op.activation_min;
  r.max = op.activation_max;
  return r;
}

// The largest |x - zero_point| of an int8 x.
int32_t max_input_offset(int32_t zero_point) {
  return std::max(127 - zero_point, zero_point + 128);
}

MatMulOp prepare_matmul(const QuantizedOp& op, QuantParams in) {
  MatMulOp m;
  m.dense = op.deploy.kind == DeployKind::kDense;
  const int64_t cout = op.deploy.out_shape.c;
  m.k = int64_t(op.weights.size()) / cout;
  int32_t max_weight = 0;
  for (int8_t w : op.weights) max_weight = std::max(max_weight, std::abs(int32_t(w)));
  const double bound = double(m.k) * max_weight * max_input_offset(in.zero_point);
  // TF Lite's int32 accumulator would overflow beyond 2^31 (checked here, not by TF Lite).
  assert(bound < 2147483648.0);
  m.in_double = bound > double(1 << 24);
  // The weights are [cout][K] row-major: as a column-major K x cout matrix, W^T.
  Eigen::Map<const Eigen::Matrix<int8_t, Eigen::Dynamic, Eigen::Dynamic>> w(op.weights.data(), m.k,
                                                                            cout);
  if (m.in_double)
    m.weights_d = w.cast<double>();
  else
    m.weights_f = w.cast<float>();
  return m;
}

DepthwiseOp prepare_depthwise(const QuantizedOp& op) {
  return DepthwiseOp{std::vector<int32_t>(op.weights.begin(), op.weights.end())};
}

// The int8 outputs of one pixel from its accumulators (integers, held as T):
// multiply_by_quantized_multiplier (fixed_point.hpp: one rounding of the 64-bit product)
// in a form the compiler vectorises (int64 lanes, no branches). |acc + bias| < 2^31 and
// the multiplier < 2^31, so the product and its rounding term fit in int64.
template <typename T>
void requantize(const Requantization& r, int cout, const T* acc, int8_t* y) {
  constexpr int64_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  const int32_t* bias = r.bias.data();
  const int32_t* multiplier = r.multiplier.data();
  const int32_t* shift = r.total_shift.data();
  for (int c = 0; c < cout; ++c) {
    const int64_t x = int64_t(int32_t(acc[c]) + bias[c]);
    const int64_t v = std::clamp((x * int64_t(multiplier[c]) + (int64_t(1) << (shift[c] - 1))) >> shift[c], kMin, kMax);
    y[c] = int8_t(std::clamp(int32_t(v) + r.zero_point, r.min, r.max));
  }
}

// im2col rows [r0, r1) of a batch (row r: sample r / P, output pixel r % P) as T values
// x - zero_point, 0 for padding taps; `cols` is (r1 - r0) x K row-major.
template <typename T>
void im2col_rows(const WindowGeometry& g, const int8_t* x, int32_t zero_point, int64_t r0,
                 int64_t r1, T* cols) {
  const int64_t pixels = g.out_pixels(), in_size = int64_t(g.in_pixels()) * g.channels;
  const int c = g.channels;
  for (int64_t r = r0; r < r1; ++r) {
    const int8_t* sample = x + (r / pixels) * in_size;
    const int p = int(r % pixels), ih0 = g.in_row(p / g.out_w), iw0 = g.in_col(p % g.out_w);
    for (int kh = 0; kh < g.kernel_h; ++kh) {
      const int ih = ih0 + kh;
      for (int kw = 0; kw < g.kernel_w; ++kw, cols += c) {
        const int iw = iw0 + kw;
        if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) {
          std::fill(cols, cols + c, T(0));
          continue;
        }
        const int8_t* in = sample + (int64_t(ih) * g.in_w + iw) * c;
        for (int j = 0; j < c; ++j) cols[j] = T(int32_t(in[j]) - zero_point);
      }
    }
  }
}

template <typename T>
void matmul_chunk(const QuantizedOp& op, const MatMulOp& m, const Requantization& rq,
                  QuantParams in, const int8_t* x, int64_t r0, int64_t r1,
                  const Eigen::Matrix<T, -1, -1>& wt, std::vector<T>& cols, std::vector<T>& acc,
                  int8_t* y) {
  const int64_t rows = r1 - r0, cout = op.deploy.out_shape.c;
  cols.resize(size_t(rows * m.k));
  acc.resize(size_t(rows * cout));
  if (m.dense) {
    const int8_t* row = x + r0 * m.k;
    for (int64_t i = 0; i < rows * m.k; ++i) cols[size_t(i)] = T(int32_t(row[i]) - in.zero_point);
  } else {
    im2col_rows(op.geometry, x, in.zero_point, r0, r1, cols.data());
  }
  Eigen::Map<const RowMajor<T>> a(cols.data(), rows, m.k);
  Eigen::Map<RowMajor<T>> product(acc.data(), rows, cout);
  product.noalias() = a * wt;
  for (int64_t r = 0; r < rows; ++r)
    requantize(rq, int(cout), acc.data() + r * cout, y + (r0 + r) * cout);
}

// Depthwise convolution of one sample (TF Lite's reference_integer_ops::DepthwiseConv).
void depthwise_sample(const QuantizedOp& op, const DepthwiseOp& d, const Requantization& rq,
                      QuantParams in, const int8_t* x, std::vector<int32_t>& acc, int8_t* y) {
  const WindowGeometry& g = op.geometry;
  const int cm = op.deploy.out_shape.c, m = op.depth_multiplier, c = g.channels;
  const int32_t zp = in.zero_point;
  acc.resize(size_t(cm));
  int32_t* a = acc.data();
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    std::fill(a, a + cm, 0);
    for (int kh = kh0; kh < kh1; ++kh)
      for (int kw = kw0; kw < kw1; ++kw) {
        const int32_t* w = d.weights.data() + (kh * g.kernel_w + kw) * cm;
        const int8_t* xin = x + (in0 + int64_t(kh) * g.in_w + kw) * c;
        if (m == 1)
          for (int j = 0; j < cm; ++j) a[j] += w[j] * (int32_t(xin[j]) - zp);
        else
          for (int j = 0; j < cm; ++j) a[j] += w[j] * (int32_t(xin[j / m]) - zp);
      }
    requantize(rq, cm, a, y + pixel * cm);
  });
}

}  // namespace

struct Int8BatchRunner::Prepared {
  std::vector<OpPlan> plans;  // per op
  std::vector<float> cols_f, acc_f;
  std::vector<double> cols_d, acc_d;
  std::vector<int32_t> acc_i;
  std::vector<const int8_t*> inputs;
};

Int8BatchRunner::Int8BatchRunner(const QuantizedModel& model, int max_batch)
    : m_model(model), m_max_batch(max_batch), m_prepared(std::make_unique<Prepared>()) {
  assert(max_batch >= 1);
  for (const TensorShape& s : model.tensor_shapes)
    m_tensors.emplace_back(size_t(s.elements()) * size_t(max_batch));
  for (const QuantizedOp& op : model.ops) {
    OpPlan plan;
    const QuantParams in = model.tensor_params[size_t(op.deploy.inputs[0])];
    const QuantParams out = model.tensor_params[size_t(op.deploy.output)];
    switch (op.deploy.kind) {
      case DeployKind::kConv:
      case DeployKind::kPointwiseConv:
      case DeployKind::kDense:
        plan.kind = OpPlan::Kind::kMatMul;
        plan.matmul = prepare_matmul(op, in);
        plan.requantization = prepare_requantization(op, out);
        break;
      case DeployKind::kDepthwiseConv:
        plan.kind = OpPlan::Kind::kDepthwise;
        plan.depthwise = prepare_depthwise(op);
        plan.requantization = prepare_requantization(op, out);
        break;
      default:
        break;
    }
    m_prepared->plans.push_back(std::move(plan));
  }
}

Int8BatchRunner::~Int8BatchRunner() = default;
Int8BatchRunner::Int8BatchRunner(Int8BatchRunner&&) noexcept = default;

void Int8BatchRunner::run(const float* inputs, int64_t stride, int n) {
  assert(n >= 0 && n <= m_max_batch);
  const QuantParams input_params = m_model.tensor_params[0];
  const int64_t input_size = m_model.input_shape.elements();
  // quantize_value's arithmetic, inline.
  const auto scale = double(input_params.scale), zero_point = double(input_params.zero_point);
  for (int b = 0; b < n; ++b) {
    const float* row = inputs + b * stride;
    int8_t* q = m_tensors[0].data() + b * input_size;
    for (int64_t i = 0; i < input_size; ++i)
      q[i] = int8_t(std::clamp(std::round(double(row[i]) / scale) + zero_point, -128.0, 127.0));
  }
  Prepared& p = *m_prepared;
  for (size_t o = 0; o < m_model.ops.size(); ++o) {
    const QuantizedOp& op = m_model.ops[o];
    const auto in_id = size_t(op.deploy.inputs[0]), out_id = size_t(op.deploy.output);
    const QuantParams in = m_model.tensor_params[in_id];
    const int8_t* x = m_tensors[in_id].data();
    int8_t* y = m_tensors[out_id].data();
    const OpPlan& plan = p.plans[o];
    if (plan.kind == OpPlan::Kind::kMatMul) {
      const MatMulOp& m = plan.matmul;
      const int64_t rows = m.dense ? n : int64_t(n) * op.geometry.out_pixels();
      for (int64_t r0 = 0; r0 < rows; r0 += chunk_rows(m.k)) {
        const int64_t r1 = std::min(rows, r0 + chunk_rows(m.k));
        if (m.in_double)
          matmul_chunk(op, m, plan.requantization, in, x, r0, r1, m.weights_d, p.cols_d, p.acc_d,
                       y);
        else
          matmul_chunk(op, m, plan.requantization, in, x, r0, r1, m.weights_f, p.cols_f, p.acc_f,
                       y);
      }
      continue;
    }
    const int64_t in_size = op.deploy.in_shape.elements(),
                  out_size = op.deploy.out_shape.elements();
    for (int b = 0; b < n; ++b) {
      if (plan.kind == OpPlan::Kind::kDepthwise) {
        depthwise_sample(op, plan.depthwise, plan.requantization, in, x + b * in_size, p.acc_i,
                         y + b * out_size);
        continue;
      }
      p.inputs.clear();
      for (int id : op.deploy.inputs)
        p.inputs.push_back(m_tensors[size_t(id)].data() +
                           b * m_model.tensor_shapes[size_t(id)].elements());
      run_int8_op(m_model, o, p.inputs.data(), y + b * out_size);
    }
  }
}

const int8_t* Int8BatchRunner::tensor(size_t t, int b) const {
  return m_tensors[t].data() + int64_t(b) * m_model.tensor_shapes[t].elements();
}

int Int8BatchRunner::predicted_class(int b) const {
  const auto t = size_t(m_model.score_tensor);
  const int8_t* s = tensor(t, b);
  return int(std::max_element(s, s + m_model.tensor_shapes[t].elements()) - s);
}

}  // namespace hwnas
