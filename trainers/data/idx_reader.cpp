// This file implements the IDX reader (see idx_reader.hpp) on top of zlib's gz* API,
// which reads gzip-compressed and raw files alike.
#include "trainers/data/idx_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

#include "util/errors.hpp"

namespace hwnas {

namespace {

// Data is read in chunks of this size and the buffer grows with what really arrives, so a
// header promising gigabytes on a tiny file costs one chunk, not the promised size.
constexpr size_t kChunkBytes = size_t(1) << 20;

bool is_known_type(uint8_t code) {
  return code == 0x08 || code == 0x09 || code == 0x0B || code == 0x0C || code == 0x0D ||
         code == 0x0E;
}

std::string hex_byte(unsigned value) {
  static const char* digits = "0123456789ABCDEF";
  return std::string("0x") + digits[(value >> 4) & 0xF] + digits[value & 0xF];
}

/// An open gz stream that closes itself and turns every failure into a DataError.
class GzInput {
 public:
  explicit GzInput(const std::string& path) : m_path(path) {
    errno = 0;
    m_file = gzopen(path.c_str(), "rb");
    if (!m_file) {
      throw DataError(
          path, std::string("cannot open: ") + (errno ? std::strerror(errno) : "out of memory"));
    }
    gzbuffer(m_file, 1 << 17);
  }
  ~GzInput() { gzclose(m_file); }
  GzInput(const GzInput&) = delete;
  GzInput& operator=(const GzInput&) = delete;

  /// Reads up to `n` bytes; returns fewer only at the end of the data.
  size_t read(uint8_t* dst, size_t n) {
    size_t done = 0;
    while (done < n) {
      const unsigned want = unsigned(std::min(n - done, kChunkBytes));
      const int got = gzread(m_file, dst + done, want);
      if (got < 0) fail_stream("read failed");
      if (got == 0) break;
      done += size_t(got);
    }
    return done;
  }

  /// zlib's note on why the stream ended early ("unexpected end of file"), or "".
  std::string end_note() const {
    int code = Z_OK;
    const char* message = gzerror(m_file, &code);
    if (code == Z_OK || !message || !*message) return "";
    return std::string(" (zlib: ") + message + ")";
  }

  const std::string& path() const { return m_path; }

 private:
  [[noreturn]] void fail_stream(const std::string& what) const {
    int code = Z_OK;
    const char* message = gzerror(m_file, &code);
    if (code == Z_ERRNO) message = std::strerror(errno);
    throw DataError(m_path, what + ": corrupt gzip data or I/O error (" +
                                (message ? message : "unknown") + ")");
  }

  std::string m_path;
  gzFile m_file = nullptr;
};

struct IdxHeader {
  IdxType type = IdxType::kUbyte;
  std::vector<size_t> dims;
  uint64_t data_bytes = 0;
};

void read_exact_header(GzInput& in, uint8_t* dst, size_t n, const std::string& part) {
  const size_t got = in.read(dst, n);
  if (got != n) {
    throw DataError(in.path(), "truncated: file ends inside the " + part + " (" +
                                   std::to_string(got) + " of " + std::to_string(n) + " bytes)" +
                                   in.end_note());
  }
}

void check_magic(const std::string& path, const uint8_t* magic) {
  const std::string found = hex_byte(magic[0]) + " " + hex_byte(magic[1]) + " " +
                            hex_byte(magic[2]) + " " + hex_byte(magic[3]);
  if (magic[0] != 0 || magic[1] != 0) {
    throw DataError(path, "bad IDX magic " + found + ": expected 0x00 0x00 <type> <ndim>");
  }
  if (!is_known_type(magic[2])) {
    throw DataError(path, "unsupported IDX element type " + hex_byte(magic[2]));
  }
  if (magic[3] == 0 || magic[3] > kMaxIdxDims) {
    throw DataError(path, "IDX header has " + std::to_string(magic[3]) +
                              " dimensions, expected 1 to " + std::to_string(kMaxIdxDims));
  }
}

std::string dims_text(const std::vector<size_t>& dims, IdxType type) {
  std::string text;
  for (size_t d : dims) text += (text.empty() ? "" : " x ") + std::to_string(d);
  return text + " " + idx_type_name(type);
}

/// Product of the dimensions times the element size, checked against kMaxIdxDataBytes.
uint64_t checked_data_bytes(const std::string& path, const IdxHeader& header) {
  uint64_t total = element_size(element_type(header.type));
  bool overflow = false;
  for (size_t d : header.dims) overflow = overflow || __builtin_mul_overflow(total, d, &total);
  if (overflow || total > kMaxIdxDataBytes) {
    const std::string amount = overflow ? "more than 2^64" : std::to_string(total);
    throw DataError(path, "header promises " + amount + " data bytes (" +
                              dims_text(header.dims, header.type) + "), more than the " +
                              std::to_string(kMaxIdxDataBytes) + "-byte limit");
  }
  return total;
}

IdxHeader read_header(GzInput& in) {
  uint8_t magic[4];
  read_exact_header(in, magic, 4, "4-byte magic");
  check_magic(in.path(), magic);
  IdxHeader header;
  header.type = IdxType(magic[2]);
  std::vector<uint8_t> raw(size_t(magic[3]) * 4);
  read_exact_header(in, raw.data(), raw.size(), "dimension list");
  for (size_t i = 0; i < magic[3]; ++i) {
    const uint32_t d = (uint32_t(raw[4 * i]) << 24) | (uint32_t(raw[4 * i + 1]) << 16) |
                       (uint32_t(raw[4 * i + 2]) << 8) | uint32_t(raw[4 * i + 3]);
    if (d == 0) throw DataError(in.path(), "IDX dimension " + std::to_string(i) + " is zero");
    header.dims.push_back(d);
  }
  header.data_bytes = checked_data_bytes(in.path(), header);
  return header;
}

/// Reads `n` bytes in chunks, growing the buffer only as data arrives.
std::vector<uint8_t> read_data(GzInput& in, size_t n, uint64_t promised) {
  std::vector<uint8_t> data;
  while (data.size() < n) {
    const size_t old_size = data.size();
    data.resize(old_size + std::min(kChunkBytes, n - old_size));
    const size_t got = in.read(data.data() + old_size, data.size() - old_size);
    if (old_size + got < data.size()) {
      throw DataError(in.path(), "truncated: header promises " + std::to_string(promised) +
                                     " data bytes, file ends after " +
                                     std::to_string(old_size + got) + in.end_note());
    }
  }
  return data;
}

void reject_trailing_bytes(GzInput& in, uint64_t promised) {
  uint8_t probe[4096];
  const size_t extra = in.read(probe, sizeof probe);
  if (extra > 0) {
    throw DataError(in.path(),
                    "trailing data: " + std::string(extra == sizeof probe ? "at least " : "") +
                        std::to_string(extra) + " bytes after the " + std::to_string(promised) +
                        " data bytes the header promises");
  }
}

/// IDX stores elements big-endian; swap each element on little-endian hosts.
void to_host_order(std::vector<uint8_t>& bytes, size_t width) {
  if constexpr (std::endian::native == std::endian::big) return;
  if (width == 1) return;
  for (size_t i = 0; i + width <= bytes.size(); i += width) {
    std::reverse(bytes.begin() + ptrdiff_t(i), bytes.begin() + ptrdiff_t(i + width));
  }
}

}  // namespace

std::string idx_type_name(IdxType type) {
  switch (type) {
    case IdxType::kUbyte: return "ubyte";
    case IdxType::kSbyte: return "sbyte";
    case IdxType::kInt16: return "int16";
    case IdxType::kInt32: return "int32";
    case IdxType::kFloat32: return "float32";
    case IdxType::kFloat64: return "float64";
  }
  return "unknown";
}

ElementType element_type(IdxType type) {
  switch (type) {
    case IdxType::kUbyte: return ElementType::kUint8;
    case IdxType::kSbyte: return ElementType::kInt8;
    case IdxType::kInt16: return ElementType::kInt16;
    case IdxType::kInt32: return ElementType::kInt32;
    case IdxType::kFloat32: return ElementType::kFloat32;
    case IdxType::kFloat64: return ElementType::kFloat64;
  }
  return ElementType::kUint8;
}

IdxHeaderInfo read_idx_header(const std::string& path) {
  GzInput in(path);
  const IdxHeader header = read_header(in);
  return {header.type, header.dims};
}

IdxArray read_idx(const std::string& path, size_t max_items) {
  GzInput in(path);
  const IdxHeader header = read_header(in);
  IdxArray array;
  array.type = element_type(header.type);
  array.shape = header.dims;
  array.header_items = header.dims[0];
  const bool limited = max_items > 0 && max_items < header.dims[0];
  if (limited) array.shape[0] = max_items;
  const size_t item_bytes = size_t(header.data_bytes / header.dims[0]);
  array.bytes = read_data(in, array.shape[0] * item_bytes, header.data_bytes);
  if (!limited) reject_trailing_bytes(in, header.data_bytes);
  to_host_order(array.bytes, element_size(array.type));
  return array;
}

}  // namespace hwnas
