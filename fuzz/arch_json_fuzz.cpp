// This file implements the fuzz target of arch.json: load_architecture reads the file
// (read_json_file) and validates every layer and shape (architecture_from_json).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input_file.hpp"
#include "space/arch_json.hpp"
#include "util/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hwnas::fuzz::FuzzInputFile input("arch.json");
  const std::string& path = input.write(data, size);
  try {
    hwnas::load_architecture(path);
  } catch (const hwnas::UserError&) {
    // A documented rejection.
  }
  return 0;
}
