// This file implements Conv2DKernel (see conv2d_kernel.hpp).
#include "trainers/kernels/conv2d_kernel.hpp"

#include <algorithm>
#include <limits>

#include "trainers/kernels/im2col.hpp"
#include "trainers/kernels/small_gemm.hpp"

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
  const int end = chunk.row0 + chunk.rows;
  for (int row0 = chunk.row0; row0 < end; row0 += m_block_samples) {
    const int samples = std::min(m_block_samples, end - row0);
    const ConstTensorMap cols = columns(*t.inputs[0], row0, samples, *chunk.scratch);
    gemm_nn(cols.data(), m_kernel, row_ptr(*t.output, row0), cols.rows(), m_patch, m_filters,
            m_bias, false);
  }
}

void Conv2DKernel::backward(const LayerTensors& t, const Chunk& chunk, int /*phase*/) {
  const int64_t pixels = m_geometry.out_pixels();
  const int end = chunk.row0 + chunk.rows;
  for (int row0 = chunk.row0; row0 < end; row0 += m_block_samples) {
    const int samples = std::min(m_block_samples, end - row0);
    const ConstTensorMap dy(row_ptr(*t.output_grad, row0), samples * pixels, m_filters);
    const ConstTensorMap cols = columns(*t.inputs[0], row0, samples, *chunk.scratch);
    gemm_tn(cols.data(), dy.data(), chunk.param_grads, cols.rows(), m_patch, m_filters,
            row0 != chunk.row0);
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
  float* wt = scratch.small.floats(size_t(m_patch) * size_t(m_filters));
  transpose(m_kernel, m_patch, m_filters, wt);
  if (m_pointwise) {
    gemm_nn(dy.data(), wt, row_ptr(dx, row0), dy.rows(), m_filters, m_patch, nullptr, !overwrite);
    return;
  }
  const int64_t pixels = m_geometry.out_pixels();
  float* dcols = scratch.column_grads.floats(size_t(dy.rows() * m_patch));
  gemm_nn(dy.data(), wt, dcols, dy.rows(), m_filters, m_patch, nullptr, false);
  for (int s = 0; s < samples; ++s)
    col2im_add(dcols + s * pixels * m_patch, m_geometry, row_ptr(dx, row0 + s));
}

std::unique_ptr<OpKernel> make_conv2d_kernel(const Layer& layer,
                                             const std::vector<TensorShape>& inputs) {
  return std::make_unique<Conv2DKernel>(layer, inputs[0]);
}

}  // namespace hwnas
