// This file implements Architecture, the network IR every part of the engine shares:
// a DAG of typed layers over one NHWC input, with shapes inferred and checked when it
// is built. An Architecture that exists is valid; nothing downstream re-checks it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "space/layer.hpp"
#include "space/layer_stats.hpp"
#include "util/errors.hpp"

namespace hwnas {

/// A network that fails shape inference or structural checks. Names the layer.
class ArchitectureError : public UserError {
 public:
  ArchitectureError(int layer_index, const std::string& layer_name, const std::string& problem);

  int layer_index() const { return m_layer_index; }  ///< -1: the network as a whole
  const std::string& problem() const { return m_problem; }

 private:
  int m_layer_index;
  std::string m_problem;
};

/// Output shape of `layer` given its input shapes; `index` only names the layer in errors.
/// Lets builders (the search-space decoder) track shapes while they add layers.
/// @throws ArchitectureError.
TensorShape infer_layer_output(int index, const Layer& layer, const std::vector<TensorShape>& inputs);

class Architecture {
 public:
  /// Index used in input_indices() for the network input.
  static constexpr int kNetworkInput = -1;
  /// No tensor may reach 2^31 elements (no MCU network comes close; it guards allocations).
  static constexpr int64_t kMaxElements = int64_t(1) << 31;

  /// Builds and validates the network. Layers must be listed in an order where every
  /// input refers to the network input or to an earlier layer (this makes the graph a
  /// DAG by construction and the listed order a valid schedule). The last layer is the
  /// network output; every other layer must feed some later layer.
  /// @throws ArchitectureError naming the first offending layer.
  Architecture(std::string name, TensorShape input_shape, std::vector<Layer> layers);

  const std::string& name() const { return m_name; }
  const TensorShape& input_shape() const { return m_input_shape; }
  const std::vector<Layer>& layers() const { return m_layers; }
  const Layer& layer(size_t i) const { return m_layers[i]; }
  size_t size() const { return m_layers.size(); }
  const TensorShape& output_shape() const { return m_layers.back().output_shape; }

  /// Producer indices of layer i's inputs (kNetworkInput for the network input).
  const std::vector<int>& input_indices(size_t i) const { return m_input_indices[i]; }
  /// Shapes of layer i's inputs, in order.
  std::vector<TensorShape> input_shapes(size_t i) const;
  /// Layers that consume layer i's output, in ascending order.
  const std::vector<int>& consumers(size_t i) const { return m_consumers[i]; }

  /// Parameters, MACs and activation sizes of layer i (see layer_stats.hpp).
  const LayerStats& stats(size_t i) const { return m_stats[i]; }
  int64_t total_params() const { return m_total_params; }
  int64_t total_macs() const { return m_total_macs; }

  /// Same definition: name, input shape and every layer's definition.
  bool same_definition(const Architecture& other) const;

 private:
  void resolve_inputs();
  void infer_shapes();

  std::string m_name;
  TensorShape m_input_shape;
  std::vector<Layer> m_layers;
  std::vector<std::vector<int>> m_input_indices;
  std::vector<std::vector<int>> m_consumers;
  std::vector<LayerStats> m_stats;
  int64_t m_total_params = 0;
  int64_t m_total_macs = 0;
};

}  // namespace hwnas
