// This file implements the tests of the .npy reader: round trips for every dtype, both
// byte orders and the three format versions (files written here, byte by byte, without
// numpy), the sample shapes of features arrays, NPY datasets through load_dataset and
// probe_dataset, and the corrupt or mismatched files that must give a one-line DataError
// without a crash or a huge allocation.
#include "trainers/data/npy_reader.hpp"

#include <doctest/doctest.h>
#include <sys/resource.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "tests/test_support.hpp"
#include "trainers/data/dataset_config.hpp"
#include "util/errors.hpp"

namespace {

using hwnas::NpyArray;
using hwnas::TensorShape;
using hwnas::read_npy;
using hwnas::test::TempDir;
using hwnas::test::contains;
using hwnas::test::data_error;
using hwnas::test::write_text;

/// A .npy file as np.save writes it: preamble, dict padded with spaces to a multiple of
/// 64 bytes and ended by '\n', then `data`.
std::string npy_file(const std::string& descr, const std::vector<size_t>& shape,
                     const std::string& data, int major = 1, const std::string& order = "False") {
  std::string dims;
  for (size_t d : shape) dims += std::to_string(d) + ", ";
  if (shape.size() > 1) dims.resize(dims.size() - 2);
  else if (shape.size() == 1) dims.pop_back();
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': (" + dims + "), }";
  const size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + dict.size() + 1) % 64 != 0) dict += ' ';
  dict += '\n';
  std::string out("\x93NUMPY", 6);
  out += char(major);
  out += char(0);
  for (size_t i = 0; i < prefix - 8; ++i) out += char((dict.size() >> (8 * i)) & 0xFF);
  return out + dict + data;
}

/// The bytes of `values` as type T, little- or big-endian.
template <typename T>
std::string bytes_of(const std::vector<double>& values, bool big_endian = false) {
  std::string out;
  for (double v : values) {
    const T t = T(v);
    char b[sizeof(T)];
    std::memcpy(b, &t, sizeof t);
    if (big_endian == (std::endian::native == std::endian::little)) std::reverse(b, b + sizeof t);
    out.append(b, sizeof t);
  }
  return out;
}

std::string u8(const std::vector<double>& v) { return bytes_of<uint8_t>(v); }
std::string i64(const std::vector<double>& v) { return bytes_of<int64_t>(v); }

/// Expects a one-line DataError of `path` that contains `part`.
void check_error(const std::string& path, const std::string& part) {
  const std::string msg = data_error([&] { hwnas::read_npy_dataset(path, path); });
  CAPTURE(msg);
  CHECK(msg.rfind(path + ": ", 0) == 0);
  CHECK(contains(msg, part));
  CHECK(!contains(msg, "\n"));
}

long max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

/// 30 samples of 2x2x2 (uint8), 3 classes; pixel 0 is the sample index.
void write_npy_pair(const TempDir& dir, const std::string& prefix, size_t n) {
  std::vector<double> x, y;
  for (size_t i = 0; i < n; ++i) {
    for (size_t p = 0; p < 8; ++p) x.push_back(p == 0 ? double(i) : double((i % 3) * 50 + p));
    y.push_back(double(i % 3));
  }
  write_text(dir.file(prefix + "_x.npy"), npy_file("|u1", {n, 2, 2, 2}, u8(x)));
  write_text(dir.file(prefix + "_y.npy"), npy_file("<i8", {n}, i64(y)));
}

hwnas::DatasetConfig npy_config(const TempDir& dir) {
  write_npy_pair(dir, "train", 30);
  write_npy_pair(dir, "test", 12);
  hwnas::DatasetConfig c;
  c.format = hwnas::DatasetFormat::kNpy;
  c.name = "npy";
  c.train_images = dir.file("train_x.npy");
  c.train_labels = dir.file("train_y.npy");
  c.test_images = dir.file("test_x.npy");
  c.test_labels = dir.file("test_y.npy");
  c.validation_fraction = 0.2;
  c.normalize = false;
  return c;
}

}  // namespace

TEST_SUITE("npy_reader") {
  TEST_CASE("every dtype reads back in both byte orders and all three versions") {
    TempDir dir("npy");
    const std::vector<double> v{-3, 0, 1, 100, -128, 127};
    struct Case { std::string code; hwnas::ElementType type; std::string le, be; };
    const std::vector<Case> cases{
        {"i1", hwnas::ElementType::kInt8, bytes_of<int8_t>(v), bytes_of<int8_t>(v, true)},
        {"i2", hwnas::ElementType::kInt16, bytes_of<int16_t>(v), bytes_of<int16_t>(v, true)},
        {"i4", hwnas::ElementType::kInt32, bytes_of<int32_t>(v), bytes_of<int32_t>(v, true)},
        {"i8", hwnas::ElementType::kInt64, bytes_of<int64_t>(v), bytes_of<int64_t>(v, true)},
        {"f4", hwnas::ElementType::kFloat32, bytes_of<float>(v), bytes_of<float>(v, true)},
        {"f8", hwnas::ElementType::kFloat64, bytes_of<double>(v), bytes_of<double>(v, true)}};
    for (const Case& c : cases) {
      for (int major = 1; major <= 3; ++major) {
        CAPTURE(c.code);
        CAPTURE(major);
        write_text(dir.file("le.npy"), npy_file("<" + c.code, {2, 3}, c.le, major));
        write_text(dir.file("be.npy"), npy_file(">" + c.code, {2, 3}, c.be, major));
        for (const std::string name : {"le.npy", "be.npy"}) {
          const NpyArray a = read_npy(dir.file(name));
          CHECK(a.type == c.type);
          CHECK(a.shape == std::vector<size_t>{2, 3});
          CHECK(a.item_elements() == 3);
          for (size_t i = 0; i < v.size(); ++i) CHECK(a.value(i) == v[i]);
        }
      }
    }
    write_text(dir.file("u1.npy"), npy_file("|u1", {4}, u8({0, 1, 200, 255})));
    CHECK(read_npy(dir.file("u1.npy")).value(2) == 200.0);
    write_text(dir.file("f4.npy"), npy_file("<f4", {1}, bytes_of<float>({1.5})));
    CHECK(read_npy(dir.file("f4.npy")).value(0) == 1.5);
    const hwnas::NpyHeader h = hwnas::read_npy_header(dir.file("f4.npy"));
    CHECK(h.data_offset == 128);
    CHECK(h.data_bytes == 4);
  }

  TEST_CASE("features shapes map to sample shapes, labels may be (N,) or (N, 1)") {
    TempDir dir("npy");
    const std::string labels = i64({0, 1});
    write_text(dir.file("y1.npy"), npy_file("<i8", {2}, labels));
    write_text(dir.file("y2.npy"), npy_file("<i4", {2, 1}, bytes_of<int32_t>({0, 1})));
    struct Case { std::vector<size_t> shape; TensorShape sample; };
    for (const Case& c : {Case{{2, 6}, {1, 1, 6}}, Case{{2, 3, 2}, {3, 2, 1}},
                          Case{{2, 1, 3, 2}, {1, 3, 2}}}) {
      CAPTURE(c.sample.str());
      std::vector<double> x;
      for (int i = 0; i < 12; ++i) x.push_back(i * 10);
      write_text(dir.file("x.npy"), npy_file("|u1", c.shape, u8(x)));
      for (const std::string y : {"y1.npy", "y2.npy"}) {
        const hwnas::Dataset d = hwnas::read_npy_dataset(dir.file("x.npy"), dir.file(y));
        CHECK(d.sample_shape == c.sample);
        CHECK(d.y == std::vector<int32_t>{0, 1});
        REQUIRE(d.x.rows() == 2);
        CHECK(d.x(1, 5) == doctest::Approx(110 / 255.0));  // uint8 is scaled as for IDX
      }
    }
    write_text(dir.file("i16.npy"), npy_file(">i2", {2, 2}, bytes_of<int16_t>({-300, 7, 8, 9}, true)));
    const hwnas::Dataset d = hwnas::read_npy_dataset(dir.file("i16.npy"), dir.file("y1.npy"));
    CHECK(d.x(0, 0) == -300.0f);  // other dtypes are taken as they are
    CHECK(d.x(1, 1) == 9.0f);
  }

  TEST_CASE("NPY datasets go through limits, splits, reshaping and probe_dataset") {
    TempDir dir("npy");
    hwnas::DatasetConfig c = npy_config(dir);
    const hwnas::DatasetSplits s = hwnas::load_dataset(c, 5);
    CHECK(s.train.sample_shape == TensorShape{2, 2, 2});
    CHECK(s.train.num_classes == 3);
    CHECK(s.train.class_counts() == std::vector<size_t>{8, 8, 8});
    CHECK(s.validation.class_counts() == std::vector<size_t>{2, 2, 2});
    CHECK(s.test.size() == 12);
    for (Eigen::Index r = 0; r < s.train.x.rows(); ++r) {  // rows keep their labels
      CHECK(s.train.y[size_t(r)] == std::lround(s.train.x(r, 0) * 255) % 3);
    }
    c.train_limit = 15;
    c.test_limit = 6;
    c.normalize = true;
    const hwnas::DatasetSplits limited = hwnas::load_dataset(c, 5);
    CHECK(limited.train.size() + limited.validation.size() == 15);
    CHECK(limited.test.class_counts() == std::vector<size_t>{2, 2, 2});
    c.sample_shape = TensorShape{4, 1, 2};  // e.g. a sensor window of 4 steps, 2 channels
    CHECK(hwnas::load_dataset(c, 5).train.sample_shape == TensorShape{4, 1, 2});
    const hwnas::DatasetShape probe = hwnas::probe_dataset(c);
    CHECK(probe.sample_shape == TensorShape{4, 1, 2});
    CHECK(probe.num_classes == 3);
    c.sample_shape = TensorShape{3, 1, 2};
    CHECK(data_error([&] { hwnas::load_dataset(c, 5); }) ==
          c.train_images + ": samples have 8 elements [2, 2, 2], but the configured shape [3, 1, 2] has 6");
    c.sample_shape = TensorShape{0, 0, 0};
    write_text(c.test_images, npy_file("|u1", {12, 8}, u8(std::vector<double>(96, 1))));
    CHECK(contains(data_error([&] { hwnas::load_dataset(c, 5); }),
                   "sample shape [1, 1, 8] differs from the training samples' [2, 2, 2]"));
  }

  TEST_CASE("bad magic, archives, versions and malformed headers are rejected") {
    TempDir dir("npy");
    const std::string good = npy_file("<f4", {1}, bytes_of<float>({1}));
    write_text(dir.file("magic"), "\x93NUMPZ" + good.substr(6));
    check_error(dir.file("magic"), "bad .npy magic");
    write_text(dir.file("npz"), std::string("PK\x03\x04", 4) + std::string(60, 'x'));
    check_error(dir.file("npz"), "zip archive");
    std::string v4 = good;
    v4[6] = 4;
    write_text(dir.file("v4"), v4);
    check_error(dir.file("v4"), "unsupported .npy format version 4.0, expected 1.0, 2.0 or 3.0");
    write_text(dir.file("short"), good.substr(0, 7));
    check_error(dir.file("short"), "truncated: file ends inside the 10-byte .npy preamble (7 of 10 bytes)");
    write_text(dir.file("hlen"), good.substr(0, 40));
    check_error(dir.file("hlen"), "header length 118 is beyond the end of the file");
    const std::vector<std::pair<std::string, std::string>> headers{
        {"{'descr': '<f4', 'shape': (1,), }", "missing keys"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", "unknown key 'x'"},
        {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", "expected True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, a), }", "expected a dimension"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "structured dtype"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x", "text after the closing"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }",
         "expected a dimension"},
        {"['descr']", "expected '{'"}};
    for (const auto& [dict, part] : headers) {
      std::string file("\x93NUMPY\x01\x00", 8);
      file += char(dict.size() + 1);
      file += char(0);
      write_text(dir.file("dict"), file + dict + "\n" + bytes_of<float>({1}));
      check_error(dir.file("dict"), "malformed .npy header at character");
      check_error(dir.file("dict"), part);
    }
  }

  TEST_CASE("unsupported dtypes, fortran order and bad shapes are rejected") {
    TempDir dir("npy");
    for (const std::string descr : {"<f2", "<u2", "|b1", "<U3", "|i4", "=f4", "<c8"}) {
      CAPTURE(descr);
      write_text(dir.file("dtype"), npy_file(descr, {1}, std::string(8, '\0')));
      check_error(dir.file("dtype"), "unsupported dtype '" + descr + "': expected uint8, int8");
    }
    write_text(dir.file("fortran"), npy_file("<f4", {2, 2}, bytes_of<float>({1, 2, 3, 4}), 1, "True"));
    check_error(dir.file("fortran"), "fortran_order is True: only C-order arrays are supported");
    write_text(dir.file("scalar"), npy_file("<f4", {}, bytes_of<float>({1})));
    check_error(dir.file("scalar"), "array has shape (), expected 1 to 4 dimensions");
    write_text(dir.file("5d"), npy_file("|u1", {1, 1, 1, 1, 1}, "x"));
    check_error(dir.file("5d"), "array has shape (1, 1, 1, 1, 1), expected 1 to 4 dimensions");
    write_text(dir.file("zero"), npy_file("|u1", {0, 3}, ""));
    check_error(dir.file("zero"), "dimension 0 is zero");
    write_text(dir.file("1d"), npy_file("<f4", {2}, bytes_of<float>({1, 2})));
    check_error(dir.file("1d"), "features have shape (2,), expected (N, F), (N, H, W) or (N, H, W, C)");
    // A dimension above INT_MAX needs a file of gigabytes: the mapping that .npy and IDX
    // share (sample_shape_of) is checked on the shape alone.
    const size_t huge = size_t(std::numeric_limits<int>::max()) + 1;
    CHECK(data_error([&] { hwnas::npy_sample_shape({1, 2, huge}, "x.npy"); }) ==
          "x.npy: features dimension 2 is too large");
    CHECK(data_error([&] { hwnas::sample_shape_of({1, huge, 2, 3}, "x.idx", "image"); }) ==
          "x.idx: image dimension 1 is too large");
  }

  TEST_CASE("truncated data, trailing bytes and absurd headers fail fast with bounded memory") {
    TempDir dir("npy");
    const long rss_before = max_rss_kib();
    write_text(dir.file("cut"), npy_file("<f4", {2, 3}, bytes_of<float>({1, 2, 3, 4, 5})));
    check_error(dir.file("cut"), "truncated: header promises 24 data bytes (shape (2, 3) float32), file has 20");
    write_text(dir.file("long"), npy_file("<f4", {1, 1}, bytes_of<float>({1, 2})));
    check_error(dir.file("long"), "trailing data: 4 bytes after the 4 data bytes the header promises");
    // 3 GiB promised (under the limit) by a tiny file: rejected before any allocation.
    write_text(dir.file("tiny"), npy_file("<i4", {3, 256, 1u << 20}, std::string(100, 'x')));
    check_error(dir.file("tiny"), "truncated: header promises 3221225472 data bytes");
    write_text(dir.file("tera"), npy_file("|u1", {1u << 20, 1024, 1024}, "abc"));
    check_error(dir.file("tera"), "header promises 1099511627776 data bytes (shape (1048576, 1024, 1024) "
                                  "uint8), more than the 4294967296-byte limit");
    const size_t huge = std::numeric_limits<size_t>::max();
    write_text(dir.file("overflow"), npy_file("<f8", {huge, huge}, ""));
    check_error(dir.file("overflow"), "more than 2^64");
    CHECK(max_rss_kib() - rss_before < 64 * 1024);
    const std::string good = npy_file(">i2", {2, 2}, bytes_of<int16_t>({1, 2, 3, 4}, true));
    for (size_t n = 0; n < good.size(); ++n) {  // every truncation is an error
      CAPTURE(n);
      write_text(dir.file("prefix"), good.substr(0, n));
      CHECK(data_error([&] { read_npy(dir.file("prefix")); }) != "no DataError");
    }
  }

  TEST_CASE("labels must be integers in range and match the sample count") {
    TempDir dir("npy");
    write_text(dir.file("x.npy"), npy_file("<f4", {3, 2}, bytes_of<float>({1, 2, 3, 4, 5, 6})));
    const auto labels_error = [&](const std::string& file) {
      write_text(dir.file("y.npy"), file);
      const std::string msg = data_error([&] { hwnas::read_npy_dataset(dir.file("x.npy"), dir.file("y.npy")); });
      CHECK(msg.rfind(dir.file("y.npy") + ": ", 0) == 0);
      CHECK(!contains(msg, "\n"));
      return msg;
    };
    CHECK(labels_error(npy_file("<i8", {2}, i64({0, 1}))) ==
          dir.file("y.npy") + ": has 2 labels but " + dir.file("x.npy") + " has 3 samples");
    CHECK(contains(labels_error(npy_file("<f4", {3}, bytes_of<float>({0, 1, 2}))),
                   "labels have dtype float32, expected an integer dtype"));
    CHECK(contains(labels_error(npy_file("<i8", {3, 2}, i64({0, 1, 2, 0, 1, 2}))),
                   "labels have shape (3, 2), expected (N,) or (N, 1)"));
    CHECK(contains(labels_error(npy_file("<i8", {3}, i64({0, 1000, 2}))), "label 1 is 1000, expected 0 to 999"));
    CHECK(contains(labels_error(npy_file("|i1", {3}, bytes_of<int8_t>({0, 1, -1}))), "label 2 is -1"));
    // A label near 2^63 (found by fuzzing: the message converted the double back to int64).
    std::string huge = i64({0, 0, 2});
    for (int b = 0; b < 8; ++b) huge[size_t(8 + b)] = char(b == 7 ? 0x7f : 0xff);
    CHECK(contains(labels_error(npy_file("<i8", {3}, huge)), "label 1 is 9223372036854775808, expected 0 to 999"));
    write_text(dir.file("y.npy"), npy_file("|u1", {3}, u8({2, 0, 1})));
    CHECK(hwnas::read_npy_dataset(dir.file("x.npy"), dir.file("y.npy")).y == std::vector<int32_t>{2, 0, 1});
    write_text(dir.file("nan.npy"), npy_file("<f8", {3, 2}, bytes_of<double>({1, 2, 3, std::nan(""), 5, 6})));
    CHECK(data_error([&] { hwnas::read_npy_dataset(dir.file("nan.npy"), dir.file("y.npy")); }) ==
          dir.file("nan.npy") + ": sample 1, element 1 is nan, expected a finite number (in float32 range)");
    write_text(dir.file("big.npy"), npy_file("<f8", {3, 2}, bytes_of<double>({1, 2, 3, 1e300, 5, 6})));
    CHECK(contains(data_error([&] { hwnas::read_npy_dataset(dir.file("big.npy"), dir.file("y.npy")); }),
                   "sample 1, element 1 is 1e+300"));
    CHECK(contains(data_error([&] { read_npy(dir.file("missing.npy")); }), "cannot open"));
    CHECK(contains(data_error([&] { read_npy(dir.path().string()); }), "is a directory"));
  }
}
