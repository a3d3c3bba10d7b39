// This file implements the comparison of two run directories that must hold the same
// results: history.jsonl by (candidate index, rung) without the fields that measure time
// (the order of the lines is the order evaluations finished in), and pareto.json.
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "tests/test_support.hpp"

namespace hwnas::test {

inline std::map<std::pair<int, int>, nlohmann::json> comparable_history(const std::string& run_dir) {
  std::istringstream in(read_text(run_dir + "/history.jsonl"));
  std::map<std::pair<int, int>, nlohmann::json> out;
  for (std::string line; std::getline(in, line);) {
    nlohmann::json record = nlohmann::json::parse(line);
    for (const char* timing : {"train_seconds", "images_per_second", "int8_seconds", "qat_seconds", "finished_at"})
      record.erase(timing);
    const std::pair<int, int> key{record["index"].get<int>(), record["rung"].get<int>()};
    CHECK_MESSAGE(out.count(key) == 0, "candidate ", key.first, " evaluated twice at rung ", key.second);
    out[key] = record;
  }
  return out;
}

/// Checks that runs `a` and `b` hold the same results, `a` at least `min_records` of them.
inline void check_same_run(const std::string& a, const std::string& b, size_t min_records = 12 + 6 + 1) {
  const auto ha = comparable_history(a), hb = comparable_history(b);
  CHECK(ha.size() >= min_records);
  CHECK(ha == hb);
  CHECK(read_text(a + "/pareto.json") == read_text(b + "/pareto.json"));
}

}  // namespace hwnas::test
