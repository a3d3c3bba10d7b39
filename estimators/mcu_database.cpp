// This file implements loading and lookup of the MCU database (see mcu_database.hpp).
#include "estimators/mcu_database.hpp"

#include "util/json_reader.hpp"

namespace hwnas {

extern const char* const kBuiltinMcuDatabaseJson;  // generated from configs/mcus.json

namespace {

McuSpec mcu_from_json(JsonReader& r) {
  McuSpec m;
  m.name = r.get_string("name");
  if (m.name.empty()) r.fail("name", "a non-empty board name");
  m.core = r.get_enum("core", {"cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7",
                               "cortex-m33", "cortex-m55", "xtensa-lx7"});
  m.clock_mhz = r.get_double("clock_mhz", 1, 10000);
  m.sram_kb = r.get_double("sram_kb", 1, 1 << 24);
  m.flash_kb = r.get_double("flash_kb", 1, 1 << 24);
  m.fpu = r.get_enum("fpu", {"none", "sp", "dp"});
  m.dsp = r.get_bool("dsp");
  m.datasheet = r.get_string("datasheet");
  r.finish();
  return m;
}

}  // namespace

McuDatabase McuDatabase::builtin() {
  static const McuDatabase db =
      from_json(nlohmann::json::parse(kBuiltinMcuDatabaseJson), "configs/mcus.json (built in)");
  return db;
}

McuDatabase McuDatabase::from_json(const nlohmann::json& value, const std::string& file) {
  JsonReader r(value, file);
  const auto& list = r.get_array("mcus", 1);
  McuDatabase db;
  for (size_t i = 0; i < list.size(); ++i) {
    JsonReader mr(list[i], file, pointer_index("/mcus", i));
    McuSpec m = mcu_from_json(mr);
    if (db.find(m.name))
      throw ConfigError(file, mr.pointer_of("name"), "a unique board name", "duplicate \"" + m.name + "\"");
    db.m_mcus.push_back(std::move(m));
  }
  r.finish();
  return db;
}

const McuSpec* McuDatabase::find(const std::string& name) const {
  for (const auto& m : m_mcus)
    if (m.name == name) return &m;
  return nullptr;
}

std::string McuDatabase::names() const {
  std::string out;
  for (const auto& m : m_mcus) out += (out.empty() ? "" : ", ") + m.name;
  return out;
}

}  // namespace hwnas
