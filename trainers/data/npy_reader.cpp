// This file implements the .npy reader (see npy_reader.hpp): a small parser for the
// header's Python dict literal, the size checks against the real file, and the mapping of
// a features array and a labels array onto a Dataset.
#include "trainers/data/npy_reader.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string_view>

#include "util/errors.hpp"

namespace hwnas {

namespace {

constexpr std::string_view kMagic("\x93NUMPY", 6);

std::string shape_text(const std::vector<size_t>& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

/// The three keys of a .npy header, as parsed.
struct HeaderFields {
  std::string descr;
  bool fortran_order = false;
  std::vector<size_t> shape;
};

/// Parses the header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
/// Only what np.save writes is accepted: string keys, a string descr, True/False and a
/// tuple of non-negative integers.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& path) : m_text(text), m_path(path) {}

  HeaderFields parse() {
    HeaderFields fields;
    std::vector<std::string> seen;
    expect('{');
    while (peek() != '}') {
      const std::string key = parse_string();
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) fail("key '" + key + "' twice");
      seen.push_back(key);
      expect(':');
      if (key == "descr") {
        if (peek() == '[') fail("a structured dtype (a list descr); expected a plain dtype");
        fields.descr = parse_string();
      } else if (key == "fortran_order") {
        fields.fortran_order = parse_bool();
      } else if (key == "shape") {
        fields.shape = parse_tuple();
      } else {
        fail("unknown key '" + key + "'; expected descr, fortran_order and shape");
      }
      if (peek() == ',') ++m_pos;
      else if (peek() != '}') fail("expected ',' or '}'");
    }
    ++m_pos;
    if (peek() != '\0') fail("text after the closing '}'");
    if (seen.size() != 3) fail("missing keys; expected descr, fortran_order and shape");
    return fields;
  }

 private:
  /// The next non-space character, '\0' at the end.
  char peek() {
    while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\n')) ++m_pos;
    return m_pos < m_text.size() ? m_text[m_pos] : '\0';
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++m_pos;
  }
  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    const size_t end = m_text.find(quote, m_pos + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string value(m_text.substr(m_pos + 1, end - m_pos - 1));
    m_pos = end + 1;
    return value;
  }
  bool parse_bool() {
    peek();
    for (const bool value : {true, false}) {
      const std::string_view word = value ? "True" : "False";
      if (m_text.substr(m_pos, word.size()) == word) {
        m_pos += word.size();
        return value;
      }
    }
    fail("expected True or False");
  }
  std::vector<size_t> parse_tuple() {
    std::vector<size_t> dims;
    expect('(');
    while (peek() != ')') {
      uint64_t d = 0;
      const char* first = m_text.data() + m_pos;
      const auto [end, ec] = std::from_chars(first, m_text.data() + m_text.size(), d);
      if (ec != std::errc() || d > std::numeric_limits<size_t>::max()) fail("expected a dimension");
      m_pos += size_t(end - first);
      if (m_pos < m_text.size() && m_text[m_pos] == 'L') ++m_pos;  // Python 2 long
      dims.push_back(size_t(d));
      if (peek() == ',') ++m_pos;
      else if (peek() != ')') fail("expected ',' or ')' in the shape");
    }
    ++m_pos;
    return dims;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw DataError(m_path, "malformed .npy header at character " + std::to_string(m_pos) + ": " + what);
  }

  std::string_view m_text;
  const std::string& m_path;
  size_t m_pos = 0;
};

struct DtypeInfo {
  std::string_view code;  ///< the descr without its byte-order character
  ElementType type;
};
constexpr DtypeInfo kDtypes[] = {{"u1", ElementType::kUint8},   {"i1", ElementType::kInt8},
                                 {"i2", ElementType::kInt16},   {"i4", ElementType::kInt32},
                                 {"i8", ElementType::kInt64},   {"f4", ElementType::kFloat32},
                                 {"f8", ElementType::kFloat64}};

/// '<f4' -> (float32, little-endian); '|' is allowed for one-byte types only.
void parse_descr(const std::string& descr, const std::string& path, NpyHeader& header) {
  const char order = descr.empty() ? '?' : descr[0];
  for (const DtypeInfo& d : kDtypes) {
    if (descr.size() != 3 || std::string_view(descr).substr(1) != d.code) continue;
    const bool one_byte = element_size(d.type) == 1;
    if (order == '<' || order == '>' || (order == '|' && one_byte)) {
      header.type = d.type;
      header.big_endian = order == '>' && !one_byte;
      return;
    }
  }
  throw DataError(path, "unsupported dtype '" + descr +
                            "': expected uint8, int8, int16, int32, int64, float32 or float64 "
                            "('|u1', '|i1', '<i2', '<i4', '<i8', '<f4', '<f8', or '>' big-endian)");
}

void check_shape(const std::string& path, const std::vector<size_t>& shape) {
  if (shape.empty() || shape.size() > size_t(kMaxNpyDims)) {
    throw DataError(path, "array has shape " + shape_text(shape) + ", expected 1 to " +
                              std::to_string(kMaxNpyDims) + " dimensions (N, ...)");
  }
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) {
      throw DataError(path, "array has shape " + shape_text(shape) + ": dimension " +
                                std::to_string(i) + " is zero (an empty array)");
    }
  }
}

/// Product of the shape times the element size, checked against kMaxNpyDataBytes.
uint64_t checked_data_bytes(const std::string& path, const NpyHeader& header) {
  uint64_t total = element_size(header.type);
  bool overflow = false;
  for (size_t d : header.shape) overflow = overflow || __builtin_mul_overflow(total, d, &total);
  if (overflow || total > kMaxNpyDataBytes) {
    throw DataError(path, "header promises " + (overflow ? "more than 2^64" : std::to_string(total)) +
                              " data bytes (shape " + shape_text(header.shape) + " " +
                              element_type_name(header.type) + "), more than the " +
                              std::to_string(kMaxNpyDataBytes) + "-byte limit");
  }
  return total;
}

std::ifstream open_file(const std::string& path, uint64_t& size) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw DataError(path, "cannot open: is a directory");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, std::string("cannot open: ") + (errno ? std::strerror(errno) : "unknown error"));
  size = std::filesystem::file_size(path, ec);
  if (ec) throw DataError(path, "cannot read the file size: " + ec.message());
  return in;
}

std::string read_bytes(std::ifstream& in, const std::string& path, size_t n, const std::string& part) {
  std::string bytes(n, '\0');
  in.read(bytes.data(), std::streamsize(n));
  if (size_t(in.gcount()) != n) {
    throw DataError(path, "truncated: file ends inside the " + part + " (" +
                              std::to_string(in.gcount()) + " of " + std::to_string(n) + " bytes)");
  }
  return bytes;
}

void check_magic(const std::string& path, const std::string& prefix) {
  if (prefix.compare(0, 4, "PK\x03\x04") == 0) {
    throw DataError(path, "is a zip archive (an .npz?), expected a .npy file as np.save writes it");
  }
  if (prefix.compare(0, kMagic.size(), kMagic) != 0) {
    throw DataError(path, "bad .npy magic: expected \\x93NUMPY, found another file type");
  }
  const auto major = uint8_t(prefix[6]), minor = uint8_t(prefix[7]);
  if (major < 1 || major > 3 || minor != 0) {
    throw DataError(path, "unsupported .npy format version " + std::to_string(major) + "." +
                              std::to_string(minor) + ", expected 1.0, 2.0 or 3.0");
  }
}

/// Reads magic, version and header; leaves `in` at the first data byte.
NpyHeader parse_header(std::ifstream& in, const std::string& path, uint64_t file_size) {
  const std::string prefix = read_bytes(in, path, 10, "10-byte .npy preamble");
  check_magic(path, prefix);
  uint32_t header_len = uint8_t(prefix[8]) | uint32_t(uint8_t(prefix[9])) << 8;
  uint64_t offset = 10;
  if (prefix[6] != 1) {  // versions 2 and 3 have a 4-byte length
    const std::string high = read_bytes(in, path, 2, "header length");
    header_len |= uint32_t(uint8_t(high[0])) << 16 | uint32_t(uint8_t(high[1])) << 24;
    offset = 12;
  }
  if (header_len > kMaxNpyHeaderBytes || offset + header_len > file_size) {
    throw DataError(path, "header length " + std::to_string(header_len) + " is beyond " +
                              (header_len > kMaxNpyHeaderBytes ? "the " + std::to_string(kMaxNpyHeaderBytes) + "-byte limit"
                                                               : "the end of the file"));
  }
  const std::string text = read_bytes(in, path, header_len, "header");
  const HeaderFields fields = HeaderParser(text, path).parse();
  NpyHeader header;
  parse_descr(fields.descr, path, header);
  if (fields.fortran_order) {
    throw DataError(path, "fortran_order is True: only C-order arrays are supported (save "
                          "np.ascontiguousarray(x) instead)");
  }
  header.shape = fields.shape;
  check_shape(path, header.shape);
  header.data_offset = offset + header_len;
  header.data_bytes = checked_data_bytes(path, header);
  return header;
}

void check_file_size(const std::string& path, const NpyHeader& header, uint64_t file_size) {
  const uint64_t present = file_size - header.data_offset;
  const std::string promise = "header promises " + std::to_string(header.data_bytes) +
                              " data bytes (shape " + shape_text(header.shape) + " " +
                              element_type_name(header.type) + ")";
  if (present < header.data_bytes) {
    throw DataError(path, "truncated: " + promise + ", file has " + std::to_string(present));
  }
  if (present > header.data_bytes) {
    throw DataError(path, "trailing data: " + std::to_string(present - header.data_bytes) +
                              " bytes after the " + std::to_string(header.data_bytes) +
                              " data bytes the header promises");
  }
}

}  // namespace

NpyHeader read_npy_header(const std::string& path) {
  uint64_t file_size = 0;
  std::ifstream in = open_file(path, file_size);
  const NpyHeader header = parse_header(in, path, file_size);
  check_file_size(path, header, file_size);
  return header;
}

NpyArray read_npy(const std::string& path) {
  uint64_t file_size = 0;
  std::ifstream in = open_file(path, file_size);
  const NpyHeader header = parse_header(in, path, file_size);
  check_file_size(path, header, file_size);  // so the allocation below is backed by the file
  NpyArray array;
  array.type = header.type;
  array.shape = header.shape;
  array.bytes.resize(size_t(header.data_bytes));
  in.read(reinterpret_cast<char*>(array.bytes.data()), std::streamsize(array.bytes.size()));
  if (uint64_t(in.gcount()) != header.data_bytes) {
    throw DataError(path, "truncated: read " + std::to_string(in.gcount()) + " of " +
                              std::to_string(header.data_bytes) + " data bytes");
  }
  const size_t width = element_size(header.type);
  if (width > 1 && header.big_endian != (std::endian::native == std::endian::big)) {
    for (size_t i = 0; i < array.bytes.size(); i += width) {
      std::reverse(array.bytes.begin() + ptrdiff_t(i), array.bytes.begin() + ptrdiff_t(i + width));
    }
  }
  return array;
}

TensorShape npy_sample_shape(const std::vector<size_t>& shape, const std::string& path) {
  if (shape.size() < 2) {
    throw DataError(path, "features have shape " + shape_text(shape) +
                              ", expected (N, F), (N, H, W) or (N, H, W, C)");
  }
  return sample_shape_of(shape, path, "features");
}

std::vector<int32_t> read_npy_labels(const std::string& path) {
  const NpyArray labels = read_npy(path);
  if (labels.shape.size() > 2 || labels.item_elements() != 1) {
    throw DataError(path, "labels have shape " + shape_text(labels.shape) + ", expected (N,) or (N, 1)");
  }
  return to_labels(labels, path, kMaxDatasetClasses - 1);
}

Dataset read_npy_dataset(const std::string& features_path, const std::string& labels_path) {
  const NpyArray features = read_npy(features_path);
  const TensorShape sample_shape = npy_sample_shape(features.shape, features_path);
  return to_dataset(features, features_path, sample_shape, read_npy_labels(labels_path),
                    labels_path, "samples");
}

}  // namespace hwnas
