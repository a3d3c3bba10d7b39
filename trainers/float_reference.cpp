// This file implements the float reference inference (see float_reference.hpp).
#include "trainers/float_reference.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace hwnas {

namespace {

using Tensor1 = std::vector<double>;

void conv(const FoldedOp& op, const Tensor1& x, Tensor1& y) {
  const WindowGeometry& g = op.geometry;
  const int cout = op.deploy.out_shape.c, cin = g.channels;
  y.assign(size_t(g.out_pixels()) * size_t(cout), 0.0);
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    for (int oc = 0; oc < cout; ++oc) {
      double acc = op.bias[size_t(oc)];
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw) {
          const double* w =
              op.weights.data() + ((int64_t(oc) * g.kernel_h + kh) * g.kernel_w + kw) * cin;
          const double* in = x.data() + (in0 + int64_t(kh) * g.in_w + kw) * cin;
          for (int ic = 0; ic < cin; ++ic) acc += w[ic] * in[ic];
        }
      y[size_t(pixel * cout + oc)] = acc;
    }
  });
}

void depthwise(const FoldedOp& op, const Tensor1& x, Tensor1& y) {
  const WindowGeometry& g = op.geometry;
  const int cm = op.deploy.out_shape.c, m = op.depth_multiplier;
  y.assign(size_t(g.out_pixels()) * size_t(cm), 0.0);
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    for (int j = 0; j < cm; ++j) {
      double acc = op.bias[size_t(j)];
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw)
          acc += op.weights[size_t((kh * g.kernel_w + kw) * cm + j)] *
                 x[size_t((in0 + int64_t(kh) * g.in_w + kw) * g.channels + j / m)];
      y[size_t(pixel * cm + j)] = acc;
    }
  });
}

void dense(const FoldedOp& op, const Tensor1& x, Tensor1& y) {
  const size_t units = size_t(op.deploy.out_shape.c), n = x.size();
  y.assign(units, 0.0);
  for (size_t u = 0; u < units; ++u) {
    double acc = op.bias[u];
    for (size_t i = 0; i < n; ++i) acc += op.weights[u * n + i] * x[i];
    y[u] = acc;
  }
}

void scale(const FoldedOp& op, const Tensor1& x, Tensor1& y) {
  const size_t c = op.weights.size();
  y.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * op.weights[i % c] + op.bias[i % c];
}

void pool(const FoldedOp& op, const Tensor1& x, Tensor1& y) {
  const WindowGeometry& g = op.geometry;
  const int c = g.channels;
  y.assign(size_t(g.out_pixels()) * size_t(c), 0.0);
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    for (int j = 0; j < c; ++j) {
      double acc = op.deploy.average ? 0.0 : -HUGE_VAL;
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw) {
          const double v = x[size_t((in0 + int64_t(kh) * g.in_w + kw) * c + j)];
          acc = op.deploy.average ? acc + v : std::max(acc, v);
        }
      y[size_t(pixel * c + j)] = op.deploy.average ? acc / double((kh1 - kh0) * (kw1 - kw0)) : acc;
    }
  });
}

void global_pool(const FoldedOp& op, const Tensor1& x, Tensor1& y) {
  const size_t c = size_t(op.deploy.out_shape.c), pixels = x.size() / c;
  y.assign(c, 0.0);
  for (size_t p = 0; p < pixels; ++p)
    for (size_t j = 0; j < c; ++j) y[j] += x[p * c + j];
  for (double& v : y) v /= double(pixels);
}

void concat(const FoldedModel& model, const FoldedOp& op, const FloatTensors& t, Tensor1& y) {
  const int cout = op.deploy.out_shape.c;
  const int64_t pixels = op.deploy.out_shape.elements() / cout;
  y.assign(size_t(op.deploy.out_shape.elements()), 0.0);
  int offset = 0;
  for (int id : op.deploy.inputs) {
    const int c = model.tensor_shapes[size_t(id)].c;
    for (int64_t p = 0; p < pixels; ++p)
      for (int j = 0; j < c; ++j)
        y[size_t(p * cout + offset + j)] = t[size_t(id)][size_t(p * c + j)];
    offset += c;
  }
}

// Over the channels of each pixel, as the trainer's softmax and TF Lite's.
void softmax(int channels, const Tensor1& x, Tensor1& y) {
  y.resize(x.size());
  for (size_t p0 = 0; p0 < x.size(); p0 += size_t(channels)) {
    const auto first = x.begin() + std::ptrdiff_t(p0), last = first + channels;
    const double top = *std::max_element(first, last);
    double sum = 0.0;
    for (size_t i = p0; i < p0 + size_t(channels); ++i) sum += y[i] = std::exp(x[i] - top);
    for (size_t i = p0; i < p0 + size_t(channels); ++i) y[i] /= sum;
  }
}

void activate(Activation a, Tensor1& y) {
  if (a == Activation::kNone) return;
  const double hi = a == Activation::kRelu6 ? 6.0 : HUGE_VAL;
  for (double& v : y) v = std::clamp(v, 0.0, hi);
}

}  // namespace

void run_float_op(const FoldedModel& model, size_t index, FloatTensors& t) {
  const FoldedOp& op = model.ops[index];
  const Tensor1& x = t[size_t(op.deploy.inputs[0])];
  Tensor1& y = t[size_t(op.deploy.output)];
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
      y = x;
      for (size_t i = 1; i < op.deploy.inputs.size(); ++i)
        for (size_t k = 0; k < y.size(); ++k) y[k] += t[size_t(op.deploy.inputs[i])][k];
      break;
    case DeployKind::kConcat:
      concat(model, op, t, y);
      break;
    case DeployKind::kReshape:
    case DeployKind::kActivation:
      y = x;
      break;
    case DeployKind::kSoftmax:
      softmax(op.deploy.out_shape.c, x, y);
      break;
  }
  activate(op.activation, y);
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
