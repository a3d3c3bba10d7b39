// This file implements the run directory (see run_directory.hpp).
#include "search/run_directory.hpp"

#include <filesystem>

#include "util/atomic_file.hpp"
#include "util/errors.hpp"

namespace hwnas {

namespace fs = std::filesystem;

namespace {

bool usable(const fs::path& p) {
  std::error_code ec;
  if (!fs::exists(p, ec)) return true;
  return fs::is_directory(p, ec) && fs::is_empty(p, ec);
}

}  // namespace

RunDirectory RunDirectory::create(const OutputConfig& output) {
  fs::path dir = output.dir;
  if (!usable(dir)) {
    if (output.if_exists == IfExists::kFail)
      throw UserError(output.dir + ": run directory exists and is not empty (choose another --out, "
                      "or set output.if_exists to \"increment\")");
    for (int n = 2;; ++n) {
      dir = output.dir + "-" + std::to_string(n);
      if (usable(dir)) break;
      if (n > 100000) throw UserError(output.dir + ": no free run directory name");
    }
  }
  create_folders(dir.string());
  RunDirectory created(fs::absolute(dir).lexically_normal().string());
  created.m_lock = std::make_unique<FolderLock>(created.m_path);
  return created;
}

RunDirectory RunDirectory::open(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) throw UserError(path + ": not a run directory (it does not exist)");
  if (!fs::exists(fs::path(path) / "checkpoint.json", ec))
    throw UserError(path + ": not a resumable run directory (no checkpoint.json)");
  return RunDirectory(fs::absolute(path).lexically_normal().string());
}

RunDirectory RunDirectory::open_for_writing(const std::string& path) {
  RunDirectory dir = open(path);
  dir.m_lock = std::make_unique<FolderLock>(dir.m_path);
  return dir;
}

std::string RunDirectory::file(const std::string& name) const { return (fs::path(m_path) / name).string(); }

void RunDirectory::write_json(const std::string& name, const nlohmann::json& value) const {
  write_file_atomically(file(name), value.dump(2) + "\n");
}

std::string RunDirectory::model_dir(const std::string& identity) const {
  const fs::path dir = fs::path(m_path) / "models" / identity;
  create_folders(dir.string());
  return dir.string();
}

}  // namespace hwnas
