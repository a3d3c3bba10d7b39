// This file implements the arena memory planner: tensor lifetimes over an operator
// schedule, and offsets in one arena chosen greedily by size, as TF Lite Micro's
// GreedyMemoryPlanner does (largest buffer first, each at the lowest offset that does not
// collide with an already placed buffer whose lifetime overlaps). The plan (schedule,
// every buffer's offset) is part of the cost report so that the C exporter lays out its
// static arena exactly as the estimate assumed.
#pragma once

#include <cstdint>
#include <vector>

#include "space/deploy_graph.hpp"

namespace hwnas {

/// One block of arena memory alive from first_step to last_step (inclusive).
struct PlanBuffer {
  int64_t size = 0;
  int first_step = 0;
  int last_step = 0;
  int64_t offset = 0;  ///< filled by place_greedy_by_size
};

/// Places every buffer; returns the arena size (max offset + size). Offsets are multiples
/// of `alignment`. Ties in size go to the earlier first_step, then the lower index, so the
/// plan is deterministic.
int64_t place_greedy_by_size(std::vector<PlanBuffer>& buffers, int64_t alignment);

/// How a runtime lets tensors share memory.
struct InPlaceRules {
  int64_t alignment = 16;
  bool reshape_in_place = false;     ///< flatten/reshape output aliases its input
  bool elementwise_in_place = false; ///< add/activation/scale may overwrite an input that dies there
};

/// What a buffer of the plan holds.
struct PlannedTensor {
  std::vector<int> tensors;  ///< tensor ids sharing this buffer (aliases); empty for scratch
  int scratch_of_op = -1;    ///< op index for a scratch buffer
  PlanBuffer buffer;
};

struct MemoryPlan {
  std::vector<int> schedule;           ///< op indices in execution order
  std::vector<PlannedTensor> buffers;  ///< every tensor group and scratch buffer, placed
  int64_t arena_bytes = 0;             ///< planned arena (peak offset + size)
  int64_t live_peak_bytes = 0;         ///< peak sum of live bytes: the lower bound any planner has
  std::vector<int64_t> live_bytes;     ///< per schedule step, including scratch
};

/// Plans `graph` executed in `schedule` order; `scratch[o]` is op o's scratch size (0: none).
MemoryPlan plan_memory(const DeployGraph& graph, const std::vector<int>& schedule,
                       const std::vector<int64_t>& scratch, const InPlaceRules& rules);

}  // namespace hwnas
