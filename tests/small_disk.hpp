// This file implements SmallDisk, a size-limited tmpfs mounted for one test, so that a
// run meets a really full (or read-only) file system instead of a simulated one. Mounting
// needs root (CAP_SYS_ADMIN), which the suite has in CI; without it the test fails and
// says so rather than pretending.
#pragma once

#include <doctest/doctest.h>

#include <sys/statvfs.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "tests/test_support.hpp"

namespace hwnas::test {

class SmallDisk {
 public:
  SmallDisk(const std::string& path, int megabytes, bool read_only = false) : m_path(path) {
    std::filesystem::create_directories(path);
    const CommandResult r = run_command("mount -t tmpfs -o " + std::string(read_only ? "ro," : "") +
                                        "size=" + std::to_string(megabytes) + "m tmpfs '" + path + "'");
    m_mounted = r.exit_code == 0;
    REQUIRE_MESSAGE(m_mounted, "mounting a tmpfs needs root (CAP_SYS_ADMIN): ", r.output);
  }
  ~SmallDisk() {
    if (m_mounted) run_command("umount -l '" + m_path + "'");
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  std::string file(const std::string& name) const { return m_path + "/" + name; }

  uint64_t available_bytes() const {
    struct statvfs s {};
    REQUIRE(::statvfs(m_path.c_str(), &s) == 0);
    return uint64_t(s.f_bavail) * s.f_frsize;
  }

  /// Takes all free space but about `leave_bytes` with a filler file.
  void fill(uint64_t leave_bytes = 0) {
    const uint64_t available = available_bytes();
    uint64_t to_take = available > leave_bytes ? available - leave_bytes : 0;
    std::FILE* f = std::fopen(filler().c_str(), "ab");
    REQUIRE(f != nullptr);
    static const std::string chunk(64 * 1024, '\0');
    while (to_take > 0) {
      const size_t n = size_t(std::min<uint64_t>(to_take, chunk.size()));
      if (std::fwrite(chunk.data(), 1, n, f) != n) break;  // full already
      to_take -= n;
    }
    std::fclose(f);
    if (leave_bytes == 0) CHECK(available_bytes() < 64 * 1024);
  }

  void free_space() { std::filesystem::remove(filler()); }

 private:
  std::string filler() const { return m_path + "/filler.bin"; }

  std::string m_path;
  bool m_mounted = false;
};

}  // namespace hwnas::test
