// This file implements the tests of how errors reach the terminal: whatever bytes a bad
// input holds, nas-run's message is one line of printable text (control characters and
// invalid UTF-8 escaped, valid UTF-8 kept, absurd lengths cut).
#include <doctest/doctest.h>

#include <string>

#include "tests/test_support.hpp"
#include "util/errors.hpp"

namespace hwnas::test {

namespace {

bool printable(const std::string& text) {
  for (const char c : text)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) return false;
  return true;
}

}  // namespace

TEST_SUITE("error_messages") {
  TEST_CASE("printable_message escapes control bytes and invalid UTF-8, keeps valid UTF-8, cuts long text") {
    CHECK(printable_message("plain text") == "plain text");
    CHECK(printable_message(std::string("a\nb\0c\x1b[31m", 10)) == "a\\x0ab\\x00c\\x1b[31m");
    CHECK(printable_message("caf\xc3\xa9 \xe2\x9c\x93") == "caf\xc3\xa9 \xe2\x9c\x93");
    CHECK(printable_message("\xff\xfe \xc3") == "\\xff\\xfe \\xc3");       // invalid and truncated sequences
    CHECK(printable_message("\xc0\xaf \xed\xa0\x80") == "\\xc0\\xaf \\xed\\xa0\\x80");  // overlong, surrogate
    CHECK(printable_message(std::string(100, 'x'), 10) == std::string(10, 'x') + "...");
    CHECK(printable_message(std::string(10, 'x'), 10) == std::string(10, 'x'));
  }

  TEST_CASE("binary garbage in a calibration CSV header is not echoed raw to the terminal") {
    TempDir dir;
    std::string garbage = "arch,cycles,";
    for (int b = 0; b < 256; ++b) garbage += char(b == ',' || b == '\n' || b == '\r' || b == '"' ? 'x' : b);
    write_text(dir.file("bad.csv"), garbage + "\nnet.json,1,2\n");
    const CommandResult r =
        run_nas_run("calibrate '" + dir.file("bad.csv") + "' --mcu STM32U585 --profile tflm-cmsis-nn 2>&1");
    CHECK(r.exit_code == 2);
    CHECK_MESSAGE(contains(r.output, "unknown column name"), r.output);
    CHECK(printable(r.output));
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
    CHECK(contains(r.output, "\\x1b"));
  }
}

}  // namespace hwnas::test
