// This file implements the fuzz target of .tflite files (import_tflite): the flatbuffer
// verifier, then the operators read back into the architecture IR.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporters/tflite_import.hpp"
#include "util/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    hwnas::import_tflite(bytes, "fuzz.tflite");
  } catch (const hwnas::UserError&) {
  }
  return 0;
}
