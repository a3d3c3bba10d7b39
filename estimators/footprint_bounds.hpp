// This file implements runtime-independent floors on an int8 network's flash and RAM, for
// reports that do not name a runtime (`nas-run inspect`, `nas-run space`): flash >= int8
// weights + int32 biases of the deployed graph (batch norm folded); RAM >= the peak of live
// activation bytes of the deployed graph in its best operator order, without scratch
// buffers or runtime state. The floor holds for runtimes that keep each tensor whole (TF
// Lite Micro, X-CUBE-AI, our C code); patch-based or in-place schemes can go below it. The
// cost models of cost_model.hpp give the real figures per (MCU, runtime).
#pragma once

#include <cstdint>

#include "space/architecture.hpp"

namespace hwnas {

struct FootprintBounds {
  int64_t flash_bytes = 0;  ///< int8 weights + one int32 bias per output channel
  int64_t ram_bytes = 0;    ///< peak live int8 activations, best order, no scratch
};

FootprintBounds footprint_bounds(const Architecture& arch);

}  // namespace hwnas
