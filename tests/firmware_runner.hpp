// This file implements the Cortex-M side of the exporter tests: it builds generated C
// with the project's firmware harness (exporters/firmware: startup, linker scripts,
// semihosting) for an emulated board with arm-none-eabi-gcc, measures it with
// arm-none-eabi-size and runs it under qemu-system-arm with semihosting.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hwnas::test {

struct EmulatedBoard {
  std::string core;       ///< "cortex-m4"
  std::string machine;    ///< qemu-system-arm -M
  std::string cpu_flags;  ///< arm-none-eabi-gcc flags
  std::string linker_script;  ///< in exporters/firmware/boards
  int stack_bytes = 2048;     ///< reserved for the stack (the microbit has 16 KB of RAM in all)
};

/// The three boards the issue names: Cortex-M4 (mps2-an386), M7 (mps2-an500), M0+ (microbit).
const std::vector<EmulatedBoard>& emulated_boards();

struct FirmwareSize {
  int64_t text = 0, data = 0, bss = 0;  ///< arm-none-eabi-size (Berkeley); bss includes the reserved stack
  int64_t flash() const { return text + data; }
};

/// Builds firmware.elf in `dir` from the harness's startup and semihosting, `main_source`
/// (a file of exporters/firmware) and the C files `sources` of `dir`, at -Os with
/// -Wall -Wextra -Werror. REQUIREs the build to succeed; returns its size.
FirmwareSize build_firmware(const std::string& dir, const EmulatedBoard& board, const std::string& main_source,
                            const std::vector<std::string>& sources, const std::string& extra_flags = "");

/// Runs `dir`/firmware.elf under QEMU with semihosting, in `dir`; returns its console
/// output. REQUIREs exit code 0. `extra_args` go to qemu-system-arm (e.g. a -plugin).
std::string run_firmware(const std::string& dir, const EmulatedBoard& board, const std::string& extra_args = "");

/// Builds the per-layer instruction-count plugin (tests/qemu_plugin) into `dir` with the
/// host compiler; returns the path of the shared library.
std::string build_layer_insns_plugin(const std::string& dir);

}  // namespace hwnas::test
