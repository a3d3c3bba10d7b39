// This file implements default_threads (see thread_budget.hpp).
#include "search/thread_budget.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

#include <tbb/info.h>

namespace hwnas {

int default_threads(int local_workers) {
  if (const char* slurm = std::getenv("SLURM_CPUS_PER_TASK")) {
    char* end = nullptr;
    const long cpus = std::strtol(slurm, &end, 10);
    if (end != slurm && *end == '\0' && cpus > 0 && cpus <= 4096) return int(cpus);
  }
  // TBB's default concurrency respects the process's CPU affinity mask (taskset, cgroups).
  return std::max(1, tbb::info::default_concurrency() / std::max(1, local_workers));
}

}  // namespace hwnas
