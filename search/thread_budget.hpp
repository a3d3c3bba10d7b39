// This file implements the default number of training threads of a process: the cores
// Slurm gives the task (SLURM_CPUS_PER_TASK) when it says, else the cores of the node
// (those this process may run on) shared among the ranks on it that train, so that several
// ranks on one node never oversubscribe it.
#pragma once

namespace hwnas {

/// `local_workers`: processes of this job on this node that train (1 without MPI).
int default_threads(int local_workers);

}  // namespace hwnas
