// This file implements the tests of the CSV dataset reader: the label column by name,
// index or default, headers, quoting, line ends and blank lines; CSV datasets through
// load_dataset (limits, splits, a [L, 1, K] sensor-window shape) and probe_dataset; and
// the malformed files that must give a one-line DataError naming file, line and column.
#include "trainers/data/csv_reader.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/test_support.hpp"
#include "trainers/data/dataset_config.hpp"
#include "util/errors.hpp"

namespace {

using hwnas::CsvOptions;
using hwnas::Dataset;
using hwnas::TensorShape;
using hwnas::read_csv_dataset;
using hwnas::test::TempDir;
using hwnas::test::contains;
using hwnas::test::data_error;
using hwnas::test::write_text;

/// The DataError of reading `text` as a CSV file with `options`; checks it is one line
/// that starts with the file's path.
std::string csv_error(const TempDir& dir, const std::string& text, const CsvOptions& options = {}) {
  const std::string path = dir.file("bad.csv");
  write_text(path, text);
  const std::string msg = data_error([&] { read_csv_dataset(path, options); });
  CAPTURE(msg);
  CHECK(msg.rfind(path + ": ", 0) == 0);
  CHECK(!contains(msg, "\n"));
  return msg.substr(path.size() + 2);
}

/// `n` sensor windows of 4 steps x 2 channels (8 features, step-major) and a label in
/// column 0; feature 0 is the row index so a sample can be traced back.
std::string windows_csv(size_t n) {
  std::string text = "label";
  for (int t = 0; t < 4; ++t) text += ",ax" + std::to_string(t) + ",ay" + std::to_string(t);
  text += "\n";
  for (size_t i = 0; i < n; ++i) {
    text += std::to_string(i % 4);
    for (int f = 0; f < 8; ++f) text += "," + std::to_string(f == 0 ? double(i) : (i % 4) * 0.5 + f * 0.01);
    text += "\n";
  }
  return text;
}

hwnas::DatasetConfig csv_config(const TempDir& dir) {
  write_text(dir.file("train.csv"), windows_csv(40));
  write_text(dir.file("test.csv"), windows_csv(16));
  hwnas::DatasetConfig c;
  c.format = hwnas::DatasetFormat::kCsv;
  c.name = "windows";
  c.train_file = dir.file("train.csv");
  c.test_file = dir.file("test.csv");
  c.csv_label_name = "label";
  c.validation_fraction = 0.25;
  c.normalize = false;
  return c;
}

}  // namespace

TEST_SUITE("csv_reader") {
  TEST_CASE("the label column by default, by name or by index, with or without a header") {
    TempDir dir("csv");
    write_text(dir.file("a.csv"), "f0,f1,label\n1.5,-2,0\n3e2,+4,2\n");
    const Dataset a = read_csv_dataset(dir.file("a.csv"), {});
    CHECK(a.sample_shape == TensorShape{1, 1, 2});
    CHECK(a.y == std::vector<int32_t>{0, 2});
    REQUIRE(a.x.rows() == 2);
    CHECK(a.x(0, 0) == 1.5f);
    CHECK(a.x(0, 1) == -2.0f);
    CHECK(a.x(1, 0) == 300.0f);
    CHECK(a.x(1, 1) == 4.0f);
    write_text(dir.file("b.csv"), "f0,label,f1\n1,1,2\n3,0,4\n");
    const Dataset by_name = read_csv_dataset(dir.file("b.csv"), {true, "label", -1});
    const Dataset by_index = read_csv_dataset(dir.file("b.csv"), {true, "", 1});
    for (const Dataset* d : {&by_name, &by_index}) {
      CHECK(d->y == std::vector<int32_t>{1, 0});
      CHECK(d->x(0, 1) == 2.0f);  // features keep their column order around the label
      CHECK(d->x(1, 0) == 3.0f);
    }
    write_text(dir.file("c.csv"), "7,0.25,1\n8,0.5,0\n");
    const Dataset c = read_csv_dataset(dir.file("c.csv"), {false, "", 0});
    CHECK(c.y == std::vector<int32_t>{7, 8});
    CHECK(c.x(1, 1) == 0.0f);
    CHECK(c.x(0, 0) == 0.25f);
  }

  TEST_CASE("quotes, CRLF, a byte-order mark, spaces and blank lines are accepted") {
    TempDir dir("csv");
    write_text(dir.file("q.csv"),
               "\xEF\xBB\xBF\"x \"\"a\"\"\", y ,\"label\"\r\n\"1.25\", 2 , \"3\"\r\n\r\n  \n 4,\"5\",0 \r\n\n");
    const Dataset d = read_csv_dataset(dir.file("q.csv"), {true, "label", -1});
    CHECK(d.y == std::vector<int32_t>{3, 0});
    CHECK(d.x(0, 0) == 1.25f);
    CHECK(d.x(0, 1) == 2.0f);
    CHECK(d.x(1, 0) == 4.0f);
    CHECK(d.x(1, 1) == 5.0f);
    CHECK(contains(csv_error(dir, "\"x \"\"a\"\"\",label\n1,2,3\n", {true, "x", -1}),
                   "no column named \"x\" in the header (x \"a\", label)"));
  }

  TEST_CASE("CSV datasets go through limits, splits, a sensor-window shape and probe_dataset") {
    TempDir dir("csv");
    hwnas::DatasetConfig c = csv_config(dir);
    const hwnas::DatasetSplits s = hwnas::load_dataset(c, 9);
    CHECK(s.train.sample_shape == TensorShape{1, 1, 8});
    CHECK(s.train.num_classes == 4);
    CHECK(s.train.class_counts() == std::vector<size_t>{7, 7, 8, 8});
    CHECK(s.validation.size() == 10);
    CHECK(s.test.size() == 16);
    for (Eigen::Index r = 0; r < s.train.x.rows(); ++r) {
      CHECK(s.train.y[size_t(r)] == int32_t(s.train.x(r, 0)) % 4);
    }
    c.sample_shape = TensorShape{4, 1, 2};
    c.train_limit = 20;
    c.test_limit = 8;
    c.normalize = true;
    const hwnas::DatasetSplits w = hwnas::load_dataset(c, 9);
    CHECK(w.train.sample_shape == TensorShape{4, 1, 2});
    CHECK(w.train.size() + w.validation.size() == 20);
    CHECK(w.test.class_counts() == std::vector<size_t>{2, 2, 2, 2});
    const hwnas::DatasetShape probe = hwnas::probe_dataset(c);
    CHECK(probe.sample_shape == TensorShape{4, 1, 2});
    CHECK(probe.num_classes == 4);
    c.sample_shape = TensorShape{3, 1, 2};
    CHECK(data_error([&] { hwnas::probe_dataset(c); }) ==
          c.train_file + ": samples have 8 elements [1, 1, 8], but the configured shape [3, 1, 2] has 6");
    c.sample_shape = TensorShape{0, 0, 0};
    write_text(c.test_file, "label,a\n0,1\n1,2\n");
    CHECK(data_error([&] { hwnas::load_dataset(c, 9); }) ==
          c.test_file + ": sample shape [1, 1, 1] differs from the training samples' [1, 1, 8]");
  }

  TEST_CASE("features must be finite numbers, named by line and column") {
    TempDir dir("csv");
    CHECK(csv_error(dir, "a,b,label\n1,2,0\n1,nan,1\n") ==
          "line 3, column 2 (\"b\"): expected a finite number, found \"nan\"");
    CHECK(csv_error(dir, "a,b,label\n1,inf,0\n") ==
          "line 2, column 2 (\"b\"): expected a finite number, found \"inf\"");
    CHECK(csv_error(dir, "a,b,label\n1,1e39,0\n") ==
          "line 2, column 2 (\"b\"): expected a finite number, found \"1e39\"");
    CHECK(csv_error(dir, "a,b,label\n,2,0\n") == "line 2, column 1 (\"a\"): expected a finite number, found an empty field");
    CHECK(csv_error(dir, "1,2x,0\n", {false, "", -1}) == "line 1, column 2: expected a finite number, found \"2x\"");
    CHECK(csv_error(dir, "a,b,label\n1,\"\",0\n") ==
          "line 2, column 2 (\"b\"): expected a finite number, found an empty field");
    CHECK(contains(csv_error(dir, "a,label\n" + std::string(100, '7') + "x,0\n"), "found \"7777"));
  }

  TEST_CASE("labels must be non-negative integers below the class limit") {
    TempDir dir("csv");
    CHECK(csv_error(dir, "a,label\n1,-1\n") ==
          "line 2, column 2 (\"label\"): expected an integer label from 0 to 999, found \"-1\"");
    CHECK(contains(csv_error(dir, "a,label\n1,1.5\n"), "found \"1.5\""));
    CHECK(contains(csv_error(dir, "a,label\n1,1000\n"), "expected an integer label from 0 to 999, found \"1000\""));
    CHECK(contains(csv_error(dir, "a,label\n1,\n"), "found an empty field"));
    CHECK(contains(csv_error(dir, "a,label\n1,99999999999999999999\n"), "found \"9999"));
  }

  TEST_CASE("ragged rows, bad quotes, unknown label columns and empty files are rejected") {
    TempDir dir("csv");
    CHECK(csv_error(dir, "a,b,label\n1,2,0\n1,2\n") == "line 3 has 2 columns, expected 3 as the first line");
    CHECK(csv_error(dir, "a,b,label\n1,2,0\n\n1,2,0,4\n") == "line 4 has 4 columns, expected 3 as the first line");
    CHECK(csv_error(dir, "a,label\n\"1,0\n") == "line 2, column 1: unterminated quoted field");
    CHECK(csv_error(dir, "a,label\n\"1\"x,0\n") == "line 2, column 1: text after a closing quote");
    CHECK(csv_error(dir, "a,b\n1,2\n", {true, "label", -1}) == "no column named \"label\" in the header (a, b)");
    CHECK(csv_error(dir, "1,2\n", {false, "label", -1}) ==
          "label column \"label\" given by name, but the file has no header");
    CHECK(csv_error(dir, "a,b\n1,2\n", {true, "", 2}) ==
          "label column index 2 is beyond the file's 2 columns (indices count from 0)");
    CHECK(csv_error(dir, "") == "no rows: the file is empty");
    CHECK(csv_error(dir, "\n\r\n") == "no rows: the file is empty");
    CHECK(csv_error(dir, "a,b,label\n") == "no data rows after the header");
    CHECK(csv_error(dir, "label\n1\n") == "line 1 has 1 column, expected features and a label");
    CHECK(contains(data_error([&] { read_csv_dataset(dir.file("missing.csv"), {}); }), "cannot open"));
    CHECK(contains(data_error([&] { read_csv_dataset(dir.path().string(), {}); }), "is a directory"));
  }

  TEST_CASE("scan_csv_labels counts features and reads labels without parsing features") {
    TempDir dir("csv");
    write_text(dir.file("s.csv"), "a,b,label\nx,y,2\n1,2,0\n");
    const hwnas::CsvLabelScan scan = hwnas::scan_csv_labels(dir.file("s.csv"), {});
    CHECK(scan.features == 2);
    CHECK(scan.labels == std::vector<int32_t>{2, 0});
    write_text(dir.file("s.csv"), "a,b,label\n1,2,2\n1,2\n");
    CHECK(contains(data_error([&] { hwnas::scan_csv_labels(dir.file("s.csv"), {}); }), "line 3 has 2 columns"));
  }

  TEST_CASE("random damage gives a DataError or consistent data, never a crash") {
    TempDir dir("csv");
    const std::string good = windows_csv(6);
    uint32_t state = 777;
    for (int trial = 0; trial < 200; ++trial) {
      std::string damaged = good;
      state = state * 1664525u + 1013904223u;
      damaged[state % damaged.size()] = ",\"\n\r x-.e9"[(state >> 24) % 11];
      write_text(dir.file("d.csv"), damaged);
      try {
        const Dataset d = read_csv_dataset(dir.file("d.csv"), {true, "label", -1});
        CHECK(size_t(d.x.rows()) == d.size());
        CHECK(d.x.cols() == d.sample_shape.c);
      } catch (const hwnas::DataError&) {
      }
    }
  }
}
