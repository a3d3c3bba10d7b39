// This file implements Network (see network.hpp).
#include "trainers/training/network.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cassert>
#include <limits>

#include "trainers/kernels/kernel_registry.hpp"
#include "trainers/training/weight_init.hpp"
#include "util/seed_streams.hpp"

namespace hwnas {

namespace {

constexpr int64_t kGradSumBlock = 4096;            // parameters per reduction task

}  // namespace

Network::Network(const Architecture& arch, int max_batch, uint64_t seed,
                 const NetworkOptions& options)
    : m_arch(arch), m_options(options), m_max_batch(max_batch) {
  assert(max_batch >= 1 && options.chunk_rows >= 1);
  const size_t last = m_arch.size() - 1;
  m_fused_softmax = m_arch.layer(last).op == OpKind::kSoftmax;
  m_logits_layer = m_fused_softmax ? m_arch.input_indices(last)[0] : int(last);
  build_kernels(seed);
  fuse_activations();
  allocate_tensors();
  bind_tensors();
  mark_first_writers();
  m_forward_training = build_plan(false, Mode::kTraining);
  m_forward_inference = build_plan(false, Mode::kInference);
  m_backward = build_plan(true, Mode::kTraining);
}

// Creates the kernels, lays out their parameters and state in the flat vectors and
// initialises them; each block draws from its own stream derived from `seed`.
void Network::build_kernels(uint64_t seed) {
  int64_t n_params = 0, n_state = 0;
  std::vector<std::vector<ParamSpec>> specs(m_arch.size());
  for (size_t i = 0; i < m_arch.size(); ++i) {
    m_kernels.push_back(KernelRegistry::builtin().create(m_arch.layer(i), m_arch.input_shapes(i)));
    specs[i] = m_kernels[i]->param_specs();
    m_param_offset.push_back(n_params);
    for (const ParamSpec& s : specs[i]) {
      int64_t& offset = s.trainable ? n_params : n_state;
      m_blocks.push_back({int(i), s.name, offset, s.size, s.trainable, s.decay});
      offset += s.size;
    }
  }
  m_params.resize(n_params);
  m_grads.setZero(n_params);
  m_state.resize(n_state);
  size_t b = 0;
  m_state_offset.assign(m_arch.size(), -1);
  for (size_t i = 0; i < m_arch.size(); ++i) {
    for (const ParamSpec& s : specs[i]) {
      const ParamBlock& block = m_blocks[b];
      float* data = (s.trainable ? m_params.data() : m_state.data()) + block.offset;
      init_param(s, derive_seed(seed, seed_stream::kInitBlock, b), data);
      if (!s.trainable && m_state_offset[i] < 0) m_state_offset[i] = block.offset;
      ++b;
    }
  }
  bind_parameters(m_params.data());
}

// A ReLU / ReLU6 whose only input is read by nothing else is folded into the kernel
// that produces that input, if the kernel can take it.
void Network::fuse_activations() {
  const int n = int(m_arch.size());
  m_writes_output_of.resize(size_t(n));
  for (int i = 0; i < n; ++i) m_writes_output_of[size_t(i)] = i;
  m_fused_away.assign(size_t(n), 0);
  if (!m_options.fuse_activations) return;
  std::vector<int> readers(size_t(n), 0);
  for (int i = 0; i < n; ++i)
    for (int p : m_arch.input_indices(size_t(i)))
      if (p != Architecture::kNetworkInput) ++readers[size_t(p)];
  for (int j = 0; j < n; ++j) {
    const OpKind op = m_arch.layer(size_t(j)).op;
    if (op != OpKind::kReLU && op != OpKind::kReLU6) continue;
    const int i = m_arch.input_indices(size_t(j))[0];
    if (i == Architecture::kNetworkInput || readers[size_t(i)] != 1 || i == m_logits_layer)
      continue;
    const float hi = op == OpKind::kReLU6 ? 6.0f : std::numeric_limits<float>::infinity();
    if (!m_kernels[size_t(i)]->fuse_clamp(0.0f, hi)) continue;
    m_writes_output_of[size_t(i)] = j;
    m_fused_away[size_t(j)] = 1;
  }
}

int Network::fused_activations() const {
  return int(std::count(m_fused_away.begin(), m_fused_away.end(), 1));
}

// Points every kernel at its slice of `params` (m_params or the hooks' copy) and of m_state.
void Network::bind_parameters(float* params) {
  for (size_t i = 0; i < m_arch.size(); ++i)
    m_kernels[i]->bind(params + m_param_offset[i],
                       m_state_offset[i] < 0 ? nullptr : m_state.data() + m_state_offset[i]);
}

void Network::set_hooks(NetworkHooks* hooks) {
  m_hooks = hooks;
  if (hooks)
    m_effective_params = m_params;
  else
    m_effective_params.resize(0);
  bind_parameters(hooks ? m_effective_params.data() : m_params.data());
}

void Network::allocate_tensors() {
  const size_t n = m_arch.size();
  // A layer's output gradient is needed if it or an ancestor has parameters (or the
  // network input gradient was asked for).
  m_needs_grad.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const auto specs = m_kernels[i]->param_specs();
    bool needs =
        std::any_of(specs.begin(), specs.end(), [](const ParamSpec& s) { return s.trainable; });
    for (int p : m_arch.input_indices(i))
      needs = needs || (p == Architecture::kNetworkInput ? m_options.input_gradient
                                                         : bool(m_needs_grad[size_t(p)]));
    m_needs_grad[i] = needs;
  }
  const int64_t in_elements = m_arch.input_shape().elements();
  m_input.setZero(m_max_batch, in_elements);
  if (m_options.input_gradient || m_logits_layer == Architecture::kNetworkInput)
    m_input_grad.setZero(m_max_batch, in_elements);
  m_outputs.resize(n);
  m_output_grads.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (m_writes_output_of[i] != int(i)) continue;  // writes its fused activation's tensors
    const int64_t elements = m_arch.layer(i).output_shape.elements();
    m_outputs[i].setZero(m_max_batch, elements);
    if (m_needs_grad[i] || int(i) == m_logits_layer)
      m_output_grads[i].setZero(m_max_batch, elements);
  }
  const int max_chunks = num_chunks(m_max_batch);
  m_chunk_grads.setZero(max_chunks, m_params.size());
  for (auto& kernel : m_kernels) kernel->reserve(m_max_batch, max_chunks);
}

void Network::bind_tensors() {
  m_tensors.resize(m_arch.size());
  for (size_t i = 0; i < m_arch.size(); ++i) {
    LayerTensors& t = m_tensors[i];
    for (int p : m_arch.input_indices(i)) {
      const bool from_input = p == Architecture::kNetworkInput;
      t.inputs.push_back(from_input ? &m_input : &m_outputs[size_t(p)]);
      const bool needs = from_input ? m_options.input_gradient : bool(m_needs_grad[size_t(p)]);
      t.input_grads.push_back(!needs       ? nullptr
                              : from_input ? &m_input_grad
                                           : &m_output_grads[size_t(p)]);
    }
    const size_t o = size_t(m_writes_output_of[i]);
    t.output = &m_outputs[o];
    t.output_grad = m_output_grads[o].size() ? &m_output_grads[o] : nullptr;
  }
}

// In backward order the first layer to write a gradient tensor is the last consumer of
// the tensor, at its first input slot naming it: that step assigns the gradient (if its
// kernel can) or clears the chunk's rows before its kernel adds.
void Network::mark_first_writers() {
  m_clears_grad.resize(m_arch.size());
  for (size_t i = 0; i < m_arch.size(); ++i)
    m_clears_grad[i].assign(m_arch.input_indices(i).size(), 0);
  std::vector<char> seen(m_arch.size() + 1, 0);  // index p + 1; 0 is the network input
  for (size_t i = m_arch.size(); i-- > 0;) {
    const auto& ins = m_arch.input_indices(i);
    LayerTensors& t = m_tensors[i];
    t.overwrite_grads.assign(ins.size(), 0);
    if (m_fused_away[i]) continue;  // its input's kernel runs it and writes no gradient
    for (size_t s = 0; s < ins.size(); ++s) {
      if (!t.input_grads[s] || seen[size_t(ins[s] + 1)]) continue;
      seen[size_t(ins[s] + 1)] = 1;
      (m_kernels[i]->assigns_input_grads() ? t.overwrite_grads[s] : m_clears_grad[i][s]) = 1;
    }
  }
}

std::vector<Network::Segment> Network::build_plan(bool backward, Mode mode) const {
  std::vector<Segment> plan(1);
  const int n = int(m_arch.size());
  for (int k = 0; k < n; ++k) {
    const int i = backward ? n - 1 - k : k;
    if (m_fused_away[size_t(i)]) continue;
    if (backward && (!m_needs_grad[size_t(i)] || (m_fused_softmax && i == n - 1))) continue;
    const OpKernel& kernel = *m_kernels[size_t(i)];
    const int phases = backward ? kernel.backward_phases() : kernel.forward_phases(mode);
    for (int p = 0; p < phases; ++p) {
      plan.back().steps.push_back({i, p});
      if (p + 1 < phases) {
        plan.back().finish = {i, p};
        plan.emplace_back();
      }
    }
  }
  return plan;
}

int Network::num_chunks(int batch) const {
  return (batch + m_options.chunk_rows - 1) / m_options.chunk_rows;
}

Chunk Network::make_chunk(int index, Scratch* scratch) const {
  Chunk c;
  c.index = index;
  c.row0 = index * m_options.chunk_rows;
  c.rows = std::min(m_options.chunk_rows, m_batch - c.row0);
  c.scratch = scratch;
  return c;
}

void Network::run_step(const Step& step, const Chunk& chunk, bool backward, Mode mode) {
  const size_t i = size_t(step.layer);
  const LayerTensors& t = m_tensors[i];
  const int written = m_writes_output_of[i];  // the layer whose output this step writes
  if (!backward) {
    m_kernels[i]->forward(t, chunk, mode, step.phase);
    if (m_hooks && step.phase + 1 == m_kernels[i]->forward_phases(mode))
      m_hooks->after_forward(written, chunk, mode, m_outputs[size_t(written)]);
    return;
  }
  if (m_hooks && step.phase == 0 && m_output_grads[size_t(written)].size() > 0)
    m_hooks->before_backward(written, chunk, m_output_grads[size_t(written)]);
  if (step.phase == 0)
    for (size_t s = 0; s < t.input_grads.size(); ++s)
      if (m_clears_grad[i][s]) chunk_array(*t.input_grads[s], chunk).setZero();
  Chunk c = chunk;
  if (m_params.size() > 0) c.param_grads = m_chunk_grads.row(c.index).data() + m_param_offset[i];
  m_kernels[i]->backward(t, c, step.phase);
}

void Network::run_plan(const std::vector<Segment>& plan, bool backward, Mode mode) {
  const int chunks = num_chunks(m_batch);
  for (const Segment& segment : plan) {
    if (!segment.steps.empty()) {
      // NOTE: one task per chunk; every task writes only its chunk's rows and slots.
      tbb::parallel_for(
          tbb::blocked_range<int>(0, chunks, 1),
          [&](const tbb::blocked_range<int>& range) {
            Scratch& scratch = m_scratch.local();
            for (int c = range.begin(); c < range.end(); ++c) {
              const Chunk chunk = make_chunk(c, &scratch);
              for (const Step& step : segment.steps) run_step(step, chunk, backward, mode);
            }
          },
          tbb::simple_partitioner());
    }
    if (segment.finish.layer < 0) continue;
    OpKernel& kernel = *m_kernels[size_t(segment.finish.layer)];
    if (backward)
      kernel.finish_backward_phase(segment.finish.phase, chunks);
    else
      kernel.finish_forward_phase(segment.finish.phase, chunks, mode);
  }
}

void Network::forward(int batch, Mode mode) {
  assert(batch >= 1 && batch <= m_max_batch);
  m_batch = batch;
  if (m_hooks) m_hooks->begin_forward(batch, mode, m_params, m_effective_params, m_input);
  run_plan(mode == Mode::kTraining ? m_forward_training : m_forward_inference, false, mode);
}

void Network::backward() {
  run_plan(m_backward, true, Mode::kTraining);
  sum_chunk_gradients(num_chunks(m_batch));
}

// m_grads = slot 0 + slot 1 + ... in chunk order, for every parameter.
void Network::sum_chunk_gradients(int num_chunks) {
  const int64_t n = m_params.size();
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, kGradSumBlock),
                    [&](const tbb::blocked_range<int64_t>& r) {
                      const int64_t len = int64_t(r.size());
                      auto sum = m_grads.segment(r.begin(), len);
                      sum = m_chunk_grads.row(0).segment(r.begin(), len).transpose();
                      for (int c = 1; c < num_chunks; ++c)
                        sum += m_chunk_grads.row(c).segment(r.begin(), len).transpose();
                    });
}

const Tensor& Network::logits() const {
  return m_logits_layer == Architecture::kNetworkInput ? m_input
                                                       : m_outputs[size_t(m_logits_layer)];
}

Tensor& Network::logits_grad() {
  return m_logits_layer == Architecture::kNetworkInput ? m_input_grad
                                                       : m_output_grads[size_t(m_logits_layer)];
}

}  // namespace hwnas
