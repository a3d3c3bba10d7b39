// This file implements the firmware build and QEMU runner (see firmware_runner.hpp).
#include "tests/firmware_runner.hpp"

#include <doctest/doctest.h>

#include <sstream>

#include "tests/test_support.hpp"

namespace hwnas::test {

const std::vector<EmulatedBoard>& emulated_boards() {
  static const std::vector<EmulatedBoard> boards = {
      {"cortex-m4", "mps2-an386", "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16", "mps2.ld", 2048},
      {"cortex-m7", "mps2-an500", "-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16", "mps2.ld", 2048},
      {"cortex-m0plus", "microbit", "-mcpu=cortex-m0plus -mthumb", "microbit.ld", 1024},
  };
  return boards;
}

FirmwareSize build_firmware(const std::string& dir, const EmulatedBoard& board, const std::string& main_source,
                            const std::vector<std::string>& sources, const std::string& extra_flags) {
  const std::string harness = source_path("exporters/firmware");
  std::string files = "'" + harness + "/startup.c' '" + harness + "/semihosting.c' '" + harness + "/" + main_source + "'";
  for (const std::string& s : sources) files += " '" + s + "'";
  // newlib-nano gives memcpy and memset only: no syscalls, no crt0 (-nostartfiles).
  const std::string command = "cd '" + dir + "' && arm-none-eabi-gcc " + board.cpu_flags +
                              " -std=c99 -Os -Wall -Wextra -Werror -ffunction-sections -fdata-sections " + extra_flags + " -I. -I'" +
                              harness + "' -nostartfiles --specs=nano.specs -L'" + harness + "' -T'" + harness +
                              "/boards/" + board.linker_script + "' -Wl,--gc-sections -Wl,--defsym=__stack_size__=" +
                              std::to_string(board.stack_bytes) + " " + files + " -o firmware.elf" +
                              " && arm-none-eabi-size firmware.elf";
  const CommandResult r = run_command(command);
  REQUIRE_MESSAGE(r.exit_code == 0, command << "\n" << r.output);
  // "   text	   data	    bss	    dec	    hex	filename" then the numbers.
  std::istringstream lines(r.output);
  std::string header, values;
  std::getline(lines, header);
  std::getline(lines, values);
  FirmwareSize size;
  std::istringstream(values) >> size.text >> size.data >> size.bss;
  REQUIRE_MESSAGE(size.text > 0, r.output);
  return size;
}

std::string run_firmware(const std::string& dir, const EmulatedBoard& board, const std::string& extra_args) {
  const std::string command = "cd '" + dir + "' && timeout 120 qemu-system-arm -M " + board.machine +
                              " -nographic -monitor none -serial none -semihosting-config enable=on,target=native"
                              " -kernel firmware.elf " + extra_args;
  const CommandResult r = run_command(command);
  REQUIRE_MESSAGE(r.exit_code == 0, command << "\n" << r.output);
  return r.output;
}

std::string build_layer_insns_plugin(const std::string& dir) {
  const std::string out = dir + "/liblayer_insns.so";
  const CommandResult r = run_command("cc -shared -fPIC -O2 -Wall -Wextra -Werror -o '" + out + "' '" +
                                      source_path("tests/qemu_plugin/layer_insns.c") + "'");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  return out;
}

}  // namespace hwnas::test
