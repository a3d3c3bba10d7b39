// This file implements JsonReader, the strict reader every JSON input goes through.
//
// A JsonReader wraps one JSON object together with the file it came from and its JSON
// pointer. Each getter checks type and range and records the key as known; finish()
// then rejects every key that was not asked for, so a typo ("learning_rat") is an
// error instead of a silently ignored setting. All failures throw ConfigError with the
// exact pointer of the offending value.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/errors.hpp"

namespace hwnas {

/// Keys starting with '_' ("_comment", "_why") are comments: JSON has none, and example
/// configs need them. finish() skips them; everything else unknown is an error.
inline bool is_comment_key(const std::string& key) { return !key.empty() && key[0] == '_'; }

/// Short rendering of a JSON value for error messages ("a string \"abc\"", "-3", ...).
std::string describe_json(const nlohmann::json& value);

/// The largest JSON input read, and the deepest nesting accepted (configs and
/// architectures nest a few levels).
inline constexpr uintmax_t kMaxJsonFileBytes = uintmax_t(64) << 20;
inline constexpr int kMaxJsonDepth = 64;

/// Reads a whole JSON file. @throws UserError if it is missing, not a regular file or
/// over kMaxJsonFileBytes, ConfigError if it does not parse (parse_json_text).
nlohmann::json read_json_file(const std::string& path);
/// JSON text that came from `path` (named in the error). @throws ConfigError when it is not
/// JSON, repeats a key in an object, nests deeper than kMaxJsonDepth or holds a number
/// beyond a double's range.
nlohmann::json parse_json_text(const std::string& text, const std::string& path);

class JsonReader {
 public:
  /// @throws ConfigError if `value` is not an object.
  JsonReader(const nlohmann::json& value, std::string file, std::string pointer = "");

  const std::string& file() const { return m_file; }
  const std::string& pointer() const { return m_pointer; }
  std::string pointer_of(const std::string& key) const;
  bool has(const std::string& key) const;
  /// Marks `key` as known and tells whether it is present (for optional, polymorphic keys).
  bool take(const std::string& key) {
    m_known.insert(key);
    return has(key);
  }

  // Required values.
  std::string get_string(const std::string& key);
  std::string get_enum(const std::string& key, const std::vector<std::string>& allowed);
  int64_t get_int(const std::string& key, int64_t min = std::numeric_limits<int64_t>::min(),
                  int64_t max = std::numeric_limits<int64_t>::max());
  double get_double(const std::string& key, double min = -std::numeric_limits<double>::infinity(),
                    double max = std::numeric_limits<double>::infinity());
  bool get_bool(const std::string& key);
  std::vector<int64_t> get_int_list(const std::string& key, size_t min_size, size_t max_size,
                                    int64_t min, int64_t max);

  // Optional values with a default.
  std::string get_string_or(const std::string& key, const std::string& fallback);
  std::string get_enum_or(const std::string& key, const std::vector<std::string>& allowed,
                          const std::string& fallback);
  int64_t get_int_or(const std::string& key, int64_t fallback,
                     int64_t min = std::numeric_limits<int64_t>::min(),
                     int64_t max = std::numeric_limits<int64_t>::max());
  double get_double_or(const std::string& key, double fallback,
                       double min = -std::numeric_limits<double>::infinity(),
                       double max = std::numeric_limits<double>::infinity());
  bool get_bool_or(const std::string& key, bool fallback);

  /// The whole object, for iterating keys that are data (board names, core families).
  const nlohmann::json& object() const { return *m_value; }
  /// A nested object; the caller must finish() it too.
  JsonReader child(const std::string& key);
  /// The raw value of a key (marked as known), for arrays and polymorphic values.
  const nlohmann::json& raw(const std::string& key);
  /// An array of `key`, checked for size.
  const nlohmann::json& get_array(const std::string& key, size_t min_size = 0,
                                  size_t max_size = std::numeric_limits<size_t>::max());

  /// Rejects any key no getter asked for. Call after reading everything.
  void finish() const;

  /// Throws a ConfigError at `key` (or at this object when key is empty).
  [[noreturn]] void fail(const std::string& key, const std::string& expected) const;

 private:
  const nlohmann::json& at(const std::string& key);

  const nlohmann::json* m_value;
  std::string m_file;
  std::string m_pointer;
  std::set<std::string> m_known;
};

/// Pointer of element `index` of the array at `pointer`.
inline std::string pointer_index(const std::string& pointer, size_t index) {
  return pointer + "/" + std::to_string(index);
}

}  // namespace hwnas
