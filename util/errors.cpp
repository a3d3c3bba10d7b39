// This file implements the message formatting of the user-facing error types.
#include "util/errors.hpp"

#include <algorithm>
#include <new>

namespace hwnas {

namespace {
std::string format_config_error(const std::string& file, const std::string& pointer,
                                const std::string& expected, const std::string& found) {
  std::string msg = file + ": " + (pointer.empty() ? "/" : pointer) + ": expected " + expected;
  if (!found.empty()) msg += ", found " + found;
  return msg;
}
}  // namespace

ConfigError::ConfigError(std::string file, std::string pointer, std::string expected,
                         std::string found)
    : UserError(format_config_error(file, pointer, expected, found)),
      m_file(std::move(file)),
      m_pointer(std::move(pointer)) {}

ConfigError::ConfigError(std::string file, std::string pointer, const std::string& full_message, int)
    : UserError(full_message), m_file(std::move(file)), m_pointer(std::move(pointer)) {}

ConfigError ConfigError::with_message(std::string file, std::string pointer,
                                      const std::string& message) {
  std::string full = file + ": " + (pointer.empty() ? "/" : pointer) + ": " + message;
  return ConfigError(std::move(file), std::move(pointer), full, 0);
}

namespace {

// The length of the valid UTF-8 sequence at text[i] (0 if there is none).
size_t utf8_sequence_length(const std::string& text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  unsigned min_code = 0;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2, min_code = 0x80;
  else if (lead >= 0xe0 && lead <= 0xef) length = 3, min_code = 0x800;
  else if (lead >= 0xf0 && lead <= 0xf4) length = 4, min_code = 0x10000;
  else return 0;
  if (i + length > text.size()) return 0;
  unsigned code = lead & (0xff >> (length + 1));
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3f);
  }
  // Overlong forms, surrogates and code points beyond U+10FFFF are not valid UTF-8.
  if (code < min_code || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return 0;
  return length;
}

}  // namespace

std::string printable_message(const std::string& message, size_t max_bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(message.size(), max_bytes) + 16);
  size_t i = 0;
  while (i < message.size() && out.size() < max_bytes) {
    const unsigned char ch = static_cast<unsigned char>(message[i]);
    if (ch >= 0x20 && ch < 0x7f) {
      out += char(ch);
      ++i;
      continue;
    }
    if (const size_t n = ch >= 0x80 ? utf8_sequence_length(message, i) : 0) {
      out.append(message, i, n);
      i += n;
      continue;
    }
    out += "\\x";
    out += kHex[ch >> 4];
    out += kHex[ch & 0xf];
    ++i;
  }
  if (i < message.size()) out += "...";
  return out;
}

bool is_environment_failure(const std::exception& e) {
  return dynamic_cast<const EnvironmentError*>(&e) != nullptr || dynamic_cast<const std::bad_alloc*>(&e) != nullptr;
}

}  // namespace hwnas
