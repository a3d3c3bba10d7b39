// This file implements Conv2DKernel (see conv2d_kernel.hpp).
#include "trainers/conv2d_kernel.hpp"

#include <algorithm>
#include <limits>

#include "trainers/im2col.hpp"

namespace hwnas {

namespace {

// Pointwise convs have no patch matrix: one block for the whole chunk.
int samples_per_block(bool pointwise, int64_t patch, int64_t pixels) {
  if (pointwise) return std::numeric_limits<int>::max() / 2;
  return int(std::clamp<int64_t>(Conv2DKernel::kColumnBudget / (patch * pixels), 1, 1 << 20));
}

}  // namespace

Conv2DKernel::Conv2DKernel(const Layer& layer, const TensorShape& input)
    : m_geometry(WindowGeometry::from(layer, input)),
      m_filters(layer.filters),
      m_patch(layer.kernel_h * layer.kernel_w * input.c),
      m_use_bias(layer.use_bias),
      m_pointwise(m_geometry.unpadded_pointwise()),
      m_block_samples(samples_per_block(m_pointwise, m_patch, m_geometry.out_pixels())) {}

std::vector<ParamSpec> Conv2DKernel::param_specs() const {
  const int64_t taps = int64_t(m_geometry.kernel_h) * m_geometry.kernel_w;
  std::vector<ParamSpec> specs = {{"kernel", int64_t(m_patch) * m_filters, ParamInit::kHeNormal,
                                   true, true, m_patch, taps * m_filters}};
  if (m_use_bias) specs.push_back({"bias", m_filters, ParamInit::kZeros, true, false, 0, 0});
  return specs;
}

void Conv2DKernel::bind(float* params, float* /*state*/) {
  m_kernel = params;
  m_bias = m_use_bias ? params + int64_t(m_patch) * m_filters : nullptr;
}

ConstTensorMap Conv2DKernel::columns(const Tensor& x, int row0, int samples,
                                     Scratch& scratch) const {
  const int64_t pixels = m_geometry.out_pixels();
  const int64_t rows = samples * pixels;
  if (m_pointwise) return ConstTensorMap(row_ptr(x, row0), rows, m_patch);
  float* cols = scratch.columns.floats(size_t(rows * m_patch));
  for (int s = 0; s < samples; ++s)
    im2col(row_ptr(x, row0 + s), m_geometry, cols + s * pixels * m_patch);
  return ConstTensorMap(cols, rows, m_patch);
}

void Conv2DKernel::forward(const LayerTensors& t, const Chunk& chunk, Mode /*mode*/,
                           int /*phase*/) {
  const ConstTensorMap w(m_kernel, m_patch, m_filters);
  const int end = chunk.row0 + chunk.rows;
  for (int row0 = chunk.row0; row0 < end; row0 += m_block_samples) {
    const int samples = std::min(m_block_samples, end - row0);
    TensorMap y(row_ptr(*t.output, row0), int64_t(samples) * m_geometry.out_pixels(), m_filters);
    // Starting from the bias saves the product's own zero fill and a pass over y.
    if (m_use_bias) {
      y.rowwise() = Eigen::Map<const Eigen::RowVectorXf>(m_bias, m_filters);
      y.noalias() += columns(*t.inputs[0], row0, samples, *chunk.scratch) * w;
    } else {
      y.noalias() = columns(*t.inputs[0], row0, samples, *chunk.scratch) * w;
    }
  }
}

void Conv2DKernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  const int64_t pixels = m_geometry.out_pixels();
  TensorMap dw(chunk.param_grads, m_patch, m_filters);
  const int end = chunk.row0 + chunk.rows;
  for (int row0 = chunk.row0; row0 < end; row0 += m_block_samples) {
    const int samples = std::min(m_block_samples, end - row0);
    const ConstTensorMap dy(row_ptr(*t.output_grad, row0), samples * pixels, m_filters);
    const ConstTensorMap cols = columns(*t.inputs[0], row0, samples, *chunk.scratch);
    if (row0 == chunk.row0)
      dw.noalias() = cols.transpose() * dy;
    else
      dw.noalias() += cols.transpose() * dy;
    if (t.input_grads[0])
      input_grad(dy, row0, samples, *t.input_grads[0], t.overwrite_grads[0], *chunk.scratch);
  }
  if (m_use_bias) {
    const ConstTensorMap dy(row_ptr(*t.output_grad, chunk.row0), chunk.rows * pixels, m_filters);
    column_sums(dy, chunk.param_grads + int64_t(m_patch) * m_filters);
  }
}

void Conv2DKernel::input_grad(const ConstTensorMap& dy, int row0, int samples, Tensor& dx,
                              bool overwrite, Scratch& scratch) const {
  const ConstTensorMap w(m_kernel, m_patch, m_filters);
  if (m_pointwise) {
    TensorMap dxm(row_ptr(dx, row0), dy.rows(), m_patch);
    if (overwrite)
      dxm.noalias() = dy * w.transpose();
    else
      dxm.noalias() += dy * w.transpose();
    return;
  }
  const int64_t pixels = m_geometry.out_pixels();
  float* dcols = scratch.column_grads.floats(size_t(dy.rows() * m_patch));
  TensorMap(dcols, dy.rows(), m_patch).noalias() = dy * w.transpose();
  for (int s = 0; s < samples; ++s)
    col2im_add(dcols + s * pixels * m_patch, m_geometry, row_ptr(dx, row0 + s));
}

std::unique_ptr<OpKernel> make_conv2d_kernel(const Layer& layer,
                                             const std::vector<TensorShape>& inputs) {
  return std::make_unique<Conv2DKernel>(layer, inputs[0]);
}

}  // namespace hwnas
