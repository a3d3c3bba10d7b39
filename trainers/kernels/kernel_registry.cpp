// This file implements KernelRegistry and the registration of the built-in kernels.
#include "trainers/kernels/kernel_registry.hpp"

#include <stdexcept>
#include <string>

#include "trainers/kernels/activation_kernels.hpp"
#include "trainers/kernels/batch_norm_kernel.hpp"
#include "trainers/kernels/conv2d_kernel.hpp"
#include "trainers/kernels/dense_kernel.hpp"
#include "trainers/kernels/depthwise_conv2d_kernel.hpp"
#include "trainers/kernels/merge_kernels.hpp"
#include "trainers/kernels/pool_kernels.hpp"

namespace hwnas {

void KernelRegistry::add(OpKind op, KernelFactory factory) {
  const auto index = static_cast<size_t>(op);
  if (index >= m_factories.size()) m_factories.resize(index + 1, nullptr);
  if (m_factories[index])
    throw std::logic_error("KernelRegistry::add(): op '" + std::string(op_name(op)) +
                           "' is already registered");
  m_factories[index] = factory;
}

bool KernelRegistry::contains(OpKind op) const {
  const auto index = static_cast<size_t>(op);
  return index < m_factories.size() && m_factories[index] != nullptr;
}

std::unique_ptr<OpKernel> KernelRegistry::create(const Layer& layer,
                                                 const std::vector<TensorShape>& inputs) const {
  if (!contains(layer.op)) {
    std::string known;
    for (const OpInfo& info : all_ops())
      if (contains(info.kind)) known += (known.empty() ? "" : ", ") + std::string(info.name);
    throw std::logic_error("KernelRegistry::create(): no kernel for op '" +
                           std::string(op_name(layer.op)) + "' of layer '" + layer.name +
                           "'; registered: " + (known.empty() ? "none" : known));
  }
  return m_factories[static_cast<size_t>(layer.op)](layer, inputs);
}

const KernelRegistry& KernelRegistry::builtin() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    register_builtin_kernels(r);
    return r;
  }();
  return registry;
}

void register_builtin_kernels(KernelRegistry& registry) {
  registry.add(OpKind::kConv2D, make_conv2d_kernel);
  registry.add(OpKind::kDepthwiseConv2D, make_depthwise_conv2d_kernel);
  registry.add(OpKind::kDense, make_dense_kernel);
  registry.add(OpKind::kAvgPool2D, make_avg_pool2d_kernel);
  registry.add(OpKind::kMaxPool2D, make_max_pool2d_kernel);
  registry.add(OpKind::kGlobalAvgPool, make_global_avg_pool_kernel);
  registry.add(OpKind::kAdd, make_add_kernel);
  registry.add(OpKind::kConcat, make_concat_kernel);
  registry.add(OpKind::kReLU, make_relu_kernel);
  registry.add(OpKind::kReLU6, make_relu6_kernel);
  registry.add(OpKind::kBatchNorm, make_batch_norm_kernel);
  registry.add(OpKind::kFlatten, make_identity_kernel);
  registry.add(OpKind::kReshape, make_identity_kernel);
  registry.add(OpKind::kSoftmax, make_softmax_kernel);
}

}  // namespace hwnas
