// This file implements reading the measurements CSV of latency calibration (see
// calibration.hpp; the format is in docs/calibration.md): an RFC 4180 reader (quoted fields
// may hold commas, doubled quotes and line breaks) that keeps each record's line number, the
// column checks, and turning each used row into the features of what it measured.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "estimators/calibration.hpp"
#include "space/arch_json.hpp"
#include "util/errors.hpp"

namespace hwnas {

namespace {

const std::vector<std::string>& known_columns() {
  static const std::vector<std::string> columns = {"row_id",  "network", "arch",  "layer", "mcu",
                                                   "core",    "clock_mhz", "cycles", "latency_ms", "runtime",
                                                   "trust",   "use",     "why",   "source", "note"};
  return columns;
}

struct CsvRecord {
  int line = 0;  // where the record starts (1-based)
  std::vector<std::string> fields;
};

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Splits `text` into records. Unquoted fields are trimmed; quoted ones are kept as written.
std::vector<CsvRecord> parse_csv(const std::string& text, const std::string& file) {
  std::vector<CsvRecord> records;
  CsvRecord record{1, {}};
  std::string field;
  bool quoted = false, in_quotes = false, after_quote = false;
  int line = 1;
  auto end_field = [&] {
    record.fields.push_back(quoted ? field : trim(field));
    field.clear();
    quoted = after_quote = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_quotes) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') field += text[++i];
      else if (ch == '"') in_quotes = false, after_quote = true;
      else field += ch, line += ch == '\n';
    } else if (ch == ',') {
      end_field();
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_field();
      if (!(record.fields.size() == 1 && record.fields[0].empty() && !quoted)) records.push_back(record);
      record = CsvRecord{++line, {}};
    } else if (ch == '"' && trim(field).empty() && !after_quote) {
      field.clear();
      quoted = in_quotes = true;
    } else if (after_quote && ch != ' ' && ch != '\t') {
      throw UserError(file + ": line " + std::to_string(line) + ": text after a closing quote (write \"\" for a quote)");
    } else if (!after_quote) {
      field += ch;
    }
  }
  if (in_quotes) throw UserError(file + ": line " + std::to_string(record.line) + ": quoted field not closed");
  end_field();
  if (!(record.fields.size() == 1 && record.fields[0].empty())) records.push_back(record);
  return records;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(path + ": cannot open file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// An architecture with its deploy graph (which knows the op each IR layer ends up in).
struct LoadedArch {
  Architecture arch;
  DeployGraph graph;
  explicit LoadedArch(Architecture a) : arch(std::move(a)), graph(arch) {}
};

// Reads the rows of one file, with the header's column positions and helpful errors.
class MeasurementReader {
 public:
  MeasurementReader(std::string file, const McuSpec& mcu, const RuntimeProfile& profile)
      : m_file(std::move(file)), m_mcu(mcu), m_profile(profile),
        m_base(std::filesystem::path(m_file).parent_path()), m_boards(McuDatabase::builtin()) {}

  void read_header(const CsvRecord& header);
  void read_row(const CsvRecord& row, MeasurementSet& out);

 private:
  [[noreturn]] void fail(int line, const std::string& column, const std::string& expected,
                         const std::string& found) const {
    throw UserError(m_file + ": line " + std::to_string(line) + ", column '" + column + "': expected " + expected +
                    (found.empty() ? "" : ", found " + found));
  }
  std::string get(const CsvRecord& row, const std::string& column) const {
    auto it = m_columns.find(column);
    return it == m_columns.end() ? "" : row.fields[it->second];
  }
  double positive(const CsvRecord& row, const std::string& column) const;
  bool use_flag(const CsvRecord& row) const;
  const LoadedArch& arch(const CsvRecord& row);
  double measured_cycles(const CsvRecord& row, const McuSpec& board) const;
  const McuSpec& row_board(const CsvRecord& row) const;

  std::string m_file;
  const McuSpec& m_mcu;
  const RuntimeProfile& m_profile;
  std::filesystem::path m_base;
  std::map<std::string, size_t> m_columns;
  McuDatabase m_boards;
  std::map<std::string, std::unique_ptr<LoadedArch>> m_archs;  // by resolved path
};

void MeasurementReader::read_header(const CsvRecord& header) {
  std::string known;
  for (const auto& c : known_columns()) known += (known.empty() ? "" : ", ") + c;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    const std::string& name = header.fields[i];
    bool ok = false;
    for (const auto& c : known_columns()) ok = ok || c == name;
    const std::string where = m_file + ": line " + std::to_string(header.line) + ", column " + std::to_string(i + 1);
    if (!ok) throw UserError(where + ": unknown column name \"" + name + "\" (known: " + known + ")");
    if (!m_columns.emplace(name, i).second) throw UserError(where + ": column \"" + name + "\" appears twice");
  }
  const std::string where = m_file + ": line " + std::to_string(header.line);
  if (!m_columns.count("arch")) throw UserError(where + ": the header has no 'arch' column (required)");
  if (!m_columns.count("cycles") && !m_columns.count("latency_ms"))
    throw UserError(where + ": the header needs a 'cycles' or a 'latency_ms' column");
}

double MeasurementReader::positive(const CsvRecord& row, const std::string& column) const {
  const std::string text = get(row, column);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v <= 0)
    fail(row.line, column, "a positive number", "\"" + text + "\"");
  return v;
}

bool MeasurementReader::use_flag(const CsvRecord& row) const {
  const std::string v = get(row, "use");
  if (v.empty() || v == "1" || v == "yes" || v == "true") return true;
  if (v == "0" || v == "no" || v == "false") return false;
  fail(row.line, "use", "1/yes/true, 0/no/false or empty", "\"" + v + "\"");
}

const LoadedArch& MeasurementReader::arch(const CsvRecord& row) {
  const std::string name = get(row, "arch");
  if (name.empty()) fail(row.line, "arch", "the path of an arch.json (relative to the CSV's folder)", "");
  std::filesystem::path path(name);
  if (path.is_relative()) path = m_base / path;
  auto& slot = m_archs[path.lexically_normal().string()];
  if (!slot) {
    try {
      slot = std::make_unique<LoadedArch>(load_architecture(path.string()));
    } catch (const UserError& e) {
      throw UserError(m_file + ": line " + std::to_string(row.line) + ", column 'arch': " + e.what());
    }
  }
  return *slot;
}

// The board the row was measured on where the database knows it, else the --mcu board.
const McuSpec& MeasurementReader::row_board(const CsvRecord& row) const {
  const std::string name = get(row, "mcu");
  const McuSpec* known = name.empty() ? nullptr : m_boards.find(name);
  const std::string core = get(row, "core");
  if (!core.empty() && std::find(known_cores().begin(), known_cores().end(), core) == known_cores().end())
    fail(row.line, "core", "a core family (" + known_cores_list() + ") or empty", "\"" + core + "\"");
  if (known && !core.empty() && core != known->core)
    fail(row.line, "core", "the core of board " + name + " (\"" + known->core + "\") or empty", "\"" + core + "\"");
  return known ? *known : m_mcu;
}

double MeasurementReader::measured_cycles(const CsvRecord& row, const McuSpec& board) const {
  const bool has_clock = !get(row, "clock_mhz").empty();
  const double clock = has_clock ? positive(row, "clock_mhz") : board.clock_mhz;
  if (!get(row, "cycles").empty()) return positive(row, "cycles");
  if (!get(row, "latency_ms").empty()) return positive(row, "latency_ms") * clock * 1000;
  fail(row.line, m_columns.count("cycles") ? "cycles" : "latency_ms", "a value in 'cycles' or in 'latency_ms'",
       "neither");
}

void MeasurementReader::read_row(const CsvRecord& row, MeasurementSet& out) {
  if (row.fields.size() != m_columns.size())
    throw UserError(m_file + ": line " + std::to_string(row.line) + ": expected " + std::to_string(m_columns.size()) +
                    " fields as in the header, found " + std::to_string(row.fields.size()));
  const McuSpec& board = row_board(row);
  if (!use_flag(row)) return void(++out.skipped_unused);  // may lack a value: the why column says so
  const double cycles = measured_cycles(row, board);
  const std::string core = get(row, "core").empty() && &board != &m_mcu ? board.core : get(row, "core");
  if (!core.empty() && core != m_mcu.core) return void(++out.skipped_core);
  const std::string runtime = get(row, "runtime");
  if (!runtime.empty() && runtime != m_profile.name) return void(++out.skipped_runtime);

  const LoadedArch& a = arch(row);
  const bool reshape_copies = !m_profile.in_place.reshape_in_place;
  CalibrationSample s;
  s.row_id = get(row, "row_id").empty() ? "line " + std::to_string(row.line) : get(row, "row_id");
  s.cycles = cycles;
  s.network = get(row, "network").empty() ? get(row, "arch") : get(row, "network");
  s.mcu = get(row, "mcu");
  s.layer = get(row, "layer");
  if (s.layer.empty()) {
    s.features = network_latency_features(a.graph, board.flash_wait_states, reshape_copies);
  } else {
    size_t index = 0;
    while (index < a.arch.size() && a.arch.layer(index).name != s.layer) ++index;
    if (index == a.arch.size())
      fail(row.line, "layer", "a layer name of " + get(row, "arch") + " or empty (whole network)",
           "\"" + s.layer + "\", which is not a layer of that architecture");
    const DeployOp& op = a.graph.ops()[size_t(a.graph.op_of_layer(index))];
    s.features = op_latency_features(op, board.flash_wait_states, reshape_copies);
  }
  out.samples.push_back(std::move(s));
}

}  // namespace

MeasurementSet read_measurements_csv(const std::string& path, const McuSpec& mcu, const RuntimeProfile& profile) {
  std::string text = read_text_file(path);
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // the UTF-8 BOM spreadsheets write
  const std::vector<CsvRecord> records = parse_csv(text, path);
  if (records.empty()) throw UserError(path + ": empty file (a header row is required)");
  MeasurementSet set;
  set.file = path;
  MeasurementReader reader(path, mcu, profile);
  reader.read_header(records[0]);
  for (size_t i = 1; i < records.size(); ++i) reader.read_row(records[i], set);
  return set;
}

}  // namespace hwnas
