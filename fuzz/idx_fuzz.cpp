// This file implements the fuzz target of IDX datasets, raw or gzip-compressed: the header
// alone (read_idx_header), the first item only and the whole file (read_idx).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input_file.hpp"
#include "trainers/data/idx_reader.hpp"
#include "util/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hwnas::fuzz::FuzzInputFile input("images-idx3-ubyte");
  const std::string& path = input.write(data, size);
  // Each call separately: a rejection of one must not hide the others.
  try {
    hwnas::read_idx_header(path);
  } catch (const hwnas::UserError&) {
  }
  try {
    hwnas::read_idx(path, 1);
  } catch (const hwnas::UserError&) {
  }
  try {
    hwnas::read_idx(path);
  } catch (const hwnas::UserError&) {
  }
  return 0;
}
