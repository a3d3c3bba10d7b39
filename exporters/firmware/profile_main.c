/* This file implements the per-layer profiling firmware: built with -DHWNAS_PROFILE, it
 * runs the model twice (the first run warms caches; the second is measured) on the input
 * in the host file inputs.bin when there is one (zeros otherwise) and prints one CSV row
 * per layer in the format of `nas-run calibrate` (docs/calibration.md):
 *   row_id,arch,layer,mcu,cycles,runtime
 * Define HWNAS_PROFILE_MCU as the board's name in the MCU database (e.g. "STM32F746")
 * and HWNAS_PROFILE_ARCH as the arch.json path the CSV will sit beside. Output goes
 * through profile_write(), semihosting by default (a debugger with semihosting on); a
 * board without one defines HWNAS_PROFILE_WRITE(text) as its UART's string output. */
#include "model.h"
#include "semihosting.h"

#ifndef HWNAS_PROFILE
#error "build the profiling firmware and model.c with -DHWNAS_PROFILE"
#endif
#ifndef HWNAS_PROFILE_ARCH
#define HWNAS_PROFILE_ARCH "arch.json"
#endif
#ifndef HWNAS_PROFILE_MCU
#define HWNAS_PROFILE_MCU ""
#endif
#ifndef HWNAS_PROFILE_WRITE
#define HWNAS_PROFILE_WRITE(text) semi_write0(text)
#endif

static void write_uint(uint32_t value) {
  char buffer[11];
  int i = 10;
  buffer[i] = '\0';
  do {
    buffer[--i] = (char)('0' + value % 10u);
    value /= 10u;
  } while (value != 0u);
  HWNAS_PROFILE_WRITE(buffer + i);
}

int main(void) {
  static int8_t input[MODEL_INPUT_SIZE], output[MODEL_OUTPUT_SIZE];
  int run, layer;
  const int in = semi_open("inputs.bin", 1);
  if (in >= 0) {
    if (semi_read(in, input, MODEL_INPUT_SIZE) != 0) return 10;
    semi_close(in);
  }
  model_profile_start();
  for (run = 0; run < 2; ++run)
    if (model_invoke(input, output) != 0) return 11;
  HWNAS_PROFILE_WRITE("row_id,arch,layer,mcu,cycles,runtime\n");
  for (layer = 0; layer < MODEL_LAYER_COUNT; ++layer) {
    HWNAS_PROFILE_WRITE("layer");
    write_uint((uint32_t)layer);
    HWNAS_PROFILE_WRITE("," HWNAS_PROFILE_ARCH ",");
    HWNAS_PROFILE_WRITE(model_layer_names[layer]);
    HWNAS_PROFILE_WRITE("," HWNAS_PROFILE_MCU ",");
    write_uint(model_layer_cycles[layer]);
    HWNAS_PROFILE_WRITE(",hwnas-c\n");
  }
  return 0;
}
