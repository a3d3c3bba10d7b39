// This file implements the min-peak operator-order search (see schedule_search.hpp).
#include "estimators/schedule_search.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>

namespace hwnas {

namespace {

constexpr size_t kMaxOps = 256;
using OpSet = std::array<uint64_t, kMaxOps / 64>;

struct OpSetHash {
  size_t operator()(const OpSet& s) const {
    uint64_t h = 1469598103934665603ull;
    for (uint64_t w : s) h = (h ^ w) * 1099511628211ull;
    return size_t(h);
  }
};

bool contains(const OpSet& s, int op) { return (s[size_t(op) / 64] >> (size_t(op) % 64)) & 1u; }
void insert(OpSet& s, int op) { s[size_t(op) / 64] |= uint64_t(1) << (size_t(op) % 64); }

bool subset_of(const OpSet& a, const OpSet& b) {  // a ⊆ b
  for (size_t w = 0; w < a.size(); ++w)
    if (a[w] & ~b[w]) return false;
  return true;
}

// Per op, as bit sets so that the DP's inner checks are a few word operations: the ops it
// needs done first, and for each distinct input tensor (not the graph output) its bytes and
// the set of its consumers.
struct OpSets {
  std::vector<OpSet> needs;
  struct Input {
    int64_t bytes;
    OpSet consumers;
  };
  std::vector<std::vector<Input>> inputs;

  explicit OpSets(const DeployGraph& g) : needs(g.ops().size()), inputs(g.ops().size()) {
    for (size_t o = 0; o < g.ops().size(); ++o) {
      std::vector<int> seen;
      for (int t : g.ops()[o].inputs) {
        const DeployTensor& tensor = g.tensors()[size_t(t)];
        if (tensor.producer >= 0) insert(needs[o], tensor.producer);
        if (t == g.output_tensor() || std::find(seen.begin(), seen.end(), t) != seen.end()) continue;
        seen.push_back(t);
        Input in{tensor.bytes, {}};
        for (int c : tensor.consumers) insert(in.consumers, c);
        inputs[o].push_back(in);
      }
    }
  }

  // Bytes freed after `op` runs from `done`: inputs whose every consumer has then run.
  int64_t freed_after(const OpSet& done, int op) const {
    OpSet after = done;
    insert(after, op);
    int64_t freed = 0;
    for (const auto& in : inputs[size_t(op)])
      if (subset_of(in.consumers, after)) freed += in.bytes;
    return freed;
  }
};

struct State {
  int64_t peak = 0;  ///< best peak to reach this state
  int64_t live = 0;  ///< live bytes in this state (independent of the path)
  OpSet parent{};
  int last_op = -1;
};

// True if the listed order is the only topological order: each op reads its predecessor.
bool order_is_unique(const DeployGraph& g) {
  for (size_t o = 1; o < g.ops().size(); ++o) {
    const auto& ins = g.ops()[o].inputs;
    if (std::find(ins.begin(), ins.end(), g.ops()[o - 1].output) == ins.end()) return false;
  }
  return true;
}

}  // namespace

ScheduleSearchResult listed_schedule(const DeployGraph& g, const std::vector<int64_t>& scratch) {
  // In the listed order a tensor dies after its last (highest-index) consumer.
  std::vector<int64_t> freed(g.ops().size(), 0);
  for (size_t t = 0; t < g.tensors().size(); ++t) {
    const auto& consumers = g.tensors()[t].consumers;
    if (int(t) != g.output_tensor() && !consumers.empty()) freed[size_t(consumers.back())] += g.tensors()[t].bytes;
  }
  ScheduleSearchResult r;
  int64_t live = g.tensors()[0].bytes;
  for (size_t o = 0; o < g.ops().size(); ++o) {
    r.order.push_back(int(o));
    const int64_t out = g.ops()[o].output_bytes;
    r.live_peak_bytes = std::max(r.live_peak_bytes, live + out + scratch[o]);
    live += out - freed[o];
  }
  return r;
}

namespace {

using StateMap = std::unordered_map<OpSet, State, OpSetHash>;

// Expands every state of one DP layer (all states with the same number of executed ops) by
// each ready op; returns the next layer's states.
std::vector<OpSet> expand_layer(const DeployGraph& g, const OpSets& sets, const std::vector<int64_t>& scratch,
                                const std::vector<OpSet>& layer, StateMap& states) {
  std::vector<OpSet> next;
  for (const OpSet& s : layer) {
    const State cur = states.at(s);
    for (size_t o = 0; o < g.ops().size(); ++o) {
      if (contains(s, int(o)) || !subset_of(sets.needs[o], s)) continue;
      const int64_t out = g.ops()[o].output_bytes;
      const int64_t peak = std::max(cur.peak, cur.live + out + scratch[o]);
      OpSet t = s;
      insert(t, int(o));
      auto [it, fresh] = states.try_emplace(t);
      if (fresh) {
        next.push_back(t);
        it->second.live = cur.live + out - sets.freed_after(s, int(o));
      }
      if (fresh || peak < it->second.peak) {
        it->second.peak = peak;
        it->second.parent = s;
        it->second.last_op = int(o);
      }
    }
  }
  return next;
}

// The best order, walking parent links back from the state where every op has run.
std::vector<int> order_to(const OpSet& all_done, const StateMap& states) {
  std::vector<int> order;
  for (OpSet s = all_done; states.at(s).last_op >= 0; s = states.at(s).parent) order.push_back(states.at(s).last_op);
  std::reverse(order.begin(), order.end());
  return order;
}

}  // namespace

ScheduleSearchResult min_peak_schedule(const DeployGraph& g, const std::vector<int64_t>& scratch,
                                       int64_t max_states) {
  const size_t n = g.ops().size();
  if (n > kMaxOps || order_is_unique(g)) {
    auto r = listed_schedule(g, scratch);
    r.exhaustive = n <= kMaxOps;
    return r;
  }
  const OpSets sets(g);
  StateMap states;
  states.reserve(size_t(std::min<int64_t>(max_states, 4096)));
  std::vector<OpSet> layer{OpSet{}};
  states[OpSet{}] = State{0, g.tensors()[0].bytes, {}, -1};
  for (size_t step = 0; step < n; ++step) {
    layer = expand_layer(g, sets, scratch, layer, states);
    if (int64_t(states.size()) > max_states) {  // checked per layer: a layer may overshoot the cap
      auto r = listed_schedule(g, scratch);
      r.states = int64_t(states.size());
      r.exhaustive = false;
      return r;
    }
  }
  ScheduleSearchResult r;
  r.states = int64_t(states.size());
  r.live_peak_bytes = states.at(layer.front()).peak;
  r.order = order_to(layer.front(), states);
  return r;
}

}  // namespace hwnas
