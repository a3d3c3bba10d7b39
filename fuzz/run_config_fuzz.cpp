// This file implements the fuzz target of config.json: JSON text (parse_json_text, the
// strict reader every JSON input goes through) and the whole config (parse_run_config,
// check_searchable). The config is named as if it sat in configs/examples/, so the
// relative paths of the seeds (../spaces/...) find the shipped files.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input_file.hpp"
#include "search/run_config.hpp"
#include "util/errors.hpp"
#include "util/json_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string file = (hwnas::fuzz::source_dir() / "configs" / "examples" / "fuzz.json").string();
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const hwnas::RunConfig config = hwnas::parse_run_config(hwnas::parse_json_text(text, file), file);
    hwnas::check_searchable(config);
  } catch (const hwnas::UserError&) {
    // A documented rejection: what the parser must do with bad input.
  }
  return 0;
}
