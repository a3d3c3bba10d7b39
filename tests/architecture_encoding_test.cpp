// Tests for encode_architecture: every network a shipped space decodes is found again
// from its layers alone, a hand-written network of a space (the DS-CNN baseline) is
// found in it, and a network outside a space is refused with the layer that breaks it.
#include <doctest/doctest.h>

#include <optional>
#include <random>

#include "space/arch_json.hpp"
#include "space/architecture_encoding.hpp"
#include "tests/space_test_support.hpp"

namespace hwnas::test {

TEST_CASE("encode_architecture finds every decoded network of each shipped space again") {
  for (const ShippedBinding& b : one_binding_per_space()) {
    const SearchSpace space = bind_shipped(b);
    std::mt19937_64 rng(7);
    for (int i = 0; i < 12; ++i) {
      const Genome genome = space.sample(rng);
      std::optional<DecodedNetwork> decoded;
      try {
        decoded = space.decode_detailed(genome);
      } catch (const SpaceDecodeError&) {
        continue;  // the sampler rejects these; nothing to find
      }
      const DecodedNetwork& net = *decoded;
      CAPTURE(b.label());
      CAPTURE(genome_text(genome));
      // Renamed layers: only the structure may matter.
      std::vector<Layer> layers = net.arch.layers();
      for (size_t k = 0; k < layers.size(); ++k) {
        layers[k].name = "renamed" + std::to_string(k);
        for (auto& in : layers[k].inputs)
          if (in != "input") in = "renamed" + std::to_string(std::find_if(net.arch.layers().begin(), net.arch.layers().end(),
                                                                          [&](const Layer& l) { return l.name == in; }) -
                                                                 net.arch.layers().begin());
      }
      const Architecture renamed("user_network", net.arch.input_shape(), layers);
      const Genome found = encode_architecture(space, renamed);
      CHECK(space.identity(found) == net.identity);
      // Genes the network does not read come back as 0; the others as they were.
      const DecodedNetwork again = space.decode_detailed(found);
      for (size_t g = 0; g < found.size(); ++g)
        if (!again.active[g]) CHECK(found[g] == 0);
    }
  }
}

TEST_CASE("encode_architecture finds the hand-written DS-CNN baseline in the spaces that search around it") {
  // configs/fashion-mnist-64k-improve-ds-cnn.json starts its search from this file.
  const Architecture ds_cnn = load_architecture(source_path("bench/networks/ds_cnn_small.json"));
  for (const char* file : {"vision_cnn.json", "ds_cnn_vision.json", "unas.json"}) {
    CAPTURE(file);
    const SearchSpace space(load_space_file(source_path(std::string("configs/spaces/") + file)), {28, 28, 1}, 10);
    const Genome genome = encode_architecture(space, ds_cnn);
    CHECK(space.identity(genome) == architecture_identity(ds_cnn));
    CHECK(space.decode(genome).total_params() == ds_cnn.total_params());
  }
}

TEST_CASE("the full-resolution-stem probes are members of the spaces searched from the DS-CNN") {
  // bench/README.md, "Runs 14-18": the 3x3 one ties the DS-CNN at lower cost; the one with
  // 5x5 depthwise kernels in its last two blocks beats it on the mean of three seeds.
  for (const char* probe_file : {"ds_cnn_full_res_stem.json", "ds_cnn_full_res_stem_k5.json"}) {
    const Architecture probe = load_architecture(source_path(std::string("bench/networks/") + probe_file));
    for (const char* file : {"ds_cnn_vision.json", "vision_cnn.json", "unas.json"}) {
      CAPTURE(probe_file);
      CAPTURE(file);
      const SearchSpace space(load_space_file(source_path(std::string("configs/spaces/") + file)), {28, 28, 1}, 10);
      CHECK(space.identity(encode_architecture(space, probe)) == architecture_identity(probe));
    }
  }
}

TEST_CASE("encode_architecture names the first layer a space cannot build") {
  const SearchSpace space(load_space_file(source_path("configs/spaces/vision_cnn.json")), {28, 28, 1}, 10);
  Architecture ds_cnn = load_architecture(source_path("bench/networks/ds_cnn_small.json"));
  // A 7x7 stem: the space's stems are 3x3 or 5x5.
  std::vector<Layer> layers = ds_cnn.layers();
  layers[0].kernel_h = layers[0].kernel_w = 7;
  const Architecture outside("seven_stem", ds_cnn.input_shape(), layers);
  CHECK_THROWS_WITH_AS(encode_architecture(space, outside),
                       doctest::Contains("network 'seven_stem' is not a member of space 'vision_cnn': no choice of "
                                         "the space builds its layer 1 ('stem', conv2d)"),
                       UserError);
  // Another input: nothing matches, not even the empty prefix.
  const Architecture wider("wide_input", {32, 32, 1}, ds_cnn.layers());
  CHECK_THROWS_AS(encode_architecture(space, wider), UserError);
  // Its last pointwise convolution widened to 80 filters, a width the space does not
  // offer: everything before it matches.
  layers = ds_cnn.layers();
  for (Layer& l : layers)
    if (l.name == "pw4") l.filters = 80;
  const Architecture wide_end("wide_end", ds_cnn.input_shape(), layers);
  CHECK_THROWS_WITH_AS(encode_architecture(space, wide_end), doctest::Contains("layer 25 ('pw4', conv2d) after the 24 before it"), UserError);
}

}  // namespace hwnas::test
