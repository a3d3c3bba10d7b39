// This file implements KernelRegistry, the explicit table from IR op to the factory of
// its training kernel (TFLM's op resolver, not a switch of `new`).
#pragma once

#include <memory>
#include <vector>

#include "space/layer.hpp"
#include "trainers/kernels/op_kernel.hpp"

namespace hwnas {

/// Builds the kernel of `layer` given its (validated) input shapes.
using KernelFactory = std::unique_ptr<OpKernel> (*)(const Layer& layer,
                                                    const std::vector<TensorShape>& inputs);

class KernelRegistry {
 public:
  /// Registers the factory of `op`.
  /// @throws std::logic_error if `op` already has one.
  void add(OpKind op, KernelFactory factory);
  bool contains(OpKind op) const;
  /// The kernel of `layer`.
  /// @throws std::logic_error naming the op and listing the registered ones if none.
  std::unique_ptr<OpKernel> create(const Layer& layer,
                                   const std::vector<TensorShape>& inputs) const;

  /// A registry holding the kernels of every IR op.
  static const KernelRegistry& builtin();

 private:
  std::vector<KernelFactory> m_factories;  ///< indexed by OpKind; nullptr: none
};

/// Adds the built-in kernels of every OpKind to `registry`.
void register_builtin_kernels(KernelRegistry& registry);

}  // namespace hwnas
