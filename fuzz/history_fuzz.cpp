// This file implements the fuzz target of history.jsonl: every reader a resume, an export
// and the report use (read_history, records_by_evaluation, latest_record_per_candidate).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/fuzz_input_file.hpp"
#include "search/history.hpp"
#include "util/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hwnas::fuzz::FuzzInputFile input(hwnas::kHistoryFile);
  const std::string& path = input.write(data, size);
  try {
    const std::vector<nlohmann::json> records = hwnas::read_history(path);
    hwnas::latest_record_per_candidate(records);
    hwnas::records_by_evaluation(records, path);
  } catch (const hwnas::UserError&) {
  }
  return 0;
}
