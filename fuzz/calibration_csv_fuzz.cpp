// This file implements the fuzz target of calibration measurements (read_measurements_csv)
// for one board and profile. The CSV's `arch` column names files relative to the CSV, so
// the input's folder links `archs` to configs/archs: the seeds' rows then reach real
// networks and the feature computation behind them.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <system_error>

#include "estimators/calibration.hpp"
#include "estimators/mcu_database.hpp"
#include "estimators/runtime_profile.hpp"
#include "fuzz/fuzz_input_file.hpp"
#include "util/errors.hpp"

namespace {

hwnas::fuzz::FuzzInputFile& input_with_archs() {
  static hwnas::fuzz::FuzzInputFile input("measurements.csv");
  static const bool linked = [] {
    std::error_code ec;
    std::filesystem::create_directory_symlink(hwnas::fuzz::source_dir() / "configs" / "archs",
                                              input.folder() / "archs", ec);
    return true;
  }();
  (void)linked;
  return input;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hwnas::McuSpec& mcu = *hwnas::McuDatabase::builtin().find("STM32H743");
  static const hwnas::RuntimeProfile& profile = *hwnas::RuntimeProfiles::builtin().find("tflm-cmsis-nn");
  const std::string& path = input_with_archs().write(data, size);
  try {
    hwnas::read_measurements_csv(path, mcu, profile);
  } catch (const hwnas::UserError&) {
  }
  return 0;
}
