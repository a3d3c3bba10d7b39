/* This file implements the firmware the exporter tests run under QEMU: it reads int8
 * inputs from the host file inputs.bin (semihosting), runs model_invoke on each and
 * writes the outputs to outputs.bin, then prints the count and the stack high-water
 * mark ("inputs=N stack_bytes=S") and exits 0; any failure exits non-zero. */
#include "model.h"
#include "semihosting.h"

uint32_t stack_high_water_bytes(void);

int main(void) {
  static int8_t input[MODEL_INPUT_SIZE], output[MODEL_OUTPUT_SIZE];
  int32_t count = 0;
  const int in = semi_open("inputs.bin", 1), out = semi_open("outputs.bin", 5);
  if (in < 0 || out < 0) return 10;
  while (semi_read(in, input, MODEL_INPUT_SIZE) == 0) {
    if (model_invoke(input, output) != 0) return 11;
    if (semi_write(out, output, MODEL_OUTPUT_SIZE) != 0) return 12;
    ++count;
  }
  if (semi_close(in) != 0 || semi_close(out) != 0) return 13;
  semi_write0("inputs=");
  semi_write_int(count);
  semi_write0(" stack_bytes=");
  semi_write_int((int32_t)stack_high_water_bytes());
  semi_write0("\n");
  return 0;
}
