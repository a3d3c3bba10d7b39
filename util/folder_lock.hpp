// This file implements FolderLock: one process at a time writes a run directory. Two
// `nas-run resume` of the same run (a job chain started twice, a user and a batch job)
// would each append to history.jsonl and replace the checkpoint under the other; the
// second one is refused instead. The lock is an flock() on a file inside the folder, so
// the kernel releases it when the holder exits, however it exits (kill -9 included), and
// a stale lock file never blocks anyone.
#pragma once

#include <string>

namespace hwnas {

class FolderLock {
 public:
  /// Locks `folder` (creating its lock file).
  /// @throws UserError naming the holder's process id when another process holds it,
  ///         EnvironmentError when the lock file cannot be created.
  explicit FolderLock(const std::string& folder);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

  /// The lock file's name inside the folder.
  static constexpr const char* kFileName = ".nas-run.lock";

 private:
  int m_fd = -1;
};

}  // namespace hwnas
