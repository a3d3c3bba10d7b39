// This file implements Int8BatchRunner (see int8_batch_runner.hpp): BatchRunner's int8
// policy, inputs quantised, accumulators exact, requantisation as the reference's.
#include "trainers/deploy/int8_batch_runner.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "trainers/deploy/batch_runner_impl.hpp"
#include "trainers/deploy/batch_windows.hpp"
#include "trainers/deploy/int8_reference.hpp"

namespace hwnas {

namespace {

template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Per output channel: bias, then multiply_by_quantized_multiplier, zero point, clamp.
// NOTE: separate arrays (not QuantizedOp's pairs), so that the loop vectorises.
struct Requantization {
  std::vector<int32_t> bias, multiplier, left_shift, right_shift;
  int32_t zero_point = 0, min = -128, max = 127;
};

Requantization prepare_requantization(const QuantizedOp& op, QuantParams out) {
  Requantization r;
  r.bias = op.biases;
  for (const QuantizedMultiplier& m : op.output_multipliers) {
    r.multiplier.push_back(m.multiplier);
    r.left_shift.push_back(std::max(m.shift, 0));
    r.right_shift.push_back(std::max(-m.shift, 0));
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

// The zero point of an op's (first) input, which every input value is taken relative to.
int32_t input_zero_point(const QuantizedModel& model, const QuantizedOp& op) {
  return model.tensor_params[size_t(op.deploy.inputs[0])].zero_point;
}

// The int8 outputs of one pixel from its accumulators (integers, held as T):
// multiply_by_quantized_multiplier (fixed_point.hpp, double rounding) in a form the
// compiler vectorises (int64 lanes, selects instead of branches): the rounding high
// multiply (its truncating division as a shift of a biased value), then the rounding
// right shift. |acc + bias| < 2^31 and the multiplier < 2^31, so every step fits in int64.
template <typename T>
void requantize(const Requantization& r, int cout, const T* acc, int8_t* y) {
  constexpr int64_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  constexpr int64_t kHalf = int64_t(1) << 30, kOne = int64_t(1) << 31;
  const int32_t* bias = r.bias.data();
  const int32_t* multiplier = r.multiplier.data();
  const int32_t* left = r.left_shift.data();
  const int32_t* right = r.right_shift.data();
  for (int c = 0; c < cout; ++c) {
    const int64_t wide = int64_t(int32_t(acc[c]) + bias[c]) << left[c];
    const int64_t x = std::clamp(wide, kMin, kMax);
    const int64_t ab = x * int64_t(multiplier[c]);
    const int64_t nudged = ab + (ab >= 0 ? kHalf : 1 - kHalf);
    const int64_t high = (nudged >= 0 ? nudged : nudged + kOne - 1) >> 31;
    const int64_t mask = (int64_t(1) << right[c]) - 1;
    const int64_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    const int64_t rounded = (high >> right[c]) + ((high & mask) > threshold ? 1 : 0);
    const int64_t v = wide > kMax ? kMax : wide < kMin ? kMin : rounded;  // saturates as fixed_point.hpp
    y[c] = int8_t(std::clamp(int32_t(v) + r.zero_point, r.min, r.max));
  }
}

// Output rows [r0, r1) of a conv or dense op with accumulators in T (exact, see the
// header): (x - zero_point) rows times W^T, then requantised row by row.
template <typename T>
void matmul_chunk_in(const QuantizedOp& op, const Requantization& rq, int64_t k, int32_t zero_point,
                     const int8_t* x, int64_t r0, int64_t r1, const Eigen::Matrix<T, -1, -1>& wt,
                     std::vector<T>& cols, std::vector<T>& acc, int8_t* y) {
  const int64_t rows = r1 - r0, cout = op.deploy.out_shape.c;
  const auto offset = [zero_point](int8_t v) { return T(int32_t(v) - zero_point); };
  cols.resize(size_t(rows * k));
  acc.resize(size_t(rows * cout));
  if (op.deploy.kind == DeployKind::kDense) {
    const int8_t* row = x + r0 * k;
    for (int64_t i = 0; i < rows * k; ++i) cols[size_t(i)] = offset(row[i]);
  } else {
    im2col_batch_rows(op.geometry, x, r0, r1, offset, cols.data());
  }
  Eigen::Map<const RowMajor<T>> a(cols.data(), rows, k);
  Eigen::Map<RowMajor<T>> product(acc.data(), rows, cout);
  product.noalias() = a * wt;
  for (int64_t r = 0; r < rows; ++r)
    requantize(rq, int(cout), acc.data() + r * cout, y + (r0 + r) * cout);
}

// Depthwise convolution of one sample (TF Lite's reference_integer_ops::DepthwiseConv):
// int32 accumulators from 0, the bias added in the requantisation.
// NOTE: outside BatchOps, so that its lambdas inline (see batch_windows.hpp).
void depthwise(const QuantizedOp& op, const int32_t* weights, const Requantization& rq,
               int32_t zero_point, const int8_t* x, std::vector<int32_t>& acc, int8_t* y) {
  const int cm = op.deploy.out_shape.c;
  acc.resize(size_t(cm));
  int32_t* a = acc.data();
  depthwise_windows(
      op.geometry, cm, op.depth_multiplier, weights, x,
      [zero_point](int8_t v) { return int32_t(v) - zero_point; },
      [a, cm](int64_t) {
        std::fill(a, a + cm, 0);
        return a;
      },
      [&rq, cm, y](int64_t pixel, const int32_t* sums) { requantize(rq, cm, sums, y + pixel * cm); });
}

}  // namespace

template <>
struct BatchOps<QuantizedModel> {
  struct Plan {
    Requantization requantization;  // matmul and depthwise
    bool in_double = false;         // matmul: float could round the accumulator
    Eigen::MatrixXf weights_f;      // matmul: W^T (K x cout), when !in_double
    Eigen::MatrixXd weights_d;      // matmul: W^T (K x cout), when in_double
    std::vector<int32_t> depthwise_weights;  // [kh * kw][cout]
  };
  struct Scratch {
    std::vector<float> cols_f, acc_f;
    std::vector<double> cols_d, acc_d;
    std::vector<int32_t> acc_i;
  };

  static Plan prepare(const QuantizedModel& model, const QuantizedOp& op, BatchOpKind kind,
                      int64_t k) {
    Plan p;
    if (kind == BatchOpKind::kReference) return p;
    p.requantization = prepare_requantization(op, model.tensor_params[size_t(op.deploy.output)]);
    if (kind == BatchOpKind::kDepthwise) {
      p.depthwise_weights.assign(op.weights.begin(), op.weights.end());
      return p;
    }
    const int64_t cout = op.deploy.out_shape.c;
    int32_t max_weight = 0;
    for (int8_t w : op.weights) max_weight = std::max(max_weight, std::abs(int32_t(w)));
    const double bound = double(k) * max_weight * max_input_offset(input_zero_point(model, op));
    // TF Lite's int32 accumulator would overflow beyond 2^31 (checked here, not by TF Lite).
    assert(bound < 2147483648.0);
    p.in_double = bound > double(1 << 24);
    // The weights are [cout][K] row-major: as a column-major K x cout matrix, W^T.
    Eigen::Map<const Eigen::Matrix<int8_t, Eigen::Dynamic, Eigen::Dynamic>> w(op.weights.data(), k,
                                                                              cout);
    if (p.in_double)
      p.weights_d = w.cast<double>();
    else
      p.weights_f = w.cast<float>();
    return p;
  }

  // quantize_value's arithmetic, inline.
  static void load_sample(const QuantizedModel& model, const float* in, int64_t size, int8_t* q) {
    const QuantParams params = model.tensor_params[0];
    const auto scale = double(params.scale), zero_point = double(params.zero_point);
    for (int64_t i = 0; i < size; ++i)
      q[i] = int8_t(std::clamp(std::round(double(in[i]) / scale) + zero_point, -128.0, 127.0));
  }

  static void matmul_chunk(const QuantizedModel& model, const QuantizedOp& op, const Plan& p,
                           int64_t k, const int8_t* x, int64_t r0, int64_t r1, Scratch& s,
                           int8_t* y) {
    const int32_t zp = input_zero_point(model, op);
    if (p.in_double)
      matmul_chunk_in(op, p.requantization, k, zp, x, r0, r1, p.weights_d, s.cols_d, s.acc_d, y);
    else
      matmul_chunk_in(op, p.requantization, k, zp, x, r0, r1, p.weights_f, s.cols_f, s.acc_f, y);
  }

  static void depthwise_sample(const QuantizedModel& model, const QuantizedOp& op, const Plan& p,
                               const int8_t* x, Scratch& s, int8_t* y) {
    depthwise(op, p.depthwise_weights.data(), p.requantization, input_zero_point(model, op), x,
              s.acc_i, y);
  }

  static void run_reference(const QuantizedModel& model, size_t op, const int8_t* const* inputs,
                            int8_t* y) {
    run_int8_op(model, op, inputs, y);
  }
};

template class BatchRunner<QuantizedModel, int8_t>;

}  // namespace hwnas
