// This file implements history.jsonl (see history.hpp).
#include "search/history.hpp"

#include <filesystem>
#include <fstream>

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

}  // namespace

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
    const auto index = r.find("index");
    const auto rung = r.find("rung");
    if (index == r.end() || !index->is_number_integer() || (rung != r.end() && !rung->is_number_integer()))
      throw UserError(path + ":" + std::to_string(i + 1) + ": not a search record (expected an integer \"index\" and \"rung\")");
    by_key.emplace(std::pair{index->get<int>(), rung == r.end() ? 0 : rung->get<int>()}, r);
  }
  return by_key;
}

std::map<std::string, nlohmann::json> latest_record_per_candidate(const std::vector<nlohmann::json>& records) {
  std::map<std::string, nlohmann::json> latest;
  for (const nlohmann::json& r : records) {
    const auto id = r.find("id");
    if (id == r.end() || !id->is_string()) continue;
    const int rung = r.value("rung", 0);
    auto [it, inserted] = latest.emplace(id->get<std::string>(), r);
    if (!inserted && it->second.value("rung", 0) <= rung) it->second = r;
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
