// This file implements the CSV dataset reader (see csv_reader.hpp): a line splitter that
// unquotes fields in place, the resolution of the label column from the header or an
// index, and strict number parsing with errors that point at line and column.
#include "trainers/data/csv_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "util/errors.hpp"

namespace hwnas {

namespace {

/// Opens the file and yields its non-blank lines split into fields.
class CsvLines {
 public:
  explicit CsvLines(const std::string& path) : m_path(path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw DataError(path, "cannot open: is a directory");
    errno = 0;
    m_in.open(path, std::ios::binary);
    if (!m_in) throw DataError(path, std::string("cannot open: ") + (errno ? std::strerror(errno) : "unknown error"));
  }

  /// The fields of the next non-blank line (views into an internal buffer, valid until the
  /// next call); false at the end of the file.
  bool next(std::vector<std::string_view>& fields) {
    while (std::getline(m_in, m_line)) {
      ++m_number;
      if (m_number == 1 && m_line.starts_with("\xEF\xBB\xBF")) m_line.erase(0, 3);  // BOM
      if (!m_line.empty() && m_line.back() == '\r') m_line.pop_back();
      if (m_line.find_first_not_of(" \t") == std::string::npos) continue;
      split(fields);
      return true;
    }
    if (m_in.bad()) throw DataError(m_path, "read failed after line " + std::to_string(m_number));
    return false;
  }

  size_t line() const { return m_number; }
  const std::string& path() const { return m_path; }

 private:
  // NOTE: a quoted field is unescaped in place ("" -> "), which never makes it longer,
  // so every field stays a view into m_line.
  void split(std::vector<std::string_view>& fields) {
    fields.clear();
    size_t pos = 0;
    while (true) {
      while (pos < m_line.size() && (m_line[pos] == ' ' || m_line[pos] == '\t')) ++pos;
      size_t end;
      if (pos < m_line.size() && m_line[pos] == '"') {
        end = unquote(pos, fields);
      } else {
        end = std::min(m_line.find(',', pos), m_line.size());
        fields.emplace_back(m_line.data() + pos, end - pos);
      }
      if (end >= m_line.size()) return;
      pos = end + 1;
    }
  }

  /// Unquotes the field opening at `open`; returns the index of the comma after it (or the
  /// line's end).
  size_t unquote(size_t open, std::vector<std::string_view>& fields) {
    size_t read = open + 1, write = open;
    while (true) {
      if (read >= m_line.size()) fail_at(fields.size(), "unterminated quoted field");
      if (m_line[read] == '"') {
        if (read + 1 < m_line.size() && m_line[read + 1] == '"') {
          m_line[write++] = '"';
          read += 2;
          continue;
        }
        ++read;
        break;
      }
      m_line[write++] = m_line[read++];
    }
    fields.emplace_back(m_line.data() + open, write - open);
    while (read < m_line.size() && (m_line[read] == ' ' || m_line[read] == '\t')) ++read;
    if (read < m_line.size() && m_line[read] != ',') fail_at(fields.size() - 1, "text after a closing quote");
    return read;
  }

  [[noreturn]] void fail_at(size_t column, const std::string& what) const {
    throw DataError(m_path, "line " + std::to_string(m_number) + ", column " +
                                std::to_string(column + 1) + ": " + what);
  }

  std::string m_path;
  std::ifstream m_in;
  std::string m_line;
  size_t m_number = 0;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Columns of the file: how many, which holds the label, and their names (if a header).
struct CsvLayout {
  size_t columns = 0;
  size_t label = 0;
  std::vector<std::string> names;

  std::string column_text(size_t column) const {
    std::string text = "column " + std::to_string(column + 1);
    return names.empty() ? text : text + " (\"" + names[column] + "\")";
  }
};

size_t label_column(const CsvLayout& layout, const CsvOptions& options, const std::string& path) {
  if (!options.label_name.empty()) {
    if (layout.names.empty()) {
      throw DataError(path, "label column \"" + options.label_name + "\" given by name, but the file has no header");
    }
    for (size_t i = 0; i < layout.names.size(); ++i)
      if (layout.names[i] == options.label_name) return i;
    std::string known;
    for (size_t i = 0; i < layout.names.size() && i < 8; ++i) known += (i ? ", " : "") + layout.names[i];
    if (layout.names.size() > 8) known += ", ...";
    throw DataError(path, "no column named \"" + options.label_name + "\" in the header (" + known + ")");
  }
  if (options.label_index < 0) return layout.columns - 1;
  if (size_t(options.label_index) >= layout.columns) {
    throw DataError(path, "label column index " + std::to_string(options.label_index) +
                              " is beyond the file's " + std::to_string(layout.columns) +
                              " columns (indices count from 0)");
  }
  return size_t(options.label_index);
}

/// Reads the header (if any) and fixes the layout from the first row.
CsvLayout read_layout(CsvLines& lines, const CsvOptions& options, std::vector<std::string_view>& fields) {
  CsvLayout layout;
  if (!lines.next(fields)) throw DataError(lines.path(), "no rows: the file is empty");
  layout.columns = fields.size();
  if (options.header) {
    for (std::string_view f : fields) layout.names.emplace_back(trim(f));
  }
  if (layout.columns < 2) {
    throw DataError(lines.path(), "line " + std::to_string(lines.line()) + " has " +
                                      std::to_string(layout.columns) + " column, expected features and a label");
  }
  if (layout.columns - 1 > kMaxCsvFeatures) {
    throw DataError(lines.path(), "line " + std::to_string(lines.line()) + " has " +
                                      std::to_string(layout.columns - 1) + " features, more than the limit of " +
                                      std::to_string(kMaxCsvFeatures));
  }
  layout.label = label_column(layout, options, lines.path());
  return layout;
}

[[noreturn]] void fail_field(const CsvLines& lines, const CsvLayout& layout, size_t column,
                             std::string_view field, const std::string& expected) {
  std::string found = field.empty() ? "an empty field" : "\"" + std::string(field.substr(0, 40)) + "\"";
  if (field.size() > 40) found.insert(found.size() - 1, "...");
  throw DataError(lines.path(), "line " + std::to_string(lines.line()) + ", " + layout.column_text(column) +
                                    ": expected " + expected + ", found " + found);
}

float parse_feature(const CsvLines& lines, const CsvLayout& layout, size_t column, std::string_view raw) {
  const std::string_view text = trim(raw);
  std::string_view digits = text.starts_with('+') ? text.substr(1) : text;
  double value = 0.0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  const bool whole = ec == std::errc() && end == digits.data() + digits.size() && !digits.empty();
  if (!whole || !std::isfinite(float(value))) fail_field(lines, layout, column, text, "a finite number");
  return float(value);
}

int32_t parse_label(const CsvLines& lines, const CsvLayout& layout, std::string_view raw) {
  const std::string_view text = trim(raw);
  std::string_view digits = text.starts_with('+') ? text.substr(1) : text;
  int64_t value = -1;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  const bool whole = ec == std::errc() && end == digits.data() + digits.size() && !digits.empty();
  if (!whole || value < 0 || value >= kMaxDatasetClasses) {
    fail_field(lines, layout, layout.label, text,
               "an integer label from 0 to " + std::to_string(kMaxDatasetClasses - 1));
  }
  return int32_t(value);
}

void check_columns(const CsvLines& lines, const CsvLayout& layout, size_t found) {
  if (found != layout.columns) {
    throw DataError(lines.path(), "line " + std::to_string(lines.line()) + " has " + std::to_string(found) +
                                      " columns, expected " + std::to_string(layout.columns) +
                                      " as the first line");
  }
}

/// Parses every data row; the features only when `x` is not null.
std::vector<int32_t> read_rows(CsvLines& lines, const CsvOptions& options, CsvLayout& layout,
                               std::vector<float>* x) {
  std::vector<std::string_view> fields;
  layout = read_layout(lines, options, fields);
  std::vector<int32_t> y;
  bool have_row = !options.header;  // without a header, the first line is data
  while (have_row || lines.next(fields)) {
    have_row = false;
    check_columns(lines, layout, fields.size());
    y.push_back(parse_label(lines, layout, fields[layout.label]));
    if (!x) continue;
    for (size_t c = 0; c < fields.size(); ++c) {
      if (c != layout.label) x->push_back(parse_feature(lines, layout, c, fields[c]));
    }
  }
  if (y.empty()) throw DataError(lines.path(), "no data rows after the header");
  return y;
}

}  // namespace

Dataset read_csv_dataset(const std::string& path, const CsvOptions& options) {
  CsvLines lines(path);
  CsvLayout layout;
  std::vector<float> x;
  Dataset data;
  data.y = read_rows(lines, options, layout, &x);
  const size_t features = layout.columns - 1;
  data.sample_shape = TensorShape{1, 1, int(features)};
  data.x = Eigen::Map<const RowMatrix>(x.data(), Eigen::Index(data.y.size()), Eigen::Index(features));
  return data;
}

CsvLabelScan scan_csv_labels(const std::string& path, const CsvOptions& options) {
  CsvLines lines(path);
  CsvLayout layout;
  CsvLabelScan scan;
  scan.labels = read_rows(lines, options, layout, nullptr);
  scan.features = layout.columns - 1;
  return scan;
}

}  // namespace hwnas
