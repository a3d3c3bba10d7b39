/* This file implements the semihosting calls (see semihosting.h). */
#include "semihosting.h"

#include <string.h>

enum { SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITE0 = 0x04, SYS_WRITE = 0x05, SYS_READ = 0x06, SYS_EXIT_EXTENDED = 0x20 };

static int semi_call(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void semi_write0(const char *text) { semi_call(SYS_WRITE0, text); }

void semi_write_int(int32_t value) {
  char buffer[12];
  int i = 11;
  uint32_t u = value < 0 ? 0u - (uint32_t)value : (uint32_t)value;
  buffer[i] = '\0';
  do {
    buffer[--i] = (char)('0' + u % 10u);
    u /= 10u;
  } while (u != 0u);
  if (value < 0) buffer[--i] = '-';
  semi_write0(buffer + i);
}

int semi_open(const char *path, int mode) {
  const uint32_t block[3] = {(uint32_t)(uintptr_t)path, (uint32_t)mode, (uint32_t)strlen(path)};
  return semi_call(SYS_OPEN, block);
}

int semi_read(int handle, void *buffer, int bytes) {
  const uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buffer, (uint32_t)bytes};
  return semi_call(SYS_READ, block);
}

int semi_write(int handle, const void *buffer, int bytes) {
  const uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buffer, (uint32_t)bytes};
  return semi_call(SYS_WRITE, block);
}

int semi_close(int handle) {
  const uint32_t block[1] = {(uint32_t)handle};
  return semi_call(SYS_CLOSE, block);
}

void semi_exit(int code) {
  /* SYS_EXIT_EXTENDED: {ADP_Stopped_ApplicationExit, code}; plain SYS_EXIT cannot carry a
   * code on 32-bit ARM. */
  const uint32_t block[2] = {0x20026u, (uint32_t)code};
  semi_call(SYS_EXIT_EXTENDED, block);
  for (;;) {
  }
}
