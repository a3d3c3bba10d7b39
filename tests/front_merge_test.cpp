// This file implements the tests of merging several runs' Pareto sets (search/front_merge.hpp,
// `nas-run merge`): the union is filtered to what no entry of any run dominates, a network
// in two runs counts once with its better result, each entry names its run, and runs that
// rank one board by different objectives are refused.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "search/front_merge.hpp"
#include "tests/test_support.hpp"
#include "util/errors.hpp"

namespace hwnas::test {

namespace {

nlohmann::json entry(const std::string& id, double accuracy, double latency_ms) {
  return {{"id", id}, {"val_accuracy_int8", accuracy}, {"latency_ms", latency_ms}};
}

void write_run(const std::string& dir, const nlohmann::json& front, const nlohmann::json& objectives) {
  std::filesystem::create_directories(dir);
  write_text(dir + "/pareto.json",
             nlohmann::json{{"targets", {{{"mcu", "STM32F746"}, {"runtime", "tflm-cmsis-nn"},
                                          {"objectives", objectives}, {"front", front}}}}}
                 .dump());
}

std::set<std::string> ids(const nlohmann::json& front) {
  std::set<std::string> out;
  for (const auto& e : front) out.insert(e["id"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("nas-run merge: one front over several runs, each entry naming its run") {
  TempDir dir("merge");
  const nlohmann::json objectives = {"max val_accuracy_int8", "min latency_ms"};
  write_run(dir.file("a"), {entry("fast", 0.70, 2.0), entry("good", 0.80, 8.0), entry("both", 0.75, 5.0)}, objectives);
  write_run(dir.file("b"), {entry("best", 0.85, 9.0), entry("beaten", 0.72, 6.0), entry("both", 0.78, 5.0)}, objectives);
  const nlohmann::json merged = merge_fronts({dir.file("a"), dir.file("b")});
  REQUIRE(merged["targets"].size() == 1);
  const nlohmann::json& front = merged["targets"][0]["front"];
  // "good" (0.80, 8 ms) is dominated by nothing; "beaten" (0.72, 6 ms) by "both" (0.78, 5 ms).
  CHECK(ids(front) == std::set<std::string>{"fast", "good", "both", "best"});
  CHECK(front[0]["id"] == "best");  // most accurate first
  for (const auto& e : front)
    if (e["id"] == "both") {
      CHECK(e["val_accuracy_int8"] == 0.78);  // the better of its two results
      CHECK(contains(e["run_dir"].get<std::string>(), "/b"));
    }
  CHECK(merged["targets"][0]["runs"].size() == 2);

  write_run(dir.file("c"), {entry("x", 0.9, 1.0)}, {"max val_accuracy_int8", "min ram_bytes"});
  CHECK_THROWS_WITH_AS(merge_fronts({dir.file("a"), dir.file("c")}), doctest::Contains("merge runs of one objective set"),
                       UserError);
  CHECK_THROWS_WITH_AS(merge_fronts({dir.file("none")}), doctest::Contains("pareto.json: missing"), UserError);
}

}  // namespace hwnas::test
