// This file implements the MCU database: the boards a search can target, read strictly
// from JSON (the built-in configs/mcus.json is compiled into the binary so that nas-run
// works from any directory).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hwnas {

struct McuSpec {
  std::string name;
  std::string core;  ///< cortex-m0plus, cortex-m4, cortex-m7, cortex-m33, ...
  double clock_mhz = 0;
  double sram_kb = 0;   ///< KiB available to the application
  double flash_kb = 0;  ///< KiB
  std::string fpu;      ///< none, sp, dp
  bool dsp = false;     ///< DSP/SIMD extension (SMLAD) present
  bool helium = false;  ///< M-profile vector extension (Cortex-M55/M85)
  int flash_wait_states = 0;  ///< at clock_mhz; weights read from flash pay them (see latency_features)
  double active_power_mw = 0; ///< run mode at clock_mhz; 0: unknown (no energy estimate)
  std::string datasheet;
  std::string notes;  ///< how the numbers were read (power basis, memory layout)
};

/// Core families the cost models know ("cortex-m0plus", ...).
const std::vector<std::string>& known_cores();
/// "cortex-m0plus, cortex-m3, ..." for error messages.
std::string known_cores_list();
/// The core family whose cost coefficients and scratch rules apply: the core itself, except
/// a Cortex-M33 built without the (optional) DSP extension, which runs the same non-SIMD
/// kernels as a Cortex-M3.
std::string latency_family(const McuSpec& mcu);
/// One board read strictly from JSON (used for the database and for boards a config adds).
McuSpec mcu_from_json(const nlohmann::json& value, const std::string& file, const std::string& pointer);

class McuDatabase {
 public:
  /// The database compiled into the binary (configs/mcus.json).
  static const McuDatabase& builtin();
  /// @throws ConfigError naming `file` and the JSON pointer.
  static McuDatabase from_json(const nlohmann::json& value, const std::string& file);
  /// Adds a board. @throws ConfigError at `pointer` if its name is taken.
  void add(McuSpec mcu, const std::string& file, const std::string& pointer);
  /// Reads and adds every board of the JSON array `list` found at `pointer` in `file`.
  void add_boards(const nlohmann::json& list, const std::string& file, const std::string& pointer);

  /// nullptr if absent.
  const McuSpec* find(const std::string& name) const;
  const std::vector<McuSpec>& all() const { return m_mcus; }
  /// "STM32F746, STM32H743, ..." for error messages.
  std::string names() const;

 private:
  std::vector<McuSpec> m_mcus;
};

}  // namespace hwnas
