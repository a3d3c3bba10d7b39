// This file implements lower bounds on an int8 network's flash and RAM that hold for any
// runtime: flash >= int8 weights + int32 biases; RAM >= the peak of live activation
// tensors over the listed operator order. The real cost models (memory planner with
// arena offsets, runtime overheads, latency, energy) refine these in estimators/.
#pragma once

#include <cstdint>

#include "space/architecture.hpp"

namespace hwnas {

struct FootprintBounds {
  int64_t flash_bytes = 0;  ///< int8 weights + one int32 bias per output channel
  int64_t ram_bytes = 0;    ///< peak sum of live int8 activations in the listed order
};

FootprintBounds footprint_bounds(const Architecture& arch);

}  // namespace hwnas
