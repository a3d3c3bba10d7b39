// This file implements history.jsonl (see history.hpp).
#include "search/history.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>

#include <spdlog/spdlog.h>

#include "util/atomic_file.hpp"
#include "util/errors.hpp"

namespace hwnas {

namespace {

// The length of the complete lines of `text` (up to and including its last '\n').
size_t complete_length(const std::string& text) {
  const size_t last = text.rfind('\n');
  return last == std::string::npos ? 0 : last + 1;
}

// The integer `key` of a record: `fallback` when absent, nothing when present but not an
// int (a string, a fraction, beyond int's range): a hand-edited or foreign line must not
// reach nlohmann's conversions, which throw their own exception type or wrap around.
std::optional<int> int_field(const nlohmann::json& record, const char* key, int fallback) {
  const auto it = record.find(key);
  if (it == record.end()) return fallback;
  if (it->is_number_unsigned()) {
    const auto v = it->get<uint64_t>();
    return v <= uint64_t(std::numeric_limits<int>::max()) ? std::optional<int>(int(v)) : std::nullopt;
  }
  if (!it->is_number_integer()) return std::nullopt;
  const auto v = it->get<int64_t>();
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) return std::nullopt;
  return int(v);
}

}  // namespace

std::string history_timestamp(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(when);
  const auto day = floor<days>(ms);
  const year_month_day date(day);
  const hh_mm_ss time(ms - day);
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(date.year()), unsigned(date.month()),
                unsigned(date.day()), int(time.hours().count()), int(time.minutes().count()),
                int(time.seconds().count()), int(time.subseconds().count()));
  return text;
}

std::optional<double> parse_history_timestamp(const std::string& text) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, consumed = 0;
  double s = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &s, &consumed) != 6 ||
      size_t(consumed) + 1 != text.size() || text.back() != 'Z')
    return std::nullopt;
  const year_month_day date{year(y), month(unsigned(mo)), day(unsigned(d))};
  if (!date.ok() || h < 0 || h > 23 || mi < 0 || mi > 59 || !(s >= 0 && s < 61)) return std::nullopt;
  return double(sys_days(date).time_since_epoch() / seconds(1)) + h * 3600.0 + mi * 60.0 + s;
}

std::vector<nlohmann::json> read_history(const std::string& path) {
  std::vector<nlohmann::json> records;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return records;
  const std::string text = read_file_text(path);
  const size_t complete = complete_length(text);
  if (complete < text.size())
    spdlog::debug("{}: ignoring an incomplete last line (being written, or cut by a kill)", path);
  size_t line_number = 0;
  for (size_t begin = 0; begin < complete;) {
    const size_t end = text.find('\n', begin);
    ++line_number;
    nlohmann::json record = nlohmann::json::parse(text.begin() + std::ptrdiff_t(begin),
                                                  text.begin() + std::ptrdiff_t(end), nullptr, false);
    if (!record.is_object())
      throw UserError(path + ":" + std::to_string(line_number) + ": not a history record (expected one JSON object per line)");
    records.push_back(std::move(record));
    begin = end + 1;
  }
  return records;
}

HistoryRecords records_by_evaluation(const std::vector<nlohmann::json>& records, const std::string& path) {
  HistoryRecords by_key;
  for (size_t i = 0; i < records.size(); ++i) {
    const nlohmann::json& r = records[i];
    const std::optional<int> index = r.contains("index") ? int_field(r, "index", 0) : std::nullopt;
    const std::optional<int> rung = int_field(r, "rung", 0);
    if (!index || !rung)
      throw UserError(path + ":" + std::to_string(i + 1) + ": not a search record (expected an integer \"index\" and \"rung\")");
    by_key.emplace(std::pair{*index, *rung}, r);
  }
  return by_key;
}

std::map<std::string, nlohmann::json> latest_record_per_candidate(const std::vector<nlohmann::json>& records) {
  std::map<std::string, nlohmann::json> latest;
  for (const nlohmann::json& r : records) {
    const auto id = r.find("id");
    const std::optional<int> rung = int_field(r, "rung", 0);
    // Not a candidate's record: skipped, as records_by_evaluation would reject it.
    if (id == r.end() || !id->is_string() || !rung) continue;
    auto [it, inserted] = latest.emplace(id->get<std::string>(), r);
    if (!inserted && int_field(it->second, "rung", 0) <= rung) it->second = r;
  }
  return latest;
}

HistoryWriter::HistoryWriter(std::string path) : m_path(std::move(path)) {
  // Only the last byte says whether a line was cut: a long history is not read for it.
  std::ifstream in(m_path, std::ios::binary | std::ios::ate);
  if (!in || in.tellg() <= 0) return;
  in.seekg(-1, std::ios::end);
  if (in.get() == '\n') return;
  in.close();
  std::string text = read_file_text(m_path);
  const size_t complete = complete_length(text);
  if (complete == text.size()) return;
  spdlog::warn("{}: dropping an incomplete last line (the run was killed while writing it)", m_path);
  text.resize(complete);
  write_file_atomically(m_path, text);
}

void HistoryWriter::append(const nlohmann::json& record) {
  std::lock_guard<std::mutex> lock(m_mutex);
  append_line_durably(m_path, record.dump());
}

}  // namespace hwnas
