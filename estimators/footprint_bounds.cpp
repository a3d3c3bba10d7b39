// This file implements footprint_bounds (see footprint_bounds.hpp).
#include "estimators/footprint_bounds.hpp"

#include "space/deploy_graph.hpp"
#include "estimators/schedule_search.hpp"

namespace hwnas {

FootprintBounds footprint_bounds(const Architecture& arch) {
  const DeployGraph g(arch);
  FootprintBounds b;
  for (const auto& op : g.ops()) b.flash_bytes += op.weights + 4 * op.biases;
  b.ram_bytes = min_peak_schedule(g, std::vector<int64_t>(g.ops().size(), 0)).live_peak_bytes;
  return b;
}

}  // namespace hwnas
