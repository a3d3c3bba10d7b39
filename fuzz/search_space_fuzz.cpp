// This file implements the fuzz target of the search-space language: parse_space, then
// binding the space to Fashion-MNIST's shape (the load-time decode check), then one
// sampled, decoded and mutated genome, which is what a search does first.
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "fuzz/fuzz_input_file.hpp"
#include "space/search_space.hpp"
#include "util/errors.hpp"
#include "util/json_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path base_dir = hwnas::fuzz::source_dir() / "configs" / "spaces";
  static const std::string file = (base_dir / "fuzz.json").string();
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto spec = hwnas::parse_space(hwnas::parse_json_text(text, file), file, "", base_dir);
    const hwnas::SearchSpace space(spec, hwnas::TensorShape{28, 28, 1}, 10);
    std::mt19937_64 rng(1);
    const hwnas::Genome genome = space.sample(rng);
    space.decode(genome);
    space.mutate(genome, rng);
  } catch (const hwnas::UserError&) {
    // A documented rejection (ConfigError, SpaceDecodeError, a space of one network).
  }
  return 0;
}
