// This file implements helpers shared by the search-space tests (search_space_test.cpp,
// space_operators_test.cpp, constrained_sampling_test.cpp): the shipped spaces bound to
// the data they were written for, spaces written inline, exhaustive enumeration of tiny
// spaces, and an independent check that a decoded network is consistent.
#pragma once

#include <algorithm>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "space/arch_identity.hpp"
#include "space/block_catalog.hpp"
#include "space/search_space.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

/// A shipped space bound to a dataset of the kind it was written for.
struct ShippedBinding {
  std::string file;  ///< under configs/spaces
  TensorShape data;
  int classes = 0;
  /// False for a second binding of a space that only shows the data's channels carry
  /// over: it gets fewer samples, as the networks are the same but for the input.
  bool primary = true;

  std::string label() const { return file + " on " + data.str(); }
};

/// Every shipped space at least once. mcunet twice: its resolution choice replaces the
/// data's height and width, and the input must keep the data's channel count (1 or 3).
inline const std::vector<ShippedBinding>& shipped_bindings() {
  static const std::vector<ShippedBinding> all = {
      {"mcunet.json", {28, 28, 1}, 10},     {"mcunet.json", {96, 96, 3}, 10, false}, {"unas.json", {28, 28, 1}, 10},
      {"ds_cnn_2d.json", {49, 10, 1}, 12}, {"ds_cnn_1d.json", {128, 1, 3}, 6}, {"vision_cnn.json", {28, 28, 1}, 10},
      {"ds_cnn_vision.json", {28, 28, 1}, 10},
  };
  return all;
}

/// Each shipped space once, as it was written to be used: for the tests whose cost
/// per sample is many decodes.
inline std::vector<ShippedBinding> one_binding_per_space() {
  std::vector<ShippedBinding> out;
  for (const ShippedBinding& b : shipped_bindings())
    if (b.primary) out.push_back(b);
  return out;
}

inline SearchSpace bind_shipped(const ShippedBinding& b) {
  return SearchSpace(load_space_file(source_path("configs/spaces/" + b.file)), b.data, b.classes);
}

/// A space written in the test itself, parsed as if it were the file "inline.json".
inline std::shared_ptr<const SpaceSpec> parse_inline_space(const std::string& text) {
  return parse_space(nlohmann::json::parse(text), "inline.json", "", source_path("configs/spaces"));
}

/// Index of the gene labelled `label` (labels are stable; indices depend on key order).
inline size_t gene_index(const SearchSpace& space, const std::string& label) {
  const auto& genes = space.spec().genes;
  for (size_t i = 0; i < genes.size(); ++i)
    if (genes[i].label == label) return i;
  throw std::invalid_argument("no gene labelled " + label);
}

/// Two rounding coincidences: width 0.9 and 1.0 both give 16 filters (MobileNet
/// rounding to a multiple of 8), and kernel 3 and [3, 3] are the same kernel.
/// 3 x 4 = 12 genomes, but 2 filter counts x 3 kernels = 6 networks. Genes: the width
/// ("width_multiplier"), then the kernel ("stage 'c' kernel, block 1").
inline constexpr const char* kCoincidingSpace = R"({
  "name": "coinciding",
  "width_multiplier": {"choice": [0.9, 1.0, 2.0]},
  "stages": [
    {"name": "c", "block": "conv", "filters": 16, "kernel": {"choice": [1, 3, [3, 3], 5]}},
    {"name": "gap", "block": "global_pool"},
    {"name": "out", "block": "classifier"}
  ]
})";

/// No coincidences: each block is a conv (2 filter counts) or a pool (2 sizes), so 4
/// blocks; 1 or 2 of them, 4 + 16 = 20; then global pool or flatten: 40 networks from
/// 2^8 = 256 genomes (a pool block does not read filters, a conv not pool_size, a
/// one-block stage not block 2's genes). Bind it to an 8x8 input.
inline constexpr const char* kTinySpace = R"({
  "name": "tiny",
  "stages": [
    {"name": "mix", "block": {"choice": ["conv", "pool"]}, "depth": {"choice": [1, 2]},
     "filters": {"choice": [4, 8]}, "kernel": 3, "pool_size": {"choice": [2, 3]}},
    {"name": "reduce", "block": {"choice": ["global_pool", "flatten"], "per": "stage"}},
    {"name": "out", "block": "classifier"}
  ]
})";

inline std::string genome_text(const Genome& g) {
  std::string out = "{";
  for (size_t i = 0; i < g.size(); ++i) out += (i ? ", " : "") + std::to_string(g[i]);
  return out + "}";
}

/// How many positions two genomes of the same space differ in.
inline int genes_differing(const Genome& a, const Genome& b) {
  int n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  return n;
}

/// "" if `g` has one index per gene, each within that gene's values; else what is wrong.
inline std::string genome_problem(const SearchSpace& space, const Genome& g) {
  if (g.size() != space.genome_size())
    return "genome has " + std::to_string(g.size()) + " genes, the space " + std::to_string(space.genome_size());
  for (size_t i = 0; i < g.size(); ++i)
    if (g[i] < 0 || size_t(g[i]) >= space.spec().genes[i].values.size())
      return "gene " + std::to_string(i) + " (" + space.spec().genes[i].label + ") is " + std::to_string(g[i]) +
             ", out of range";
  return "";
}

/// "" if `net` is a consistent decoding of `genome`, else what is wrong. Re-derives
/// what the decoder promises instead of trusting it: the input keeps the data's
/// channels (and its size unless the space chooses a resolution), every recorded shape
/// is what shape inference gives for the layer's inputs, the network ends in
/// [1, 1, classes], it computes something, and the identity is the network's (unless
/// `recheck_identity` is false: hashing again costs as much as the rest of the check).
inline std::string network_problem(const SearchSpace& space, const Genome& genome, const DecodedNetwork& net,
                                   bool recheck_identity = true) {
  if (auto problem = genome_problem(space, genome); !problem.empty()) return problem;
  const Architecture& arch = net.arch;
  const SpaceSpec& spec = space.spec();
  if (net.active.size() != genome.size()) return "active flags for " + std::to_string(net.active.size()) + " genes";

  TensorShape expected_input = space.data_shape();
  if (spec.has_resolution) {
    const ValueSlot& slot = spec.resolution;
    const auto& value = slot.is_fixed() ? slot.fixed : spec.genes[size_t(slot.gene)].values[size_t(genome[size_t(slot.gene)])];
    std::tie(expected_input.h, expected_input.w) = value_size2(value);
  }
  if (!(arch.input_shape() == expected_input))
    return "input " + arch.input_shape().str() + ", expected " + expected_input.str();

  const TensorShape logits{1, 1, space.classes()};
  if (!(arch.output_shape() == logits)) return "output " + arch.output_shape().str() + ", expected " + logits.str();
  if (arch.layers().back().op != OpKind::kSoftmax) return "the last layer is not a softmax";

  for (size_t i = 0; i < arch.size(); ++i) {
    const Layer& layer = arch.layer(i);
    const TensorShape inferred = infer_layer_output(int(i), layer, arch.input_shapes(i));
    if (!(layer.output_shape == inferred))
      return "layer '" + layer.name + "' records " + layer.output_shape.str() + ", its inputs give " + inferred.str();
    if (layer.output_shape.elements() < 1) return "layer '" + layer.name + "' has an empty output";
  }
  if (arch.total_params() <= 0) return "no parameters";
  if (arch.total_macs() <= 0) return "no MACs";
  if (recheck_identity && net.identity != architecture_identity(arch)) return "identity is not the network's";
  return "";
}

/// `check(i)` for every i in [0, n), spread over the machine's cores, in order of i;
/// an exception becomes its message. Decoding dominates these tests (an mcunet network
/// takes ~0.3 ms), so the thousands of samples they check only fit in a few seconds in
/// parallel. doctest's assertions are not thread-safe: `check` returns what is wrong
/// ("" for nothing) and the caller asserts on the results.
template <typename Check>
std::vector<std::string> parallel_problems(size_t n, Check check) {
  std::vector<std::string> problems(n);
  const size_t workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 16);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < workers; ++t)
    threads.emplace_back([&, t] {
      for (size_t i = t; i < n; i += workers) {
        try {
          problems[i] = check(i);
        } catch (const std::exception& e) {
          problems[i] = std::string("threw: ") + e.what();
        }
      }
    });
  for (auto& thread : threads) thread.join();
  return problems;
}

/// The first non-empty problem, prefixed with its index, and how many there are; ""
/// if none.
inline std::string first_problem(const std::vector<std::string>& problems) {
  size_t count = 0;
  std::string first;
  for (size_t i = 0; i < problems.size(); ++i) {
    if (problems[i].empty()) continue;
    if (count++ == 0) first = "#" + std::to_string(i) + ": " + problems[i];
  }
  return count == 0 ? "" : first + " (" + std::to_string(count) + " of " + std::to_string(problems.size()) + " fail)";
}

/// Every genome of a (tiny) space, in mixed-radix order.
inline std::vector<Genome> all_genomes(const SearchSpace& space) {
  std::vector<Genome> out;
  Genome g(space.genome_size(), 0);
  for (;;) {
    out.push_back(g);
    size_t i = 0;
    while (i < g.size() && ++g[i] == int(space.spec().genes[i].values.size())) g[i++] = 0;
    if (i == g.size()) return out;
  }
}

}  // namespace hwnas::test
