// This file implements the regression tests of the .tflite reader for inputs the fuzzer
// found (fuzz/tflite_fuzz.cpp); the sanitizer build runs them, where undefined behaviour
// aborts the test. The round trips of exported models are in tflite_export_test.cpp.
#include <doctest/doctest.h>

#include <string>

#include "exporters/tflite_import.hpp"
#include "tests/test_support.hpp"
#include "util/errors.hpp"

namespace hwnas::test {

TEST_SUITE("tflite_import") {
  TEST_CASE("a constant tensor with an empty buffer is a clear error, without undefined behaviour") {
    // An exported model with the MEAN's axis buffer emptied: reading the axes copied zero
    // bytes from an empty vector's null data() (UBSan: null pointer passed to memcpy).
    const std::string file = std::string(HWNAS_TEST_DATA_DIR) + "/tflite/empty_constant_buffer.tflite";
    std::string message = "no error";
    try {
      import_tflite(read_text(file), file);
    } catch (const UserError& e) {
      message = e.what();
    }
    CHECK_MESSAGE(contains(message, "operator 4 (MEAN) averages other axes than H and W"), message);
  }
}

}  // namespace hwnas::test
