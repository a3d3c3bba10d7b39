/* This file implements the ARM semihosting calls the firmware harness uses (BKPT 0xAB,
 * which works on ARMv6-M, v7-M and v8-M): console text, host files and the exit code.
 * Under QEMU (-semihosting-config enable=on,target=native) they reach QEMU's own stderr,
 * the host file system (paths relative to QEMU's working directory) and QEMU's exit
 * status; on a real board, a debugger with semihosting enabled (OpenOCD, pyOCD). */
#ifndef HWNAS_SEMIHOSTING_H
#define HWNAS_SEMIHOSTING_H

#include <stdint.h>

void semi_write0(const char *text);
void semi_write_int(int32_t value);
/* mode: 1 "rb", 5 "wb" (the semihosting SYS_OPEN modes). Returns a handle, -1 on failure. */
int semi_open(const char *path, int mode);
/* Return the number of bytes NOT transferred (0: all of them), as SYS_READ/SYS_WRITE do. */
int semi_read(int handle, void *buffer, int bytes);
int semi_write(int handle, const void *buffer, int bytes);
int semi_close(int handle);
/* Ends the program; QEMU exits with `code`. */
void semi_exit(int code) __attribute__((noreturn));

#endif /* HWNAS_SEMIHOSTING_H */
