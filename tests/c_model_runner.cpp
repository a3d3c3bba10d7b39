// This file implements run_generated_c (see c_model_runner.hpp).
#include "tests/c_model_runner.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <random>

#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

// Reads inputs.bin (argv[3] inputs), writes outputs.bin.
const char* const kDriver = R"(#include <stdio.h>
#include <stdlib.h>
#include "model.h"
int main(int argc, char **argv) {
  static int8_t input[MODEL_INPUT_SIZE], output[MODEL_OUTPUT_SIZE];
  FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
  int n = atoi(argv[3]), i;
  if (argc != 4 || !in || !out) return 1;
  for (i = 0; i < n; ++i) {
    if (fread(input, 1, MODEL_INPUT_SIZE, in) != MODEL_INPUT_SIZE) return 2;
    if (model_invoke(input, output) != 0) return 3;
    if (fwrite(output, 1, MODEL_OUTPUT_SIZE, out) != MODEL_OUTPUT_SIZE) return 4;
  }
  fclose(in);
  return fclose(out) == 0 ? 0 : 5;
}
)";

}  // namespace

std::vector<int8_t> run_generated_c(const std::string& dir, const std::vector<int8_t>& inputs, int count) {
  write_text(dir + "/main.c", kDriver);
  const CommandResult build = run_command(
      "cd '" + dir + "' && cc -std=c99 -pedantic -Wall -Wextra -Werror -O1 main.c model.c hwnas_kernels.c -o model");
  REQUIRE_MESSAGE(build.exit_code == 0, build.output);
  {
    std::ofstream f(dir + "/inputs.bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(inputs.data()), std::streamsize(inputs.size()));
  }
  const CommandResult run = run_command("'" + dir + "/model' '" + dir + "/inputs.bin' '" + dir + "/outputs.bin' " +
                                        std::to_string(count));
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  const std::string outputs = read_text(dir + "/outputs.bin");
  return {outputs.begin(), outputs.end()};
}

std::vector<int8_t> random_int8(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<int8_t> v(n);
  for (int8_t& x : v) x = int8_t(d(rng));
  return v;
}

}  // namespace hwnas::test
