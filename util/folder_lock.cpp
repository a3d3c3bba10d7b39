// This file implements FolderLock (see folder_lock.hpp) with flock(2).
#include "util/folder_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "util/errors.hpp"

namespace hwnas {

FolderLock::FolderLock(const std::string& folder) {
  const std::string path = folder + "/" + kFileName;
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_fd < 0) throw EnvironmentError(path + ": cannot create the lock file: " + std::strerror(errno));
  if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    // The holder wrote its process id; read it for the message (best effort).
    char holder[32] = {};
    const ssize_t n = ::pread(m_fd, holder, sizeof holder - 1, 0);
    ::close(m_fd);
    m_fd = -1;
    if (error == EWOULDBLOCK)
      throw UserError(folder + ": another nas-run" + (n > 0 ? " (process " + std::string(holder, size_t(n)) + ")" : "") +
                      " is writing this run directory; wait for it to end, or stop it first");
    throw EnvironmentError(path + ": cannot lock: " + std::strerror(error));
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(m_fd, 0) == 0 && ::pwrite(m_fd, pid.data(), pid.size(), 0) < 0) {
    // The process id is only for the message of a refused second process.
  }
}

FolderLock::~FolderLock() {
  if (m_fd >= 0) ::close(m_fd);  // closing releases the flock
}

}  // namespace hwnas
