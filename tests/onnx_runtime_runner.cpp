// This file implements the ONNX checker and ONNX Runtime runners (see onnx_runtime_runner.hpp).
#include "tests/onnx_runtime_runner.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include "tests/test_support.hpp"

namespace hwnas::test {

std::string onnx_checker_errors(const std::string& path) {
  const CommandResult r = run_command(
      "/usr/bin/python3 -c 'import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)' '" +
      path + "'");
  return r.exit_code == 0 ? "" : "onnx.checker (exit " + std::to_string(r.exit_code) + "): " + r.output;
}

std::string run_onnx_runtime(const std::string& model, const std::string& input_bytes, bool int8_input,
                             int64_t count, const TensorShape& shape, const std::string& output_name) {
  const std::string prefix = model + ".ort_";
  write_text(prefix + "input.bin", input_bytes);
  const std::string dims = std::to_string(count) + "," + std::to_string(shape.h) + "," + std::to_string(shape.w) +
                           "," + std::to_string(shape.c);
  const std::string script = source_path("tests/onnx/run_ort.js");
  REQUIRE_MESSAGE(std::filesystem::exists(source_path("tests/onnx/node_modules/onnxruntime-node")),
                  "onnxruntime-node is missing: run scripts/install-deps.sh test");
  const CommandResult r = run_command("node '" + script + "' '" + model + "' '" + prefix + "input.bin' " +
                                      (int8_input ? "int8 " : "float32 ") + dims + " '" + prefix + "'");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  return read_text(prefix + output_name + ".bin");
}

}  // namespace hwnas::test
