// This file implements the fuzz target of calibration files (read_calibration_file), read
// for the profile and board the seeds were made for.
#include <cstddef>
#include <cstdint>

#include "estimators/calibration.hpp"
#include "estimators/mcu_database.hpp"
#include "estimators/runtime_profile.hpp"
#include "fuzz/fuzz_input_file.hpp"
#include "util/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hwnas::fuzz::FuzzInputFile input("calibration.json");
  static const hwnas::McuSpec& mcu = *hwnas::McuDatabase::builtin().find("STM32H743");
  static const hwnas::RuntimeProfile& profile = *hwnas::RuntimeProfiles::builtin().find("tflm-cmsis-nn");
  const std::string& path = input.write(data, size);
  try {
    hwnas::read_calibration_file(path, profile, mcu);
  } catch (const hwnas::UserError&) {
  }
  return 0;
}
