// This file implements the foundation's minimal chain-of-conv-blocks space.
#include "space/cnn_chain_space.hpp"

#include <cassert>
#include <cmath>

namespace hwnas {

namespace {

int pick(std::mt19937_64& rng, size_t n) {
  return int(std::uniform_int_distribution<size_t>(0, n - 1)(rng));
}

Layer make_layer(const std::string& name, OpKind op, const std::string& input) {
  Layer l;
  l.name = name;
  l.op = op;
  l.inputs = {input};
  return l;
}

}  // namespace

CnnChainSpace::CnnChainSpace(CnnChainSpaceConfig config, TensorShape input, int classes)
    : m_config(std::move(config)), m_input(input), m_classes(classes) {}

Genome CnnChainSpace::sample(std::mt19937_64& rng) const {
  Genome g;
  g.push_back(pick(rng, size_t(m_config.max_blocks - m_config.min_blocks + 1)));
  for (int b = 0; b < m_config.max_blocks; ++b) {
    g.push_back(pick(rng, m_config.channels.size()));
    g.push_back(pick(rng, m_config.kernels.size()));
  }
  g.push_back(pick(rng, m_config.dense_units.size()));
  return g;
}

Architecture CnnChainSpace::decode(const Genome& g) const {
  assert(g.size() == size_t(2 * m_config.max_blocks + 2));
  const int blocks = m_config.min_blocks + g[0];
  std::vector<Layer> layers;
  std::string prev = kInputName;
  auto add = [&](Layer l) {
    prev = l.name;
    layers.push_back(std::move(l));
    return &layers.back();
  };
  TensorShape spatial = m_input;
  for (int b = 0; b < blocks; ++b) {
    const std::string tag = "block" + std::to_string(b + 1);
    Layer* conv = add(make_layer(tag + "_conv", OpKind::kConv2D, prev));
    conv->filters = m_config.channels[size_t(g[size_t(1 + 2 * b)])];
    conv->kernel_h = conv->kernel_w = m_config.kernels[size_t(g[size_t(2 + 2 * b)])];
    conv->use_bias = !m_config.batch_norm;  // batch norm's beta replaces the bias
    if (m_config.batch_norm) add(make_layer(tag + "_bn", OpKind::kBatchNorm, prev));
    add(make_layer(tag + "_relu", OpKind::kReLU, prev));
    // Halve the feature map while it is at least 4x4: cheap downsampling, less RAM.
    if (spatial.h >= 4 && spatial.w >= 4) {
      Layer* pool = add(make_layer(tag + "_pool", OpKind::kMaxPool2D, prev));
      pool->kernel_h = pool->kernel_w = pool->stride_h = pool->stride_w = 2;
      spatial.h = (spatial.h + 1) / 2;
      spatial.w = (spatial.w + 1) / 2;
    }
  }
  add(make_layer("gap", OpKind::kGlobalAvgPool, prev));
  const int hidden = m_config.dense_units[size_t(g.back())];
  if (hidden > 0) {
    add(make_layer("hidden", OpKind::kDense, prev))->units = hidden;
    add(make_layer("hidden_relu", OpKind::kReLU, prev));
  }
  add(make_layer("classifier", OpKind::kDense, prev))->units = m_classes;
  add(make_layer("softmax", OpKind::kSoftmax, prev));
  return Architecture("cnn_chain", m_input, std::move(layers));
}

double CnnChainSpace::log10_size() const {
  const double per_block = std::log10(double(m_config.channels.size() * m_config.kernels.size()));
  double total = 0;  // sum over depths of (choices per block)^depth
  for (int d = m_config.min_blocks; d <= m_config.max_blocks; ++d) total += std::pow(10.0, per_block * d);
  return std::log10(total) + std::log10(double(m_config.dense_units.size()));
}

}  // namespace hwnas
