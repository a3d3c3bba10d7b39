// This file implements the tests of the history.jsonl readers on lines a run never writes
// but a hand-edited or damaged file can hold (found by fuzz/history_fuzz.cpp): every
// problem is a one-line UserError or a skipped record, never another exception.
#include "search/history.hpp"

#include <doctest/doctest.h>

#include <string>

#include "tests/test_support.hpp"
#include "util/errors.hpp"

namespace {

using hwnas::test::TempDir;
using hwnas::test::contains;
using hwnas::test::write_text;

}  // namespace

TEST_SUITE("history") {
  TEST_CASE("history: a rung that is not an integer is skipped by the export's reader") {
    TempDir dir("history");
    write_text(dir.file("history.jsonl"),
               "{\"id\":\"a\",\"index\":0,\"rung\":0}\n"
               "{\"id\":\"a\",\"index\":0,\"rung\":\"1\"}\n"
               "{\"id\":\"b\",\"index\":1,\"rung\":1.5}\n");
    const auto records = hwnas::read_history(dir.file("history.jsonl"));
    REQUIRE(records.size() == 3);
    const auto latest = hwnas::latest_record_per_candidate(records);
    REQUIRE(latest.size() == 1);
    CHECK(latest.at("a").at("rung") == 0);
  }

  TEST_CASE("history: an index or rung beyond int's range is not a search record") {
    TempDir dir("history");
    for (const std::string line : {"{\"index\":4294967296,\"rung\":0}", "{\"index\":0,\"rung\":-4294967297}",
                                   "{\"index\":18446744073709551615}", "{\"index\":0,\"rung\":\"0\"}"}) {
      CAPTURE(line);
      write_text(dir.file("history.jsonl"), line + "\n");
      const auto records = hwnas::read_history(dir.file("history.jsonl"));
      try {
        hwnas::records_by_evaluation(records, "h.jsonl");
        FAIL("accepted");
      } catch (const hwnas::UserError& e) {
        CHECK(contains(e.what(), "h.jsonl:1: not a search record"));
      }
    }
  }
}
