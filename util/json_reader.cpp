// This file implements the strict JSON reader (see json_reader.hpp).
#include "util/json_reader.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace hwnas {

namespace {

std::string escape_pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

std::string range_text(double min, double max, const char* kind) {
  std::ostringstream s;
  s.precision(15);  // integer bounds such as 1048576 print exactly, not as 1.04858e+06
  s << kind;
  const bool has_min = std::isfinite(min) && min > -9.0e18;
  const bool has_max = std::isfinite(max) && max < 9.0e18;
  if (has_min && has_max) s << " in [" << min << ", " << max << "]";
  else if (has_min) s << " >= " << min;
  else if (has_max) s << " <= " << max;
  return s.str();
}

}  // namespace

std::string describe_json(const nlohmann::json& value) {
  std::string text;
  switch (value.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array of " + std::to_string(value.size());
    // dump() escapes control characters, so none reaches the terminal raw.
    case nlohmann::json::value_t::string: text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); break;
    default: text = value.dump(); break;
  }
  if (text.size() > 48) text = text.substr(0, 45) + "...";
  return text;
}

nlohmann::json read_json_file(const std::string& path) {
  // A path to a device or a huge file must not be read until memory runs out.
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw UserError(path + ": cannot open file");
  if (!std::filesystem::is_regular_file(status)) throw UserError(path + ": not a regular file (expected a JSON file)");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw UserError(path + ": cannot read the file size (" + ec.message() + ")");
  if (size > kMaxJsonFileBytes)
    throw UserError(path + ": " + std::to_string(size) + " bytes; a JSON input may have at most " +
                    std::to_string(kMaxJsonFileBytes >> 20) + " MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(path + ": cannot open file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_json_text(buffer.str(), path);
}

namespace {

// Where the parser is, for the errors the parse callback raises: each open object with
// its current key, each open array with its current index.
struct ParseLevel {
  bool object = true;
  std::string key;
  int64_t index = -1;
  std::set<std::string> keys;  ///< an object's keys so far
};

std::string pointer_of(const std::vector<ParseLevel>& levels, size_t count) {
  std::string pointer;
  for (size_t i = 0; i < count; ++i)
    pointer += "/" + (levels[i].object ? escape_pointer_token(levels[i].key) : std::to_string(levels[i].index));
  return pointer;
}

}  // namespace

nlohmann::json parse_json_text(const std::string& text, const std::string& path) {
  using Event = nlohmann::json::parse_event_t;
  std::vector<ParseLevel> levels;
  const auto element_begins = [&] {
    if (!levels.empty() && !levels.back().object) ++levels.back().index;
  };
  const auto open = [&](bool object) {
    element_begins();
    if (levels.size() >= size_t(kMaxJsonDepth))
      throw ConfigError(path, pointer_of(levels, levels.size()),
                        "JSON nested at most " + std::to_string(kMaxJsonDepth) + " levels deep", "deeper nesting");
    levels.push_back({object, "", -1, {}});
  };
  // Rejects duplicate keys (nlohmann keeps the last silently) and nesting beyond the
  // limit, before the document is built.
  const nlohmann::json::parser_callback_t check = [&](int, Event event, nlohmann::json& parsed) {
    switch (event) {
      case Event::object_start: open(true); break;
      case Event::array_start: open(false); break;
      case Event::object_end:
      case Event::array_end: levels.pop_back(); break;
      case Event::key: {
        ParseLevel& level = levels.back();
        const std::string key = parsed.get<std::string>();
        if (!level.keys.insert(key).second)
          throw ConfigError(path, pointer_of(levels, levels.size() - 1) + "/" + escape_pointer_token(key),
                            "each key once in an object", "it a second time");
        level.key = key;
        break;
      }
      case Event::value: element_begins(); break;
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text, check);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at ..."
    std::string what = e.what();
    const auto pos = what.find("] ");
    throw ConfigError(path, "", "valid JSON",
                      pos == std::string::npos ? what : what.substr(pos + 2));
  } catch (const nlohmann::json::out_of_range& e) {  // e.g. 1e400: "number overflow parsing '1e400'"
    std::string what = e.what();
    const auto pos = what.find("] ");
    throw ConfigError(path, pointer_of(levels, levels.size()), "numbers within the range of a double",
                      pos == std::string::npos ? what : what.substr(pos + 2));
  }
}

JsonReader::JsonReader(const nlohmann::json& value, std::string file, std::string pointer)
    : m_value(&value), m_file(std::move(file)), m_pointer(std::move(pointer)) {
  if (!value.is_object()) throw ConfigError(m_file, m_pointer, "an object", describe_json(value));
}

std::string JsonReader::pointer_of(const std::string& key) const {
  return m_pointer + "/" + escape_pointer_token(key);
}

bool JsonReader::has(const std::string& key) const { return m_value->contains(key); }

void JsonReader::fail(const std::string& key, const std::string& expected) const {
  if (key.empty()) throw ConfigError(m_file, m_pointer, expected, "");
  const std::string found = has(key) ? describe_json((*m_value)[key]) : "nothing (missing key)";
  throw ConfigError(m_file, pointer_of(key), expected, found);
}

const nlohmann::json& JsonReader::at(const std::string& key) {
  m_known.insert(key);
  auto it = m_value->find(key);
  if (it == m_value->end()) throw ConfigError(m_file, pointer_of(key), "a value (required key)", "nothing");
  return *it;
}

const nlohmann::json& JsonReader::raw(const std::string& key) { return at(key); }

std::string JsonReader::get_string(const std::string& key) {
  const auto& v = at(key);
  if (!v.is_string()) fail(key, "a string");
  return v.get<std::string>();
}

std::string JsonReader::get_enum(const std::string& key, const std::vector<std::string>& allowed) {
  const auto& v = at(key);
  const std::string expected = "one of " + join(allowed, ", ");
  if (!v.is_string()) fail(key, expected);
  const auto s = v.get<std::string>();
  for (const auto& a : allowed)
    if (a == s) return s;
  fail(key, expected);
}

int64_t JsonReader::get_int(const std::string& key, int64_t min, int64_t max) {
  const auto& v = at(key);
  const std::string expected = range_text(double(min), double(max), "an integer");
  if (!v.is_number_integer()) {
    // Accept 3.0 but not 3.5: users write numbers, not types.
    if (!v.is_number_float() || std::floor(v.get<double>()) != v.get<double>() ||
        std::fabs(v.get<double>()) > 9.0e15)
      fail(key, expected);
  }
  const int64_t x = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)
                        ? INT64_MAX
                        : (v.is_number_integer() ? v.get<int64_t>() : int64_t(v.get<double>()));
  if (x < min || x > max) fail(key, expected);
  return x;
}

double JsonReader::get_double(const std::string& key, double min, double max) {
  const auto& v = at(key);
  const std::string expected = range_text(min, max, "a number");
  if (!v.is_number()) fail(key, expected);
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < min || x > max) fail(key, expected);
  return x;
}

bool JsonReader::get_bool(const std::string& key) {
  const auto& v = at(key);
  if (!v.is_boolean()) fail(key, "true or false");
  return v.get<bool>();
}

std::vector<int64_t> JsonReader::get_int_list(const std::string& key, size_t min_size,
                                              size_t max_size, int64_t min, int64_t max) {
  const auto& v = at(key);
  std::string expected = "an array of " +
                         (min_size == max_size ? std::to_string(min_size)
                                               : std::to_string(min_size) + " to " + std::to_string(max_size)) +
                         " " + range_text(double(min), double(max), "integers");
  if (!v.is_array() || v.size() < min_size || v.size() > max_size) fail(key, expected);
  std::vector<int64_t> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const auto& e = v[i];
    if (!e.is_number_integer() || e.get<int64_t>() < min || e.get<int64_t>() > max)
      throw ConfigError(m_file, pointer_index(pointer_of(key), i),
                        range_text(double(min), double(max), "an integer"), describe_json(e));
    out.push_back(e.get<int64_t>());
  }
  return out;
}

std::string JsonReader::get_string_or(const std::string& key, const std::string& fallback) {
  m_known.insert(key);
  return has(key) ? get_string(key) : fallback;
}

std::string JsonReader::get_enum_or(const std::string& key, const std::vector<std::string>& allowed,
                                    const std::string& fallback) {
  m_known.insert(key);
  return has(key) ? get_enum(key, allowed) : fallback;
}

int64_t JsonReader::get_int_or(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  m_known.insert(key);
  return has(key) ? get_int(key, min, max) : fallback;
}

double JsonReader::get_double_or(const std::string& key, double fallback, double min, double max) {
  m_known.insert(key);
  return has(key) ? get_double(key, min, max) : fallback;
}

bool JsonReader::get_bool_or(const std::string& key, bool fallback) {
  m_known.insert(key);
  return has(key) ? get_bool(key) : fallback;
}

JsonReader JsonReader::child(const std::string& key) {
  return JsonReader(at(key), m_file, pointer_of(key));
}

const nlohmann::json& JsonReader::get_array(const std::string& key, size_t min_size, size_t max_size) {
  const auto& v = at(key);
  if (!v.is_array() || v.size() < min_size || v.size() > max_size) {
    std::string expected = "an array";
    if (min_size > 0 && max_size == std::numeric_limits<size_t>::max())
      expected += " of at least " + std::to_string(min_size) + " element" + (min_size > 1 ? "s" : "");
    else if (max_size != std::numeric_limits<size_t>::max())
      expected += " of " + std::to_string(min_size) + " to " + std::to_string(max_size) + " elements";
    fail(key, expected);
  }
  return v;
}

void JsonReader::finish() const {
  for (auto it = m_value->begin(); it != m_value->end(); ++it) {
    if (m_known.count(it.key()) || is_comment_key(it.key())) continue;
    std::vector<std::string> known(m_known.begin(), m_known.end());
    throw ConfigError(m_file, pointer_of(it.key()),
                      "no such key (known keys here: " + join(known, ", ") + ")",
                      "unknown key \"" + it.key() + "\"");
  }
}

}  // namespace hwnas
