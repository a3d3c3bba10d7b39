// This file implements the integer-only reference inference (see int8_reference.hpp).
// Kernel by kernel it follows TF Lite's reference_integer_ops (conv, depthwise_conv,
// fully_connected, pooling, mean, add, softmax) and TF Lite Micro's relu and requantising
// concat.
#include "trainers/deploy/int8_reference.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "trainers/deploy/int8_softmax.hpp"

namespace hwnas {

namespace {

struct OpContext {
  const QuantizedOp& op;
  QuantParams in, out;
  Rounding rounding;
  int8_t finish(int32_t acc) const {  // requantised value -> output int8
    return int8_t(std::clamp(acc + out.zero_point, op.activation_min, op.activation_max));
  }
};

void conv(const OpContext& c, const int8_t* x, int8_t* y) {
  const QuantizedOp& op = c.op;
  const WindowGeometry& g = op.geometry;
  const int cout = op.deploy.out_shape.c, cin = g.channels;
  const int32_t in_offset = -c.in.zero_point;
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    for (int oc = 0; oc < cout; ++oc) {
      int32_t acc = 0;
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw) {
          const int8_t* w =
              op.weights.data() + ((int64_t(oc) * g.kernel_h + kh) * g.kernel_w + kw) * cin;
          const int8_t* in = x + (in0 + int64_t(kh) * g.in_w + kw) * cin;
          for (int ic = 0; ic < cin; ++ic) acc += int32_t(w[ic]) * (int32_t(in[ic]) + in_offset);
        }
      acc += op.biases[size_t(oc)];
      y[pixel * cout + oc] =
          c.finish(multiply_by_quantized_multiplier(acc, op.output_multipliers[size_t(oc)], c.rounding));
    }
  });
}

void depthwise(const OpContext& c, const int8_t* x, int8_t* y) {
  const QuantizedOp& op = c.op;
  const WindowGeometry& g = op.geometry;
  const int cm = op.deploy.out_shape.c, m = op.depth_multiplier;
  const int32_t in_offset = -c.in.zero_point;
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    for (int j = 0; j < cm; ++j) {
      int32_t acc = 0;
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw)
          acc += int32_t(op.weights[size_t((kh * g.kernel_w + kw) * cm + j)]) *
                 (int32_t(x[(in0 + int64_t(kh) * g.in_w + kw) * g.channels + j / m]) + in_offset);
      acc += op.biases[size_t(j)];
      y[pixel * cm + j] =
          c.finish(multiply_by_quantized_multiplier(acc, op.output_multipliers[size_t(j)], c.rounding));
    }
  });
}

void dense(const OpContext& c, const int8_t* x, int8_t* y) {
  const QuantizedOp& op = c.op;
  const size_t units = size_t(op.deploy.out_shape.c), n = size_t(op.deploy.in_shape.elements());
  const int32_t in_offset = -c.in.zero_point;
  for (size_t u = 0; u < units; ++u) {
    int32_t acc = 0;
    for (size_t i = 0; i < n; ++i)
      acc += int32_t(op.weights[u * n + i]) * (int32_t(x[i]) + in_offset);
    acc += op.biases[u];
    y[u] = c.finish(multiply_by_quantized_multiplier(acc, op.output_multipliers[u], c.rounding));
  }
}

// A batch norm that could not be folded: a 1x1 depthwise convolution, multiplier 1.
void scale(const OpContext& c, const int8_t* x, int8_t* y) {
  const QuantizedOp& op = c.op;
  const auto channels = int64_t(op.weights.size());
  const int64_t n = op.deploy.out_shape.elements();
  for (int64_t p0 = 0; p0 < n; p0 += channels)
    for (int64_t ch = 0; ch < channels; ++ch) {
      const int32_t acc =
          int32_t(op.weights[size_t(ch)]) * (int32_t(x[p0 + ch]) - c.in.zero_point) +
          op.biases[size_t(ch)];
      y[p0 + ch] =
          c.finish(multiply_by_quantized_multiplier(acc, op.output_multipliers[size_t(ch)], c.rounding));
    }
}

// Max and average pooling keep the input's parameters; the average rounds half away
// from zero over the taps inside the input (TF Lite and arm_avgpool_s8).
// NOTE: channels innermost, in blocks of kBlock, so that the compiler vectorises.
void pool(const OpContext& c, const int8_t* x, int8_t* y) {
  constexpr int kBlock = 64;
  const QuantizedOp& op = c.op;
  const WindowGeometry& g = op.geometry;
  const int ch = g.channels;
  const bool average = op.deploy.average;
  for_each_window(g, [&](int64_t pixel, int64_t in0, int kh0, int kh1, int kw0, int kw1) {
    const int32_t count = (kh1 - kh0) * (kw1 - kw0);
    for (int j0 = 0; j0 < ch; j0 += kBlock) {
      const int nj = std::min(kBlock, ch - j0);
      int32_t acc[kBlock];
      std::fill(acc, acc + nj, average ? 0 : -128);
      for (int kh = kh0; kh < kh1; ++kh)
        for (int kw = kw0; kw < kw1; ++kw) {
          const int8_t* in = x + (in0 + int64_t(kh) * g.in_w + kw) * ch + j0;
          if (average)
            for (int j = 0; j < nj; ++j) acc[j] += in[j];
          else
            for (int j = 0; j < nj; ++j) acc[j] = std::max(acc[j], int32_t(in[j]));
        }
      for (int j = 0; j < nj; ++j) {
        int32_t v = acc[j];
        if (average) v = v > 0 ? (v + count / 2) / count : (v - count / 2) / count;
        y[pixel * ch + j0 + j] = int8_t(std::clamp(v, op.activation_min, op.activation_max));
      }
    }
  });
}

// TF Lite's int8 MEAN over height and width (reference_integer_ops::Mean): requantise the
// sum of (x - zero point), then divide by the pixel count rounding half away from zero.
void global_pool(const OpContext& c, const int8_t* x, int8_t* y) {
  const auto ch = int64_t(c.op.deploy.out_shape.c);
  const int64_t pixels = c.op.deploy.in_shape.elements() / ch;
  const auto n = int32_t(pixels);
  for (int64_t j = 0; j < ch; ++j) {
    int32_t acc = 0;
    for (int64_t p = 0; p < pixels; ++p) acc += int32_t(x[p * ch + j]) - c.in.zero_point;
    acc = multiply_by_quantized_multiplier(acc, c.op.output_multipliers[0], c.rounding);
    acc = acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n;
    y[j] = c.finish(acc);
  }
}

// TF Lite's int8 ADD (reference_integer_ops::AddElementwise), any number of inputs.
void add(const QuantizedModel& m, const OpContext& c, const int8_t* const* inputs, int8_t* y) {
  const QuantizedOp& op = c.op;
  const int64_t n = op.deploy.out_shape.elements();
  for (int64_t k = 0; k < n; ++k) {
    int32_t sum = 0;
    for (size_t i = 0; i < op.deploy.inputs.size(); ++i) {
      const int32_t zero_point = m.tensor_params[size_t(op.deploy.inputs[i])].zero_point;
      const int32_t shifted = (int32_t(inputs[i][k]) - zero_point) * (1 << op.left_shift);
      sum += multiply_by_quantized_multiplier(shifted, op.input_multipliers[i], c.rounding);
    }
    y[k] = c.finish(multiply_by_quantized_multiplier(sum, op.output_multipliers[0], c.rounding));
  }
}

// Channel concatenation; an input with other parameters than the output is requantised
// as TF Lite Micro's QUANTIZE (int8 -> int8) does.
void concat(const QuantizedModel& m, const OpContext& c, const int8_t* const* inputs, int8_t* y) {
  const QuantizedOp& op = c.op;
  const int cout = op.deploy.out_shape.c;
  const int64_t pixels = op.deploy.out_shape.elements() / cout;
  int offset = 0;
  for (size_t i = 0; i < op.deploy.inputs.size(); ++i) {
    const auto id = size_t(op.deploy.inputs[i]);
    const QuantParams in = m.tensor_params[id];
    const bool same = in.scale == c.out.scale && in.zero_point == c.out.zero_point;
    const int ch = m.tensor_shapes[id].c;
    for (int64_t p = 0; p < pixels; ++p)
      for (int j = 0; j < ch; ++j) {
        const int32_t v = inputs[i][p * ch + j];
        const int32_t r =
            same ? v - in.zero_point
                 : multiply_by_quantized_multiplier(v - in.zero_point, op.input_multipliers[i], c.rounding);
        y[p * cout + offset + j] = c.finish(r);
      }
    offset += ch;
  }
}

// TF Lite Micro's int8 RELU / RELU6: requantise, then clamp to the activation range.
void activation(const OpContext& c, const int8_t* x, int8_t* y) {
  const int64_t n = c.op.deploy.out_shape.elements();
  for (int64_t i = 0; i < n; ++i)
    y[i] = c.finish(multiply_by_quantized_multiplier(int32_t(x[i]) - c.in.zero_point,
                                                     c.op.output_multipliers[0], c.rounding));
}

}  // namespace

void run_int8_op(const QuantizedModel& m, size_t index, const int8_t* const* inputs, int8_t* y,
                 Rounding rounding) {
  const QuantizedOp& op = m.ops[index];
  const OpContext c{op, m.tensor_params[size_t(op.deploy.inputs[0])],
                    m.tensor_params[size_t(op.deploy.output)], rounding};
  const int8_t* x = inputs[0];
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
      add(m, c, inputs, y);
      break;
    case DeployKind::kConcat:
      concat(m, c, inputs, y);
      break;
    case DeployKind::kReshape:
      std::copy(x, x + op.deploy.out_shape.elements(), y);
      break;
    case DeployKind::kActivation:
      activation(c, x, y);
      break;
    case DeployKind::kSoftmax: {
      const int depth = op.deploy.out_shape.c;
      int8_softmax(int8_softmax_params(double(c.in.scale)), x, y,
                   op.deploy.out_shape.elements() / depth, depth);
      break;
    }
  }
}

void run_int8_op(const QuantizedModel& m, size_t index, Int8Tensors& t, Rounding rounding) {
  const QuantizedOp& op = m.ops[index];
  std::vector<const int8_t*> inputs;
  for (int id : op.deploy.inputs) inputs.push_back(t[size_t(id)].data());
  std::vector<int8_t>& y = t[size_t(op.deploy.output)];
  y.resize(size_t(op.deploy.out_shape.elements()));
  run_int8_op(m, index, inputs.data(), y.data(), rounding);
}

Int8Reference::Int8Reference(const QuantizedModel& model, Rounding rounding)
    : m_model(model), m_rounding(rounding), m_tensors(model.tensor_shapes.size()) {}

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
  for (size_t o = 0; o < m_model.ops.size(); ++o) run_int8_op(m_model, o, m_tensors, m_rounding);
  return m_tensors[size_t(m_model.output_tensor)];
}

int Int8Reference::predicted_class() const {
  const std::vector<int8_t>& s = m_tensors[size_t(m_model.score_tensor)];
  return int(std::max_element(s.begin(), s.end()) - s.begin());
}

}  // namespace hwnas
