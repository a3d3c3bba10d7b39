// This file implements the integer-only reference inference (see int8_reference.hpp).
// Kernel by kernel it follows TF Lite's reference_integer_ops (conv, depthwise_conv,
// fully_connected, pooling, mean, add) and TF Lite Micro's relu and requantising concat.
#include "trainers/int8_reference.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace hwnas {

namespace {

using Int8 = std::vector<int8_t>;

struct OpContext {
  const QuantizedOp& op;
  QuantParams in, out;
  int8_t finish(int32_t acc) const {  // requantised value -> output int8
    return int8_t(std::clamp(acc + out.zero_point, op.activation_min, op.activation_max));
  }
};

void conv(const OpContext& c, const Int8& x, Int8& y) {
  const QuantizedOp& op = c.op;
  const WindowGeometry& g = op.geometry;
  const int cout = op.deploy.out_shape.c, cin = g.channels;
  const int32_t in_offset = -c.in.zero_point;
  y.resize(size_t(g.out_pixels()) * size_t(cout));
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    for (int oc = 0; oc < cout; ++oc) {
      int32_t acc = 0;
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw) {
          const int8_t* w =
              op.weights.data() + ((int64_t(oc) * g.kernel_h + kh) * g.kernel_w + kw) * cin;
          const int8_t* in = x.data() + (in0 + int64_t(kh) * g.in_w + kw) * cin;
          for (int ic = 0; ic < cin; ++ic) acc += int32_t(w[ic]) * (int32_t(in[ic]) + in_offset);
        }
      acc += op.biases[size_t(oc)];
      y[size_t(pixel * cout + oc)] =
          c.finish(multiply_by_quantized_multiplier(acc, op.output_multipliers[size_t(oc)]));
    }
  });
}

void depthwise(const OpContext& c, const Int8& x, Int8& y) {
  const QuantizedOp& op = c.op;
  const WindowGeometry& g = op.geometry;
  const int cm = op.deploy.out_shape.c, m = op.depth_multiplier;
  const int32_t in_offset = -c.in.zero_point;
  y.resize(size_t(g.out_pixels()) * size_t(cm));
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    for (int j = 0; j < cm; ++j) {
      int32_t acc = 0;
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw)
          acc += int32_t(op.weights[size_t((kh * g.kernel_w + kw) * cm + j)]) *
                 (int32_t(x[size_t((in0 + int64_t(kh) * g.in_w + kw) * g.channels + j / m)]) +
                  in_offset);
      acc += op.biases[size_t(j)];
      y[size_t(pixel * cm + j)] =
          c.finish(multiply_by_quantized_multiplier(acc, op.output_multipliers[size_t(j)]));
    }
  });
}

void dense(const OpContext& c, const Int8& x, Int8& y) {
  const QuantizedOp& op = c.op;
  const size_t units = size_t(op.deploy.out_shape.c), n = x.size();
  const int32_t in_offset = -c.in.zero_point;
  y.resize(units);
  for (size_t u = 0; u < units; ++u) {
    int32_t acc = 0;
    for (size_t i = 0; i < n; ++i)
      acc += int32_t(op.weights[u * n + i]) * (int32_t(x[i]) + in_offset);
    acc += op.biases[u];
    y[u] = c.finish(multiply_by_quantized_multiplier(acc, op.output_multipliers[u]));
  }
}

// A batch norm that could not be folded: a 1x1 depthwise convolution, multiplier 1.
void scale(const OpContext& c, const Int8& x, Int8& y) {
  const QuantizedOp& op = c.op;
  const size_t channels = op.weights.size();
  y.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t ch = i % channels;
    const int32_t acc = int32_t(op.weights[ch]) * (int32_t(x[i]) - c.in.zero_point) + op.biases[ch];
    y[i] = c.finish(multiply_by_quantized_multiplier(acc, op.output_multipliers[ch]));
  }
}

// Max and average pooling keep the input's parameters; the average rounds half away
// from zero over the taps inside the input (TF Lite and arm_avgpool_s8).
void pool(const OpContext& c, const Int8& x, Int8& y) {
  const QuantizedOp& op = c.op;
  const WindowGeometry& g = op.geometry;
  const int ch = g.channels;
  y.resize(size_t(g.out_pixels()) * size_t(ch));
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    const int32_t count = (kh1 - kh0) * (kw1 - kw0);
    for (int j = 0; j < ch; ++j) {
      int32_t acc = op.deploy.average ? 0 : -128;
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw) {
          const int32_t v = x[size_t((in0 + int64_t(kh) * g.in_w + kw) * ch + j)];
          acc = op.deploy.average ? acc + v : std::max(acc, v);
        }
      if (op.deploy.average) acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
      y[size_t(pixel * ch + j)] = int8_t(std::clamp(acc, op.activation_min, op.activation_max));
    }
  });
}

// TF Lite's int8 MEAN over height and width (reference_integer_ops::Mean): requantise the
// sum of (x - zero point), then divide by the pixel count rounding half away from zero.
void global_pool(const OpContext& c, const Int8& x, Int8& y) {
  const size_t ch = size_t(c.op.deploy.out_shape.c), pixels = x.size() / ch;
  const auto n = int32_t(pixels);
  y.resize(ch);
  for (size_t j = 0; j < ch; ++j) {
    int32_t acc = 0;
    for (size_t p = 0; p < pixels; ++p) acc += int32_t(x[p * ch + j]) - c.in.zero_point;
    acc = multiply_by_quantized_multiplier(acc, c.op.output_multipliers[0]);
    acc = acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n;
    y[j] = c.finish(acc);
  }
}

// TF Lite's int8 ADD (reference_integer_ops::AddElementwise), any number of inputs.
void add(const QuantizedModel& m, const OpContext& c, const Int8Tensors& t, Int8& y) {
  const QuantizedOp& op = c.op;
  y.resize(t[size_t(op.deploy.inputs[0])].size());
  for (size_t k = 0; k < y.size(); ++k) {
    int32_t sum = 0;
    for (size_t i = 0; i < op.deploy.inputs.size(); ++i) {
      const auto id = size_t(op.deploy.inputs[i]);
      const int32_t shifted =
          (int32_t(t[id][k]) - m.tensor_params[id].zero_point) * (1 << op.left_shift);
      sum += multiply_by_quantized_multiplier(shifted, op.input_multipliers[i]);
    }
    y[k] = c.finish(multiply_by_quantized_multiplier(sum, op.output_multipliers[0]));
  }
}

// Channel concatenation; an input with other parameters than the output is requantised
// as TF Lite Micro's QUANTIZE (int8 -> int8) does.
void concat(const QuantizedModel& m, const OpContext& c, const Int8Tensors& t, Int8& y) {
  const QuantizedOp& op = c.op;
  const int cout = op.deploy.out_shape.c;
  const int64_t pixels = op.deploy.out_shape.elements() / cout;
  y.resize(size_t(op.deploy.out_shape.elements()));
  int offset = 0;
  for (size_t i = 0; i < op.deploy.inputs.size(); ++i) {
    const auto id = size_t(op.deploy.inputs[i]);
    const QuantParams in = m.tensor_params[id];
    const bool same = in.scale == c.out.scale && in.zero_point == c.out.zero_point;
    const int ch = m.tensor_shapes[id].c;
    for (int64_t p = 0; p < pixels; ++p)
      for (int j = 0; j < ch; ++j) {
        const int32_t v = t[id][size_t(p * ch + j)];
        const int32_t r =
            same ? v - in.zero_point
                 : multiply_by_quantized_multiplier(v - in.zero_point, op.input_multipliers[i]);
        y[size_t(p * cout + offset + j)] = c.finish(r);
      }
    offset += ch;
  }
}

// TF Lite Micro's int8 RELU / RELU6: requantise, then clamp to the activation range.
void activation(const OpContext& c, const Int8& x, Int8& y) {
  y.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    y[i] = c.finish(multiply_by_quantized_multiplier(int32_t(x[i]) - c.in.zero_point,
                                                     c.op.output_multipliers[0]));
}

// NOTE: float (see run_int8_op's documentation).
void softmax(const OpContext& c, const Int8& x, Int8& y) {
  const auto channels = size_t(c.op.deploy.out_shape.c);
  y.resize(x.size());
  std::vector<double> e(channels);
  for (size_t p0 = 0; p0 < x.size(); p0 += channels) {
    const int32_t top = *std::max_element(x.begin() + std::ptrdiff_t(p0),
                                          x.begin() + std::ptrdiff_t(p0 + channels));
    double sum = 0.0;
    for (size_t j = 0; j < channels; ++j)
      sum += e[j] = std::exp(double(c.in.scale) * (x[p0 + j] - top));
    for (size_t j = 0; j < channels; ++j) y[p0 + j] = quantize_value(e[j] / sum, c.out);
  }
}

}  // namespace

void run_int8_op(const QuantizedModel& m, size_t index, Int8Tensors& t) {
  const QuantizedOp& op = m.ops[index];
  const OpContext c{op, m.tensor_params[size_t(op.deploy.inputs[0])],
                    m.tensor_params[size_t(op.deploy.output)]};
  const Int8& x = t[size_t(op.deploy.inputs[0])];
  Int8& y = t[size_t(op.deploy.output)];
  switch (op.deploy.kind) {
    case DeployKind::kConv:
    case DeployKind::kPointwiseConv:
      conv(c, x, y);
      break;
    case DeployKind::kDepthwiseConv:
      depthwise(c, x, y);
      break;
    case DeployKind::kDense:
      dense(c, x, y);
      break;
    case DeployKind::kScale:
      scale(c, x, y);
      break;
    case DeployKind::kPool:
      pool(c, x, y);
      break;
    case DeployKind::kGlobalPool:
      global_pool(c, x, y);
      break;
    case DeployKind::kAdd:
      add(m, c, t, y);
      break;
    case DeployKind::kConcat:
      concat(m, c, t, y);
      break;
    case DeployKind::kReshape:
      y = x;
      break;
    case DeployKind::kActivation:
      activation(c, x, y);
      break;
    case DeployKind::kSoftmax:
      softmax(c, x, y);
      break;
  }
}

Int8Reference::Int8Reference(const QuantizedModel& model)
    : m_model(model), m_tensors(model.tensor_shapes.size()) {}

const std::vector<int8_t>& Int8Reference::run(const float* input) {
  std::vector<int8_t>& q = m_tensors[0];
  q.resize(size_t(m_model.input_shape.elements()));
  for (size_t i = 0; i < q.size(); ++i)
    q[i] = quantize_value(double(input[i]), m_model.tensor_params[0]);
  return run_quantized(q.data());
}

const std::vector<int8_t>& Int8Reference::run_quantized(const int8_t* input) {
  if (input != m_tensors[0].data())
    m_tensors[0].assign(input, input + m_model.input_shape.elements());
  for (size_t o = 0; o < m_model.ops.size(); ++o) run_int8_op(m_model, o, m_tensors);
  return m_tensors[size_t(m_model.output_tensor)];
}

int Int8Reference::predicted_class() const {
  const std::vector<int8_t>& s = m_tensors[size_t(m_model.score_tensor)];
  return int(std::max_element(s.begin(), s.end()) - s.begin());
}

}  // namespace hwnas
