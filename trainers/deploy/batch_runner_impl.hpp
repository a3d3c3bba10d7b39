// This file implements the members of BatchRunner (see batch_runner.hpp): the batching
// every policy shares, from preparing the ops to walking them over a batch. Only the
// runners' .cpp files include it, each before instantiating its BatchRunner.
#pragma once

#include <algorithm>
#include <cassert>

#include "space/deploy_graph.hpp"
#include "trainers/deploy/batch_runner.hpp"

namespace hwnas {

namespace batch_runner_detail {

/// Rows of im2col per matrix product: about 64 K values, so a chunk stays in L2.
/// NOTE: the chunks fix the sizes of every product, so also the order in which Eigen sums
/// one: a float result depends on them, never on the other samples of the batch.
inline int64_t chunk_rows(int64_t k) { return std::max<int64_t>(16, 65536 / std::max<int64_t>(k, 1)); }

inline BatchOpKind batch_op_kind(DeployKind kind) {
  switch (kind) {
    case DeployKind::kConv:
    case DeployKind::kPointwiseConv:
    case DeployKind::kDense: return BatchOpKind::kMatMul;
    case DeployKind::kDepthwiseConv: return BatchOpKind::kDepthwise;
    default: return BatchOpKind::kReference;
  }
}

}  // namespace batch_runner_detail

template <typename Model, typename Value>
struct BatchRunner<Model, Value>::Prepared {
  using Ops = BatchOps<Model>;
  struct Step {
    BatchOpKind kind = BatchOpKind::kReference;
    int64_t k = 0;  // taps (weights) per output channel: matmul and depthwise
    typename Ops::Plan plan;
  };
  std::vector<Step> steps;  // per op
  typename Ops::Scratch scratch;
  std::vector<const Value*> inputs;  // a reference op's inputs, for one sample
};

template <typename Model, typename Value>
BatchRunner<Model, Value>::BatchRunner(const Model& model, int max_batch)
    : m_model(model), m_max_batch(max_batch), m_prepared(std::make_unique<Prepared>()) {
  assert(max_batch >= 1);
  for (const TensorShape& s : model.tensor_shapes)
    m_tensors.emplace_back(size_t(s.elements()) * size_t(max_batch));
  for (const auto& op : model.ops) {
    typename Prepared::Step step;
    step.kind = batch_runner_detail::batch_op_kind(op.deploy.kind);
    if (step.kind != BatchOpKind::kReference)
      step.k = int64_t(op.weights.size()) / op.deploy.out_shape.c;
    step.plan = BatchOps<Model>::prepare(model, op, step.kind, step.k);
    m_prepared->steps.push_back(std::move(step));
  }
}

template <typename Model, typename Value>
BatchRunner<Model, Value>::~BatchRunner() = default;
template <typename Model, typename Value>
BatchRunner<Model, Value>::BatchRunner(BatchRunner&&) noexcept = default;

template <typename Model, typename Value>
void BatchRunner<Model, Value>::run(const float* inputs, int64_t stride, int n) {
  using Ops = BatchOps<Model>;
  assert(n >= 0 && n <= m_max_batch);
  const int64_t input_size = m_model.input_shape.elements();
  for (int b = 0; b < n; ++b)
    Ops::load_sample(m_model, inputs + b * stride, input_size,
                     m_tensors[0].data() + b * input_size);
  Prepared& p = *m_prepared;
  for (size_t o = 0; o < m_model.ops.size(); ++o) {
    const auto& op = m_model.ops[o];
    const typename Prepared::Step& step = p.steps[o];
    const Value* x = m_tensors[size_t(op.deploy.inputs[0])].data();
    Value* y = m_tensors[size_t(op.deploy.output)].data();
    if (step.kind == BatchOpKind::kMatMul) {
      // One row per sample (dense) or per output pixel of every sample (convolutions).
      const int64_t rows =
          op.deploy.kind == DeployKind::kDense ? n : int64_t(n) * op.geometry.out_pixels();
      const int64_t chunk = batch_runner_detail::chunk_rows(step.k);
      for (int64_t r0 = 0; r0 < rows; r0 += chunk)
        Ops::matmul_chunk(m_model, op, step.plan, step.k, x, r0, std::min(rows, r0 + chunk),
                          p.scratch, y);
      continue;
    }
    const int64_t in_size = op.deploy.in_shape.elements(),
                  out_size = op.deploy.out_shape.elements();
    for (int b = 0; b < n; ++b) {
      if (step.kind == BatchOpKind::kDepthwise) {
        Ops::depthwise_sample(m_model, op, step.plan, x + b * in_size, p.scratch,
                              y + b * out_size);
        continue;
      }
      p.inputs.clear();
      for (int id : op.deploy.inputs)
        p.inputs.push_back(m_tensors[size_t(id)].data() +
                           b * m_model.tensor_shapes[size_t(id)].elements());
      Ops::run_reference(m_model, o, p.inputs.data(), y + b * out_size);
    }
  }
}

template <typename Model, typename Value>
auto BatchRunner<Model, Value>::tensor(size_t t, int b) const -> const Value* {
  return m_tensors[t].data() + int64_t(b) * m_model.tensor_shapes[t].elements();
}

template <typename Model, typename Value>
int BatchRunner<Model, Value>::predicted_class(int b) const {
  const auto t = size_t(m_model.score_tensor);
  const Value* s = tensor(t, b);
  return int(std::max_element(s, s + m_model.tensor_shapes[t].elements()) - s);
}

}  // namespace hwnas
