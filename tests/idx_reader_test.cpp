// This file implements the tests of the IDX reader: raw and gzip round trips, every
// element type, item limits, and the corrupt, truncated and absurd files that must give
// a one-line DataError without a crash or a huge allocation.
#include "trainers/data/idx_reader.hpp"

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "tests/test_support.hpp"
#include "util/errors.hpp"

namespace {

using hwnas::read_idx;
using hwnas::test::TempDir;
using hwnas::test::contains;
using hwnas::test::data_error;
using hwnas::test::write_text;

const std::string kFashionDir = "/usr/share/datasets/fashion-mnist/";

std::string be32(uint32_t v) {
  return {char(v >> 24), char((v >> 16) & 0xFF), char((v >> 8) & 0xFF), char(v & 0xFF)};
}

std::string idx_header(uint8_t type, const std::vector<uint32_t>& dims) {
  std::string h{char(0), char(0), char(type), char(dims.size())};
  for (uint32_t d : dims) h += be32(d);
  return h;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}


/// A 3 x 2 x 2 ubyte file with element i == i + 1.
std::string small_ubyte_file() {
  std::string data = idx_header(0x08, {3, 2, 2});
  for (int i = 0; i < 12; ++i) data += char(i + 1);
  return data;
}

long max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

TEST_SUITE("idx_reader") {
  TEST_CASE("raw and gzip ubyte files read back identically") {
    TempDir dir("idx");
    write_text(dir.file("a.idx"), small_ubyte_file());
    write_gz(dir.file("a.idx.gz"), small_ubyte_file());
    for (const std::string name : {"a.idx", "a.idx.gz"}) {
      CAPTURE(name);
      const hwnas::IdxArray a = read_idx(dir.file(name));
      CHECK(a.type == hwnas::ElementType::kUint8);
      CHECK(a.shape == std::vector<size_t>{3, 2, 2});
      CHECK(a.header_items == 3);
      CHECK(a.item_count() == 3);
      CHECK(a.item_elements() == 4);
      REQUIRE(a.bytes.size() == 12);
      for (size_t i = 0; i < 12; ++i) CHECK(a.bytes[i] == i + 1);
      CHECK(a.value(11) == 12.0);
    }
  }

  TEST_CASE("multi-byte element types are decoded from big-endian") {
    TempDir dir("idx");
    write_text(dir.file("i16"), idx_header(0x0B, {2}) + "\xFF\xFE\x01\x02");
    write_text(dir.file("i32"), idx_header(0x0C, {1, 1}) + std::string("\x00\x01\x00\x00", 4));
    write_text(dir.file("f32"), idx_header(0x0D, {1}) + std::string("\x3F\xC0\x00\x00", 4));
    write_text(dir.file("f64"), idx_header(0x0E, {1}) + std::string("\xC0\x04\0\0\0\0\0\0", 8));
    write_text(dir.file("i8"), idx_header(0x09, {1}) + "\xFD");
    const hwnas::IdxArray i16 = read_idx(dir.file("i16"));
    CHECK(i16.value(0) == -2.0);
    CHECK(i16.value(1) == 258.0);
    CHECK(read_idx(dir.file("i32")).value(0) == 65536.0);
    CHECK(read_idx(dir.file("f32")).value(0) == 1.5);
    CHECK(read_idx(dir.file("f64")).value(0) == -2.5);
    CHECK(read_idx(dir.file("i8")).value(0) == -3.0);
    CHECK(hwnas::idx_type_name(hwnas::IdxType::kInt16) == "int16");
  }

  TEST_CASE("an item limit reads only the first items") {
    TempDir dir("idx");
    // Only the first two items are present: the limit must not look further.
    const std::string data = small_ubyte_file().substr(0, 16 + 8);
    write_gz(dir.file("a.gz"), data);
    const hwnas::IdxArray a = read_idx(dir.file("a.gz"), 2);
    CHECK(a.shape == std::vector<size_t>{2, 2, 2});
    CHECK(a.header_items == 3);
    CHECK(a.bytes == std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8});
    CHECK(contains(data_error([&] { read_idx(dir.file("a.gz")); }), "truncated"));
    write_text(dir.file("b"), small_ubyte_file());
    CHECK(read_idx(dir.file("b"), 99).item_count() == 3);  // a limit above N reads all
  }

  TEST_CASE("truncated files give the promised and the found size") {
    TempDir dir("idx");
    const std::string cut = small_ubyte_file().substr(0, 16 + 7);
    write_text(dir.file("raw"), cut);
    write_gz(dir.file("gz"), cut);
    for (const std::string name : {"raw", "gz"}) {
      const std::string msg = data_error([&] { read_idx(dir.file(name)); });
      CHECK(msg ==
            dir.file(name) + ": truncated: header promises 12 data bytes, file ends after 7");
    }
    write_text(dir.file("head"), small_ubyte_file().substr(0, 9));
    CHECK(contains(data_error([&] { read_idx(dir.file("head")); }),
                   "truncated: file ends inside the dimension list (5 of 12 bytes)"));
    write_text(dir.file("empty"), "");
    CHECK(contains(data_error([&] { read_idx(dir.file("empty")); }), "inside the 4-byte magic"));
  }

  TEST_CASE("a cut or damaged gzip stream is an error") {
    TempDir dir("idx");
    std::string payload = idx_header(0x08, {4000});
    for (int i = 0; i < 4000; ++i) payload += char((i * 7919) % 251);
    write_gz(dir.file("ok.gz"), payload);
    const std::string gz = hwnas::test::read_text(dir.file("ok.gz"));
    write_text(dir.file("cut.gz"), gz.substr(0, gz.size() / 2));
    CHECK(contains(data_error([&] { read_idx(dir.file("cut.gz")); }), "truncated"));
    std::string damaged = gz;
    for (size_t i = 20; i < 60; ++i) damaged[i] = char(damaged[i] ^ 0x5A);
    write_text(dir.file("bad.gz"), damaged);
    CHECK(data_error([&] { read_idx(dir.file("bad.gz")); }) != "no DataError");
  }

  TEST_CASE("bad magic, unknown types and bad dimension counts are rejected") {
    TempDir dir("idx");
    write_text(dir.file("text"), "hello world, not an IDX file");
    CHECK(data_error([&] { read_idx(dir.file("text")); }) ==
          dir.file("text") +
              ": bad IDX magic 0x68 0x65 0x6C 0x6C: expected 0x00 0x00 <type> <ndim>");
    write_text(dir.file("type"), idx_header(0x0A, {1}) + "x");
    CHECK(data_error([&] { read_idx(dir.file("type")); }) ==
          dir.file("type") + ": unsupported IDX element type 0x0A");
    write_text(dir.file("nd0"), idx_header(0x08, {}));
    CHECK(contains(data_error([&] { read_idx(dir.file("nd0")); }), "has 0 dimensions"));
    write_text(dir.file("nd5"), idx_header(0x08, {1, 1, 1, 1, 1}) + "x");
    CHECK(contains(data_error([&] { read_idx(dir.file("nd5")); }), "has 5 dimensions"));
    write_text(dir.file("zero"), idx_header(0x08, {3, 0, 2}));
    CHECK(contains(data_error([&] { read_idx(dir.file("zero")); }), "IDX dimension 1 is zero"));
    CHECK(contains(data_error([&] { read_idx(dir.file("missing")); }), "cannot open"));
  }

  TEST_CASE("absurd headers fail fast with bounded memory") {
    TempDir dir("idx");
    const long rss_before = max_rss_kib();
    const auto start = std::chrono::steady_clock::now();
    write_text(dir.file("tera"), idx_header(0x08, {1u << 20, 1024, 1024}) + "abc");
    CHECK(data_error([&] { read_idx(dir.file("tera")); }) ==
          dir.file("tera") +
              ": header promises 1099511627776 data bytes (1048576 x 1024 x 1024 "
              "ubyte), more than the 4294967296-byte limit");
    const uint32_t big = 0xFFFFFFFFu;
    write_text(dir.file("overflow"), idx_header(0x0E, {big, big, big, big}));
    CHECK(contains(data_error([&] { read_idx(dir.file("overflow")); }), "more than 2^64"));
    // 3 GiB promised (under the limit) by a tiny raw and a tiny gzip file.
    const std::string tiny = idx_header(0x0C, {3, 256, 1u << 20}) + std::string(100, 'x');
    write_text(dir.file("tiny"), tiny);
    write_gz(dir.file("tiny.gz"), tiny);
    for (const std::string name : {"tiny", "tiny.gz"}) {
      CHECK(data_error([&] { read_idx(dir.file(name)); }) ==
            dir.file(name) +
                ": truncated: header promises 3221225472 data bytes, file ends after 100");
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(seconds < 1.0);
    CHECK(max_rss_kib() - rss_before < 64 * 1024);
  }

  TEST_CASE("bytes after the promised data are rejected") {
    TempDir dir("idx");
    write_text(dir.file("raw"), small_ubyte_file() + "\n");
    write_gz(dir.file("gz"), small_ubyte_file() + std::string(5000, 'z'));
    CHECK(data_error([&] { read_idx(dir.file("raw")); }) ==
          dir.file("raw") + ": trailing data: 1 bytes after the 12 data bytes the header promises");
    CHECK(contains(data_error([&] { read_idx(dir.file("gz")); }),
                   "trailing data: at least 4096 bytes after the 12 data bytes"));
  }

  TEST_CASE("every truncation and random damage gives a DataError or valid data") {
    TempDir dir("idx");
    const std::string good = small_ubyte_file();
    for (size_t n = 0; n < good.size(); ++n) {
      CAPTURE(n);
      write_text(dir.file("cut"), good.substr(0, n));
      CHECK(data_error([&] { read_idx(dir.file("cut")); }) != "no DataError");
    }
    write_gz(dir.file("ok.gz"), good);
    const std::string gz = hwnas::test::read_text(dir.file("ok.gz"));
    uint32_t state = 12345;
    for (int trial = 0; trial < 100; ++trial) {
      std::string damaged = gz;
      state = state * 1664525u + 1013904223u;
      damaged[state % damaged.size()] = char(state >> 24);
      write_text(dir.file("bad.gz"), damaged);
      try {
        const hwnas::IdxArray a = read_idx(dir.file("bad.gz"));
        CHECK(a.bytes.size() == a.element_count() * hwnas::element_size(a.type));
      } catch (const hwnas::DataError&) {
      }
    }
  }

  TEST_CASE("error messages are one line") {
    TempDir dir("idx");
    write_text(dir.file("cut"), small_ubyte_file().substr(0, 20));
    const std::string msg = data_error([&] { read_idx(dir.file("cut")); });
    CHECK(contains(msg, "truncated"));
    CHECK(!contains(msg, "\n"));
  }

  TEST_CASE("Fashion-MNIST files read with a limit") {
    const hwnas::IdxArray images = read_idx(kFashionDir + "train-images-idx3-ubyte.gz", 500);
    CHECK(images.type == hwnas::ElementType::kUint8);
    CHECK(images.shape == std::vector<size_t>{500, 28, 28});
    CHECK(images.header_items == 60000);
    CHECK(images.bytes.size() == 500 * 28 * 28);
    // The full test labels: exercises the end-of-file and trailing-data checks.
    const hwnas::IdxArray labels = read_idx(kFashionDir + "t10k-labels-idx1-ubyte.gz");
    CHECK(labels.shape == std::vector<size_t>{10000});
    std::set<uint8_t> classes(labels.bytes.begin(), labels.bytes.end());
    CHECK(classes.size() == 10);
    CHECK(*classes.rbegin() == 9);
  }
}
