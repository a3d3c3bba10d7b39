// This file implements MpiSession: MPI for this process, and the byte-message transport
// the MPI evaluator and its workers use. MPI is initialised only when a launcher (mpirun,
// srun) started the process, so `nas-run` started by hand behaves exactly as without MPI.
// Rank 0 runs the search controller and the run directory; ranks 1..N-1 evaluate.
//
// Only the main thread of each rank calls MPI (MPI_THREAD_FUNNELED); waits poll with
// short sleeps, so an idle rank does not spin a core that a trainer could use.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace hwnas {

/// Message tags.
enum class MpiTag : int { kRequest = 1, kResult = 2, kCancel = 3, kShutdown = 4, kData = 5 };

struct MpiMessage {
  int source = -1;
  MpiTag tag = MpiTag::kRequest;
  std::string bytes;
};

class MpiSession {
 public:
  /// True when an MPI launcher started this process (OMPI_COMM_WORLD_SIZE, PMIX_RANK or
  /// PMI_RANK in the environment).
  static bool launched_by_mpi();

  /// MPI_Init_thread. @throws UserError when MPI cannot start.
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return m_rank; }
  int size() const { return m_size; }
  /// Ranks on this node that train: all but rank 0 (the controller, which only waits),
  /// when there are several ranks; at least 1.
  int local_workers() const { return m_local_workers; }

  void send(int dest, MpiTag tag, const std::string& bytes) const;
  /// The next message from `source` (any when < 0), waiting up to `timeout` and looking
  /// every `poll` (a message waits at most that long; a longer poll leaves more CPU to
  /// the ranks sharing the core).
  std::optional<MpiMessage> receive(std::chrono::milliseconds timeout, int source = -1,
                                    std::chrono::microseconds poll = std::chrono::microseconds(1000)) const;
  /// Rank 0's `bytes` on every rank (collective).
  void broadcast(std::string& bytes) const;
  /// True on every rank when `value` is true on every rank (collective).
  bool all(bool value) const;
  /// Ends every rank of the job with `code` (a rank that cannot go on must not leave the
  /// others waiting for it).
  [[noreturn]] void abort(int code) const;

 private:
  int m_rank = 0;
  int m_size = 1;
  int m_local_workers = 1;
};

}  // namespace hwnas
