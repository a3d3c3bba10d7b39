// This file implements the external checks of exported ONNX files the tests use:
// Debian's python3-onnx checker (full_check) and ONNX Runtime (npm onnxruntime-node,
// installed into tests/onnx/ by `scripts/install-deps.sh test`), run on a batch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "space/tensor_shape.hpp"

namespace hwnas::test {

/// Runs onnx.checker.check_model(full_check=True) with /usr/bin/python3 on `path`;
/// returns "" when it passes, else the checker's output.
std::string onnx_checker_errors(const std::string& path);

/// Runs `model` in ONNX Runtime (all graph optimisations, one thread) on `count` NHWC
/// samples of `shape`, given as raw bytes (float32 or int8 values); returns the raw
/// bytes of output `output_name`. REQUIREs the run to succeed.
std::string run_onnx_runtime(const std::string& model, const std::string& input_bytes, bool int8_input,
                             int64_t count, const TensorShape& shape, const std::string& output_name);

}  // namespace hwnas::test
