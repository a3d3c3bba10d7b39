// This file implements DenseKernel (see dense_kernel.hpp).
#include "trainers/kernels/dense_kernel.hpp"

namespace hwnas {

DenseKernel::DenseKernel(const Layer& layer, const TensorShape& input)
    : m_inputs(int(input.elements())), m_units(layer.units), m_use_bias(layer.use_bias) {}

std::vector<ParamSpec> DenseKernel::param_specs() const {
  std::vector<ParamSpec> specs = {{"kernel", int64_t(m_inputs) * m_units, ParamInit::kGlorotUniform,
                                   true, true, m_inputs, m_units}};
  if (m_use_bias) specs.push_back({"bias", m_units, ParamInit::kZeros, true, false, 0, 0});
  return specs;
}

void DenseKernel::bind(float* params, float* /*state*/) {
  m_kernel = params;
  m_bias = m_use_bias ? params + int64_t(m_inputs) * m_units : nullptr;
}

void DenseKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode /*mode*/, int /*phase*/) {
  const ConstTensorMap x(row_ptr(*t.inputs[0], chunk.row0), chunk.rows, m_inputs);
  TensorMap y(row_ptr(*t.output, chunk.row0), chunk.rows, m_units);
  const ConstTensorMap w(m_kernel, m_inputs, m_units);
  if (m_use_bias) {
    y.rowwise() = Eigen::Map<const Eigen::RowVectorXf>(m_bias, m_units);
    y.noalias() += x * w;
  } else {
    y.noalias() = x * w;
  }
}

void DenseKernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  const ConstTensorMap x(row_ptr(*t.inputs[0], chunk.row0), chunk.rows, m_inputs);
  const ConstTensorMap dy(row_ptr(*t.output_grad, chunk.row0), chunk.rows, m_units);
  TensorMap(chunk.param_grads, m_inputs, m_units).noalias() = x.transpose() * dy;
  if (m_use_bias) column_sums(dy, chunk.param_grads + int64_t(m_inputs) * m_units);
  if (Tensor* dx = t.input_grads[0]) {
    TensorMap dxm(row_ptr(*dx, chunk.row0), chunk.rows, m_inputs);
    const ConstTensorMap w(m_kernel, m_inputs, m_units);
    if (t.overwrite_grads[0])
      dxm.noalias() = dy * w.transpose();
    else
      dxm.noalias() += dy * w.transpose();
  }
}

std::unique_ptr<OpKernel> make_dense_kernel(const Layer& layer,
                                            const std::vector<TensorShape>& inputs) {
  return std::make_unique<DenseKernel>(layer, inputs[0]);
}

}  // namespace hwnas
