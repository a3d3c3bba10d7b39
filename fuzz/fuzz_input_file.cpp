// This file implements FuzzInputFile (see the header).
#include "fuzz/fuzz_input_file.hpp"

#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <system_error>

namespace hwnas::fuzz {

namespace {

std::filesystem::path scratch_root() {
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec)) return "/dev/shm";
  return std::filesystem::temp_directory_path();
}

}  // namespace

FuzzInputFile::FuzzInputFile(const std::string& name)
    : m_folder(scratch_root() / ("hwnas-fuzz-" + std::to_string(getpid()))) {
  std::filesystem::create_directories(m_folder);
  m_path = (m_folder / name).string();
}

FuzzInputFile::~FuzzInputFile() {
  // A crash skips this; the folder then names the process that left it.
  std::error_code ec;
  std::filesystem::remove_all(m_folder, ec);
}

const std::string& FuzzInputFile::write(const uint8_t* data, size_t size) {
  // The harness, not the parser, failing here would read as a finding: fail loudly instead.
  std::FILE* f = std::fopen(m_path.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error("fuzz harness: cannot write " + m_path);
  const bool complete = size == 0 || std::fwrite(data, 1, size, f) == size;
  if (std::fclose(f) != 0 || !complete) throw std::runtime_error("fuzz harness: cannot write " + m_path);
  return m_path;
}

std::filesystem::path source_dir() { return HWNAS_SOURCE_DIR; }

}  // namespace hwnas::fuzz
