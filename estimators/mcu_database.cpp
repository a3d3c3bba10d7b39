// This file implements loading and lookup of the MCU database (see mcu_database.hpp).
#include "estimators/mcu_database.hpp"

#include "util/json_reader.hpp"
#include "util/name_lookup.hpp"

namespace hwnas {

extern const char* const kBuiltinMcuDatabaseJson;  // generated from configs/mcus.json

const std::vector<std::string>& known_cores() {
  static const std::vector<std::string> cores = {"cortex-m0plus", "cortex-m3",  "cortex-m4", "cortex-m7",
                                                 "cortex-m33",    "cortex-m55", "cortex-m85",
                                                 "xtensa-lx7"};
  return cores;
}

std::string known_cores_list() { return comma_list(known_cores()); }

std::string latency_family(const McuSpec& mcu) {
  return mcu.core == "cortex-m33" && !mcu.dsp ? "cortex-m3" : mcu.core;
}

McuSpec mcu_from_json(const nlohmann::json& value, const std::string& file, const std::string& pointer) {
  JsonReader r(value, file, pointer);
  McuSpec m;
  m.name = r.get_string("name");
  if (m.name.empty()) r.fail("name", "a non-empty board name");
  m.core = r.get_enum("core", known_cores());
  m.clock_mhz = r.get_double("clock_mhz", 1, 10000);
  m.sram_kb = r.get_double("sram_kb", 1, 1 << 24);
  m.flash_kb = r.get_double("flash_kb", 1, 1 << 24);
  m.fpu = r.get_enum("fpu", {"none", "sp", "dp"});
  m.dsp = r.get_bool("dsp");
  // The DSP extension is part of these cores, absent from those, optional only on the M33.
  if (m.dsp != true && (m.core == "cortex-m4" || m.core == "cortex-m7" || m.core == "cortex-m55" ||
                        m.core == "cortex-m85"))
    r.fail("dsp", "true (every " + m.core + " has the DSP extension)");
  if (m.dsp && (m.core == "cortex-m0plus" || m.core == "cortex-m3"))
    r.fail("dsp", "false (" + m.core + " has no DSP extension)");
  m.helium = r.get_bool_or("helium", false);
  // Helium (MVE) is optional in Armv8.1-M: the M55 and M85 may be built without it.
  if (m.helium && m.core != "cortex-m55" && m.core != "cortex-m85")
    r.fail("helium", "false (only cortex-m55 and cortex-m85 boards have Helium)");
  m.flash_wait_states = int(r.get_int_or("flash_wait_states", 0, 0, 64));
  m.active_power_mw = r.get_double_or("active_power_mw", 0, 0, 1e5);
  m.datasheet = r.get_string("datasheet");
  m.notes = r.get_string_or("notes", "");
  r.finish();
  return m;
}

const McuDatabase& McuDatabase::builtin() {
  static const McuDatabase db =
      from_json(nlohmann::json::parse(kBuiltinMcuDatabaseJson), "configs/mcus.json (built in)");
  return db;
}

McuDatabase McuDatabase::from_json(const nlohmann::json& value, const std::string& file) {
  JsonReader r(value, file);
  const auto& list = r.get_array("mcus", 1);
  McuDatabase db;
  db.add_boards(list, file, "/mcus");
  r.finish();
  return db;
}

void McuDatabase::add(McuSpec mcu, const std::string& file, const std::string& pointer) {
  if (find(mcu.name))
    throw ConfigError(file, pointer + "/name", "a board name not already in the database", "duplicate \"" + mcu.name + "\"");
  m_mcus.push_back(std::move(mcu));
}

void McuDatabase::add_boards(const nlohmann::json& list, const std::string& file, const std::string& pointer) {
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string board_pointer = pointer_index(pointer, i);
    add(mcu_from_json(list[i], file, board_pointer), file, board_pointer);
  }
}

const McuSpec* McuDatabase::find(const std::string& name) const { return find_by_name(m_mcus, name); }

std::string McuDatabase::names() const { return comma_list(m_mcus, &McuSpec::name); }

}  // namespace hwnas
