// This file implements the greedy-by-size arena planner (see memory_planner.hpp).
#include "estimators/memory_planner.hpp"

#include <algorithm>
#include <cassert>
#include <numeric>

namespace hwnas {

namespace {

int64_t align_up(int64_t value, int64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

bool overlaps(const PlanBuffer& a, const PlanBuffer& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

}  // namespace

int64_t place_greedy_by_size(std::vector<PlanBuffer>& buffers, int64_t alignment) {
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].size != buffers[b].size) return buffers[a].size > buffers[b].size;
    if (buffers[a].first_step != buffers[b].first_step) return buffers[a].first_step < buffers[b].first_step;
    return a < b;
  });
  std::vector<size_t> placed;  // kept sorted by offset
  placed.reserve(buffers.size());
  int64_t arena = 0;
  for (size_t idx : order) {
    PlanBuffer& b = buffers[idx];
    int64_t candidate = 0;
    for (size_t p : placed) {
      const PlanBuffer& other = buffers[p];
      if (!overlaps(b, other)) continue;
      if (candidate + b.size <= other.offset) break;  // fits in the gap before `other`
      candidate = std::max(candidate, align_up(other.offset + other.size, alignment));
    }
    b.offset = candidate;
    arena = std::max(arena, candidate + b.size);
    const auto pos = std::upper_bound(placed.begin(), placed.end(), candidate,
                                      [&](int64_t off, size_t p) { return off < buffers[p].offset; });
    placed.insert(pos, idx);
  }
  return arena;
}

namespace {

// Tensors that share one buffer, by union-find over tensor ids.
struct AliasGroups {
  std::vector<int> parent;
  explicit AliasGroups(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int t) {
    while (parent[size_t(t)] != t) t = parent[size_t(t)] = parent[size_t(parent[size_t(t)])];
    return t;
  }
  void join(int a, int b) { parent[size_t(find(b))] = find(a); }
};

bool is_elementwise(DeployKind k) {
  return k == DeployKind::kAdd || k == DeployKind::kActivation || k == DeployKind::kScale;
}

// Joins each op's output with an input it may overwrite under `rules`. Reshape aliases come
// first (they hold whatever the lifetimes); an element-wise op may then take over an input's
// buffer only if every tensor sharing that buffer dies at this op.
void join_aliases(const DeployGraph& g, const std::vector<int>& schedule, const std::vector<int>& last_use,
                  const InPlaceRules& rules, AliasGroups& groups) {
  if (rules.reshape_in_place)
    for (const auto& op : g.ops())
      if (op.kind == DeployKind::kReshape) groups.join(op.inputs[0], op.output);
  if (!rules.elementwise_in_place) return;
  std::vector<int> group_last(last_use.size(), -1);  // by group root
  for (size_t t = 0; t < last_use.size(); ++t) {
    int& last = group_last[size_t(groups.find(int(t)))];
    last = std::max(last, last_use[t]);
  }
  for (size_t step = 0; step < schedule.size(); ++step) {
    const DeployOp& op = g.ops()[size_t(schedule[step])];
    if (!is_elementwise(op.kind)) continue;
    for (int t : op.inputs) {
      const int root = groups.find(t);
      if (group_last[size_t(root)] != int(step) || g.tensors()[size_t(t)].bytes != op.output_bytes) continue;
      groups.join(t, op.output);
      group_last[size_t(groups.find(t))] = std::max(int(step), last_use[size_t(op.output)]);
      break;
    }
  }
}

}  // namespace

namespace {

// Steps at which each tensor is first written and last read in `step_of_op` order.
struct Lifetimes {
  std::vector<int> first, last;
};

Lifetimes tensor_lifetimes(const DeployGraph& g, const std::vector<int>& step_of_op) {
  const auto& tensors = g.tensors();
  Lifetimes l{std::vector<int>(tensors.size()), std::vector<int>(tensors.size())};
  for (size_t t = 0; t < tensors.size(); ++t) {
    l.first[t] = tensors[t].producer < 0 ? 0 : step_of_op[size_t(tensors[t].producer)];
    l.last[t] = l.first[t];
    for (int c : tensors[t].consumers) l.last[t] = std::max(l.last[t], step_of_op[size_t(c)]);
  }
  l.last[size_t(g.output_tensor())] = int(step_of_op.size()) - 1;  // read by the caller after the last op
  return l;
}

// One buffer per alias group, sized and timed to cover all its tensors, then the scratch buffers.
std::vector<PlannedTensor> group_buffers(const DeployGraph& g, const Lifetimes& l, AliasGroups& groups,
                                         const std::vector<int64_t>& scratch, const std::vector<int>& step_of_op) {
  const auto& tensors = g.tensors();
  std::vector<PlannedTensor> buffers;
  std::vector<int> buffer_of_root(tensors.size(), -1);
  for (size_t t = 0; t < tensors.size(); ++t) {
    int& b = buffer_of_root[size_t(groups.find(int(t)))];
    if (b < 0) {
      b = int(buffers.size());
      buffers.push_back({{}, -1, {tensors[t].bytes, l.first[t], l.last[t], 0}});
    }
    PlannedTensor& pt = buffers[size_t(b)];
    pt.tensors.push_back(int(t));
    pt.buffer.size = std::max(pt.buffer.size, tensors[t].bytes);
    pt.buffer.first_step = std::min(pt.buffer.first_step, l.first[t]);
    pt.buffer.last_step = std::max(pt.buffer.last_step, l.last[t]);
  }
  for (size_t o = 0; o < scratch.size(); ++o)
    if (scratch[o] > 0) buffers.push_back({{}, int(o), {scratch[o], step_of_op[o], step_of_op[o], 0}});
  return buffers;
}

}  // namespace

MemoryPlan plan_memory(const DeployGraph& g, const std::vector<int>& schedule, const std::vector<int64_t>& scratch,
                       const InPlaceRules& rules) {
  assert(schedule.size() == g.ops().size() && scratch.size() == g.ops().size());
  std::vector<int> step_of_op(schedule.size());
  for (size_t s = 0; s < schedule.size(); ++s) step_of_op[size_t(schedule[s])] = int(s);
  const Lifetimes lifetimes = tensor_lifetimes(g, step_of_op);
  AliasGroups groups(g.tensors().size());
  join_aliases(g, schedule, lifetimes.last, rules, groups);

  MemoryPlan plan;
  plan.schedule = schedule;
  plan.buffers = group_buffers(g, lifetimes, groups, scratch, step_of_op);
  std::vector<PlanBuffer> raw;
  raw.reserve(plan.buffers.size());
  for (const auto& b : plan.buffers) raw.push_back(b.buffer);
  plan.arena_bytes = place_greedy_by_size(raw, rules.alignment);
  plan.live_bytes.assign(schedule.size(), 0);
  for (size_t i = 0; i < raw.size(); ++i) {
    plan.buffers[i].buffer = raw[i];
    for (int s = raw[i].first_step; s <= raw[i].last_step; ++s) plan.live_bytes[size_t(s)] += raw[i].size;
  }
  plan.live_peak_bytes = *std::max_element(plan.live_bytes.begin(), plan.live_bytes.end());
  return plan;
}

}  // namespace hwnas
