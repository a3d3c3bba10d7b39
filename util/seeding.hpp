// This file implements seed derivation: every random stream of a run (a candidate's
// weight initialisation, a data split) gets its seed from (run seed, purpose, index),
// never from a thread or the clock, so results do not depend on scheduling.
#pragma once

#include <cstdint>

namespace hwnas {

/// SplitMix64 finaliser: a well-mixed 64-bit function of x.
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// Seed of stream `index` for `purpose` (a small constant per use) within a run.
inline uint64_t derive_seed(uint64_t run_seed, uint64_t purpose, uint64_t index) {
  return splitmix64(splitmix64(splitmix64(run_seed) ^ purpose) ^ index);
}

}  // namespace hwnas
