// This file implements the host harness the exporter tests run generated C with: a
// driver main.c that feeds int8 inputs from a file through model_invoke and writes the
// outputs, built with the host's C compiler as strict C99 with warnings as errors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hwnas::test {

/// Builds the model.c / hwnas_kernels.c in `dir` with a driver and runs it on `count`
/// inputs (concatenated in `inputs`); returns the outputs, concatenated. REQUIREs the
/// build and the run to succeed (their output is the failure message).
std::vector<int8_t> run_generated_c(const std::string& dir, const std::vector<int8_t>& inputs, int count);

/// `n` uniformly random int8 values from `seed`.
std::vector<int8_t> random_int8(size_t n, uint64_t seed);

}  // namespace hwnas::test
