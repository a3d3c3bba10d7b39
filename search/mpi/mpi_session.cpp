// This file implements MpiSession (see mpi_session.hpp).
#include "search/mpi/mpi_session.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <thread>

#include <mpi.h>

#include "util/errors.hpp"

namespace hwnas {

bool MpiSession::launched_by_mpi() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(variable)) return true;
  return false;
}

MpiSession::MpiSession() {
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    throw UserError("MPI: MPI_Init_thread failed");
  MPI_Comm_rank(MPI_COMM_WORLD, &m_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &m_size);
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, m_rank, MPI_INFO_NULL, &local);
  int local_ranks = 1;
  MPI_Comm_size(local, &local_ranks);
  int controller_here = m_rank == 0 && m_size > 1 ? 1 : 0, controllers = 0;
  MPI_Allreduce(&controller_here, &controllers, 1, MPI_INT, MPI_SUM, local);
  m_local_workers = std::max(1, local_ranks - controllers);
  MPI_Comm_free(&local);
}

MpiSession::~MpiSession() { MPI_Finalize(); }

void MpiSession::send(int dest, MpiTag tag, const std::string& bytes) const {
  if (bytes.size() > size_t(std::numeric_limits<int>::max()))
    throw UserError("MPI: a message of " + std::to_string(bytes.size()) + " bytes is over MPI's 2 GiB limit");
  MPI_Send(bytes.data(), int(bytes.size()), MPI_BYTE, dest, int(tag), MPI_COMM_WORLD);
}

std::optional<MpiMessage> MpiSession::receive(std::chrono::milliseconds timeout, int source,
                                              std::chrono::microseconds poll) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(source < 0 ? MPI_ANY_SOURCE : source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
    if (flag) {
      int count = 0;
      MPI_Get_count(&status, MPI_BYTE, &count);
      MpiMessage m;
      m.source = status.MPI_SOURCE;
      m.tag = MpiTag(status.MPI_TAG);
      m.bytes.resize(size_t(count));
      MPI_Recv(m.bytes.data(), count, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      return m;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    // A blocking MPI_Probe would spin a core at 100% in OpenMPI; a short sleep keeps the
    // latency low and the core free.
    std::this_thread::sleep_for(poll);
  }
}

void MpiSession::broadcast(std::string& bytes) const {
  uint64_t size = bytes.size();
  MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  bytes.resize(size_t(size));
  // In pieces: MPI counts are ints, and a dataset may be over 2 GiB.
  constexpr uint64_t kPiece = 1 << 30;
  for (uint64_t offset = 0; offset < size; offset += kPiece)
    MPI_Bcast(bytes.data() + offset, int(std::min(kPiece, size - offset)), MPI_BYTE, 0, MPI_COMM_WORLD);
}

void MpiSession::abort(int code) const {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);  // MPI_Abort does not return; this line satisfies [[noreturn]]
}

bool MpiSession::all(bool value) const {
  int mine = value ? 1 : 0, every = 0;
  MPI_Allreduce(&mine, &every, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return every == 1;
}

}  // namespace hwnas
