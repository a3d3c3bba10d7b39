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

[[noreturn]] void io_fail(const std::string& path, const char* what) {
  throw UserError(path + ": " + what + ": " + std::strerror(errno));
}

void write_all(int fd, const std::string& path, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      io_fail(path, "write failed");
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

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) io_fail(tmp, "cannot create");
  try {
    write_all(fd, tmp, content);
    if (::fsync(fd) != 0) io_fail(tmp, "fsync failed");
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
    io_fail(path, "rename failed");
  }
  fsync_directory_of(path);
}

std::string read_file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) io_fail(path, "cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) io_fail(path, "read failed");
  return text.str();
}

void append_line_durably(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) io_fail(path, "cannot open for append");
  write_all(fd, path, line + "\n");
  if (::fsync(fd) != 0) {
    ::close(fd);
    io_fail(path, "fsync failed");
  }
  ::close(fd);
}

}  // namespace hwnas
