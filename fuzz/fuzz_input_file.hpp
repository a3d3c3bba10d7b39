// This file implements FuzzInputFile: most parsers take a path, not bytes, so each fuzz
// input is written to a file of the fuzzing process's own before the parser reads it.
// The file lives in memory (/dev/shm where there is one): a fuzzer writes it millions of
// times, and parallel fuzz runs (ctest -j) must never share it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace hwnas::fuzz {

class FuzzInputFile {
 public:
  /// `name` is the file's name inside this process's folder (its extension matters to
  /// readers that choose a format by it).
  explicit FuzzInputFile(const std::string& name);
  ~FuzzInputFile();
  FuzzInputFile(const FuzzInputFile&) = delete;
  FuzzInputFile& operator=(const FuzzInputFile&) = delete;

  /// Replaces the file's content with the fuzz input and returns its path.
  const std::string& write(const uint8_t* data, size_t size);
  /// The process's folder, for targets whose inputs name files relative to it.
  const std::filesystem::path& folder() const { return m_folder; }

 private:
  std::filesystem::path m_folder;
  std::string m_path;
};

/// The repository's root, for seeds that refer to shipped files (configs/archs/...).
std::filesystem::path source_dir();

}  // namespace hwnas::fuzz
