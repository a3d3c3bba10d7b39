// This file implements atomic file replacement and durable appends (POSIX).
#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/errors.hpp"

namespace hwnas {

namespace {

// Writing fails because of the machine (a full disk, a read-only or unwritable folder), not
// because of anything the user gave us: the run stops and resumes once the cause is gone.
[[noreturn]] void write_fail(const std::string& path, const char* what) {
  throw EnvironmentError(path + ": " + what + ": " + std::strerror(errno));
}

[[noreturn]] void read_fail(const std::string& path, const char* what) {
  throw UserError(path + ": " + what + ": " + std::strerror(errno));
}

void write_all(int fd, const std::string& path, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      write_fail(path, "write failed");
    }
    done += size_t(n);
  }
}

void fsync_directory_of(const std::string& path) {
  auto dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: some filesystems do not allow it
  ::fsync(fd);
  ::close(fd);
}

constexpr const char* kTemporaryInfix = ".tmp.";

// "<name>.tmp.<pid>": the name write_file_atomically gives its temporary.
bool is_temporary_name(const std::string& name) {
  const size_t at = name.rfind(kTemporaryInfix);
  if (at == std::string::npos || at == 0) return false;
  const size_t digits = at + std::strlen(kTemporaryInfix);
  return digits < name.size() && name.find_first_not_of("0123456789", digits) == std::string::npos;
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + kTemporaryInfix + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  // Errors name the file the user knows, not its temporary.
  if (fd < 0) write_fail(path, "cannot create");
  try {
    write_all(fd, path, content);
    if (::fsync(fd) != 0) write_fail(path, "fsync failed");
  } catch (...) {  // leave no half-written temporary behind
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    errno = error;
    write_fail(path, "rename failed");
  }
  fsync_directory_of(path);
}

int remove_abandoned_temporaries(const std::string& folder) {
  namespace fs = std::filesystem;
  std::error_code ec;
  int removed = 0;
  for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec) && is_temporary_name(it->path().filename().string()) && fs::remove(it->path(), ec))
      ++removed;
  return removed;
}

void create_folders(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec == std::errc::not_a_directory || ec == std::errc::file_exists)
    throw UserError(path + ": cannot create the folder: " + ec.message() + " (a part of the path is a file)");
  if (ec) throw EnvironmentError(path + ": cannot create the folder: " + ec.message());
}

std::string read_file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) read_fail(path, "cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) read_fail(path, "read failed");
  return text.str();
}

void append_line_durably(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) write_fail(path, "cannot open for append");
  const off_t before = ::lseek(fd, 0, SEEK_END);
  try {
    write_all(fd, path, line + "\n");
    if (::fsync(fd) != 0) write_fail(path, "fsync failed");
  } catch (...) {
    // A full disk can take part of the line: cut it off again, so that the file keeps
    // only whole records and a resumed run appends after the last good one.
    const int error = errno;
    if (before >= 0 && ::ftruncate(fd, before) == 0) ::fsync(fd);
    ::close(fd);
    errno = error;
    throw;
  }
  ::close(fd);
}

}  // namespace hwnas
