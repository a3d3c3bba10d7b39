// This file implements a small binary codec for messages between processes (MPI): lengths
// and counts as little-endian u64, strings and float arrays as a count and their bytes.
// The reader checks every length against what is left, so a short or corrupt message is
// an error, never a huge allocation or a read past the end.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "util/errors.hpp"

namespace hwnas {

class ByteWriter {
 public:
  void u64(uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = char((v >> (8 * i)) & 0xff);
    m_bytes.append(b, 8);
  }
  void i64(int64_t v) { u64(uint64_t(v)); }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    u64(bits);
  }
  void bytes(const std::string& s) {
    u64(s.size());
    m_bytes.append(s);
  }
  void floats(const float* data, size_t n) {
    u64(n);
    m_bytes.append(reinterpret_cast<const char*>(data), n * sizeof(float));
  }
  template <typename T>
  void pods(const std::vector<T>& v) {
    u64(v.size());
    m_bytes.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  const std::string& str() const { return m_bytes; }
  std::string take() { return std::move(m_bytes); }

 private:
  std::string m_bytes;
};

class ByteReader {
 public:
  /// `what` names the message in errors.
  ByteReader(const std::string& bytes, std::string what) : m_bytes(bytes), m_what(std::move(what)) {}

  uint64_t u64() {
    need(8);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t(uint8_t(m_bytes[m_pos + size_t(i)])) << (8 * i);
    m_pos += 8;
    return v;
  }
  int64_t i64() { return int64_t(u64()); }
  double f64() {
    const uint64_t bits = u64();
    double v;
    std::memcpy(&v, &bits, 8);
    return v;
  }
  std::string bytes() {
    const uint64_t n = u64();
    need(n);
    std::string s = m_bytes.substr(m_pos, size_t(n));
    m_pos += size_t(n);
    return s;
  }
  /// An array written by ByteWriter::pods or ::floats.
  template <typename T>
  std::vector<T> pods() {
    const uint64_t n = u64();
    if (n > (m_bytes.size() - m_pos) / sizeof(T)) fail("a count of " + std::to_string(n) + " past the end");
    std::vector<T> v(static_cast<size_t>(n));
    // An empty vector's data() may be null, and memcpy with a null pointer is undefined even
    // for 0 bytes (UBSan reports it).
    if (n != 0) std::memcpy(v.data(), m_bytes.data() + m_pos, size_t(n) * sizeof(T));
    m_pos += size_t(n) * sizeof(T);
    return v;
  }
  /// Throws unless every byte was read.
  void finish() const {
    if (m_pos != m_bytes.size()) fail(std::to_string(m_bytes.size() - m_pos) + " bytes left over");
  }

 private:
  void need(uint64_t n) const {
    if (n > m_bytes.size() - m_pos) fail("truncated (" + std::to_string(n) + " bytes wanted, " +
                                         std::to_string(m_bytes.size() - m_pos) + " left)");
  }
  [[noreturn]] void fail(const std::string& problem) const { throw UserError(m_what + ": malformed message: " + problem); }

  const std::string& m_bytes;
  std::string m_what;
  size_t m_pos = 0;
};

}  // namespace hwnas
