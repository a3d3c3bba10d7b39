// This file implements the float reference inference (see float_reference.hpp).
#include "trainers/deploy/float_reference.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace hwnas {

namespace {

template <typename T>
void conv(const FoldedOp& op, const T* x, T* y) {
  const WindowGeometry& g = op.geometry;
  const int cout = op.deploy.out_shape.c, cin = g.channels;
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    for (int oc = 0; oc < cout; ++oc) {
      T acc = T(op.bias[size_t(oc)]);
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw) {
          const double* w =
              op.weights.data() + ((int64_t(oc) * g.kernel_h + kh) * g.kernel_w + kw) * cin;
          const T* in = x + (in0 + int64_t(kh) * g.in_w + kw) * cin;
          for (int ic = 0; ic < cin; ++ic) acc += T(w[ic]) * in[ic];
        }
      y[pixel * cout + oc] = acc;
    }
  });
}

template <typename T>
void depthwise(const FoldedOp& op, const T* x, T* y) {
  const WindowGeometry& g = op.geometry;
  const int cm = op.deploy.out_shape.c, m = op.depth_multiplier;
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    for (int j = 0; j < cm; ++j) {
      T acc = T(op.bias[size_t(j)]);
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw)
          acc += T(op.weights[size_t((kh * g.kernel_w + kw) * cm + j)]) *
                 x[(in0 + int64_t(kh) * g.in_w + kw) * g.channels + j / m];
      y[pixel * cm + j] = acc;
    }
  });
}

template <typename T>
void dense(const FoldedOp& op, const T* x, T* y) {
  const size_t units = size_t(op.deploy.out_shape.c), n = size_t(op.deploy.in_shape.elements());
  for (size_t u = 0; u < units; ++u) {
    T acc = T(op.bias[u]);
    for (size_t i = 0; i < n; ++i) acc += T(op.weights[u * n + i]) * x[i];
    y[u] = acc;
  }
}

template <typename T>
void scale(const FoldedOp& op, const T* x, T* y) {
  const size_t c = op.weights.size(), n = size_t(op.deploy.out_shape.elements());
  for (size_t i = 0; i < n; ++i) y[i] = x[i] * T(op.weights[i % c]) + T(op.bias[i % c]);
}

template <typename T>
void pool(const FoldedOp& op, const T* x, T* y) {
  const WindowGeometry& g = op.geometry;
  const int c = g.channels;
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    for (int j = 0; j < c; ++j) {
      T acc = op.deploy.average ? T(0) : T(-HUGE_VAL);
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw) {
          const T v = x[(in0 + int64_t(kh) * g.in_w + kw) * c + j];
          acc = op.deploy.average ? acc + v : std::max(acc, v);
        }
      y[pixel * c + j] = op.deploy.average ? acc / T((kh1 - kh0) * (kw1 - kw0)) : acc;
    }
  });
}

template <typename T>
void global_pool(const FoldedOp& op, const T* x, T* y) {
  const size_t c = size_t(op.deploy.out_shape.c),
               pixels = size_t(op.deploy.in_shape.elements()) / c;
  std::fill(y, y + c, T(0));
  for (size_t p = 0; p < pixels; ++p)
    for (size_t j = 0; j < c; ++j) y[j] += x[p * c + j];
  for (size_t j = 0; j < c; ++j) y[j] /= T(pixels);
}

template <typename T>
void concat(const FoldedModel& model, const FoldedOp& op, const T* const* inputs, T* y) {
  const int cout = op.deploy.out_shape.c;
  const int64_t pixels = op.deploy.out_shape.elements() / cout;
  int offset = 0;
  for (size_t i = 0; i < op.deploy.inputs.size(); ++i) {
    const int c = model.tensor_shapes[size_t(op.deploy.inputs[i])].c;
    for (int64_t p = 0; p < pixels; ++p)
      for (int j = 0; j < c; ++j) y[p * cout + offset + j] = inputs[i][p * c + j];
    offset += c;
  }
}

// Over the channels of each pixel, as the trainer's softmax and TF Lite's.
template <typename T>
void softmax(int channels, int64_t n, const T* x, T* y) {
  for (int64_t p0 = 0; p0 < n; p0 += channels) {
    const T top = *std::max_element(x + p0, x + p0 + channels);
    T sum = 0;
    for (int64_t i = p0; i < p0 + channels; ++i) sum += y[i] = std::exp(x[i] - top);
    for (int64_t i = p0; i < p0 + channels; ++i) y[i] /= sum;
  }
}

template <typename T>
void activate(Activation a, int64_t n, T* y) {
  if (a == Activation::kNone) return;
  const T hi = a == Activation::kRelu6 ? T(6) : T(HUGE_VAL);
  for (int64_t i = 0; i < n; ++i) y[i] = std::clamp(y[i], T(0), hi);
}

}  // namespace

template <typename T>
void run_float_op(const FoldedModel& model, size_t index, const T* const* inputs, T* y) {
  const FoldedOp& op = model.ops[index];
  const T* x = inputs[0];
  const int64_t n = op.deploy.out_shape.elements();
  switch (op.deploy.kind) {
    case DeployKind::kConv:
    case DeployKind::kPointwiseConv:
      conv(op, x, y);
      break;
    case DeployKind::kDepthwiseConv:
      depthwise(op, x, y);
      break;
    case DeployKind::kDense:
      dense(op, x, y);
      break;
    case DeployKind::kScale:
      scale(op, x, y);
      break;
    case DeployKind::kPool:
      pool(op, x, y);
      break;
    case DeployKind::kGlobalPool:
      global_pool(op, x, y);
      break;
    case DeployKind::kAdd:
      std::copy(x, x + n, y);
      for (size_t i = 1; i < op.deploy.inputs.size(); ++i)
        for (int64_t k = 0; k < n; ++k) y[k] += inputs[i][k];
      break;
    case DeployKind::kConcat:
      concat(model, op, inputs, y);
      break;
    case DeployKind::kReshape:
    case DeployKind::kActivation:
      std::copy(x, x + n, y);
      break;
    case DeployKind::kSoftmax:
      softmax(op.deploy.out_shape.c, n, x, y);
      break;
  }
  activate(op.activation, n, y);
}

template void run_float_op<double>(const FoldedModel&, size_t, const double* const*, double*);
template void run_float_op<float>(const FoldedModel&, size_t, const float* const*, float*);

void run_float_op(const FoldedModel& model, size_t index, FloatTensors& t) {
  const FoldedOp& op = model.ops[index];
  std::vector<const double*> inputs;
  for (int id : op.deploy.inputs) inputs.push_back(t[size_t(id)].data());
  std::vector<double>& y = t[size_t(op.deploy.output)];
  y.resize(size_t(op.deploy.out_shape.elements()));
  run_float_op(model, index, inputs.data(), y.data());
}

FloatTensors run_float(const FoldedModel& model, const double* input, const FloatOpHook& after_op) {
  FloatTensors t(model.tensor_shapes.size());
  t[0].assign(input, input + model.input_shape.elements());
  for (size_t o = 0; o < model.ops.size(); ++o) {
    run_float_op(model, o, t);
    if (after_op) after_op(o, t);
  }
  return t;
}

}  // namespace hwnas
