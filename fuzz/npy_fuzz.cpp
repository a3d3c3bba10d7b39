// This file implements the fuzz target of .npy datasets: the file as features
// (read_npy, npy_sample_shape) and as labels (read_npy_labels).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input_file.hpp"
#include "trainers/data/npy_reader.hpp"
#include "util/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hwnas::fuzz::FuzzInputFile input("input.npy");
  const std::string& path = input.write(data, size);
  try {
    const hwnas::NpyArray array = hwnas::read_npy(path);
    hwnas::npy_sample_shape(array.shape, path);
  } catch (const hwnas::UserError&) {
  }
  try {
    hwnas::read_npy_labels(path);
  } catch (const hwnas::UserError&) {
  }
  return 0;
}
