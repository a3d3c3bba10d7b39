// This file implements QuantizedSimulation (see quantized_simulation.hpp).
#include "trainers/deploy/quantized_simulation.hpp"

#include <algorithm>
#include <cmath>

#include "trainers/deploy/float_reference.hpp"

namespace hwnas {

QuantizedSimulation::QuantizedSimulation(const QuantizedModel& model)
    : m_model(model), m_dequantized(dequantize_model(model)) {}

std::vector<int8_t> QuantizedSimulation::run_op(size_t index, const Int8Tensors& tensors) const {
  const QuantizedOp& op = m_model.ops[index];
  FloatTensors t(m_model.tensor_shapes.size());
  for (int id : op.deploy.inputs) {
    const QuantParams p = m_model.tensor_params[size_t(id)];
    for (int8_t q : tensors[size_t(id)]) t[size_t(id)].push_back(dequantize_value(q, p));
  }
  run_float_op(m_dequantized, index, t);
  const QuantParams out = m_model.tensor_params[size_t(op.deploy.output)];
  std::vector<int8_t> y;
  for (double v : t[size_t(op.deploy.output)]) {
    const double q = std::round(v / double(out.scale)) + double(out.zero_point);
    y.push_back(int8_t(std::clamp(q, double(op.activation_min), double(op.activation_max))));
  }
  return y;
}

Int8Tensors QuantizedSimulation::run(const float* input) const {
  Int8Tensors t(m_model.tensor_shapes.size());
  for (int64_t i = 0; i < m_model.input_shape.elements(); ++i)
    t[0].push_back(quantize_value(double(input[i]), m_model.tensor_params[0]));
  for (size_t o = 0; o < m_model.ops.size(); ++o)
    t[size_t(m_model.ops[o].deploy.output)] = run_op(o, t);
  return t;
}

}  // namespace hwnas
