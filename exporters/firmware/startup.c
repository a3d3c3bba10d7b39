/* This file implements a minimal Cortex-M startup for the firmware harness: the vector
 * table, and a reset handler that enables the FPU (when built for one), copies .data,
 * zeroes .bss, paints the stack (to measure its high-water mark), runs main and exits
 * through semihosting with main's return value. Faults print and exit with 3. */
#include <stdint.h>

#include "semihosting.h"

extern uint32_t __StackTop, __StackLimit, __data_load, __data_start, __data_end, __bss_start__, __bss_end__;
int main(void);

#define STACK_PAINT 0xC0FFEE11u

static void paint_stack(void) {
  uint32_t *sp;
  uint32_t *p;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  for (p = &__StackLimit; p < sp - 16; ++p) *p = STACK_PAINT;
}

/* Bytes of stack ever used since boot: the painted words that were overwritten. */
uint32_t stack_high_water_bytes(void) {
  const uint32_t *p = &__StackLimit;
  while (p < &__StackTop && *p == STACK_PAINT) ++p;
  return (uint32_t)((const char *)&__StackTop - (const char *)p);
}

void Reset_Handler(void) {
  uint32_t *src = &__data_load, *dst = &__data_start;
#if defined(__ARM_FP)
  *(volatile uint32_t *)0xE000ED88u |= (0xFu << 20); /* CPACR: CP10 and CP11 full access */
  __asm__ volatile("dsb\n isb");
#endif
  while (dst < &__data_end) *dst++ = *src++;
  for (dst = &__bss_start__; dst < &__bss_end__;) *dst++ = 0;
  paint_stack();
  semi_exit(main());
}

void Default_Handler(void) {
  semi_write0("firmware: fault or unexpected exception\n");
  semi_exit(3);
}

__attribute__((section(".isr_vector"), used)) void (*const vector_table[16])(void) = {
    (void (*)(void))(uintptr_t)&__StackTop, Reset_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, 0, 0, 0, 0,
    Default_Handler, 0, 0, Default_Handler, Default_Handler,
};
