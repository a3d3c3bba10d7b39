// This file implements the fuzz target of a run's checkpoint (load_checkpoint), whatever
// the format's version: the target knows only the path API.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input_file.hpp"
#include "search/checkpoint.hpp"
#include "util/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hwnas::fuzz::FuzzInputFile input("checkpoint.json");
  const std::string& path = input.write(data, size);
  try {
    hwnas::load_checkpoint(path);
  } catch (const hwnas::UserError&) {
  }
  return 0;
}
