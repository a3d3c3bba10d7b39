// This file implements feasibility-first sampling (see feasible_sampler.hpp).
#include "search/feasible_sampler.hpp"

#include <spdlog/spdlog.h>

#include "space/arch_identity.hpp"
#include "util/errors.hpp"
#include "util/seeding.hpp"

namespace hwnas {

namespace {
constexpr uint64_t kSamplingStream = 1;
constexpr uint64_t kTrainingStream = 2;
}  // namespace

std::vector<TargetCost> cost_on_targets(const Architecture& arch, const std::vector<TargetConfig>& targets) {
  const FootprintBounds bounds = footprint_bounds(arch);
  std::vector<TargetCost> costs;
  for (const auto& t : targets) {
    const double usable = 1.0 - t.safety_margin;
    const bool fits = double(bounds.flash_bytes) <= usable * t.max_flash_kb * 1024.0 &&
                      double(bounds.ram_bytes) <= usable * t.max_ram_kb * 1024.0;
    costs.push_back({t.mcu.name, bounds, fits});
  }
  return costs;
}

bool fits_all(const std::vector<TargetCost>& costs) {
  for (const auto& c : costs)
    if (!c.fits) return false;
  return true;
}

SamplingOutcome sample_feasible(const CnnChainSpace& space, const std::vector<TargetConfig>& targets,
                                int count, int max_rejections, uint64_t run_seed) {
  SamplingOutcome out;
  std::mt19937_64 rng(derive_seed(run_seed, kSamplingStream, 0));
  std::set<std::string> seen;
  int rejected_in_a_row = 0;
  int duplicates_in_a_row = 0;
  while (int(out.candidates.size()) < count) {
    Genome genome = space.sample(rng);
    Architecture arch = space.decode(genome);
    std::string identity = architecture_identity(arch);
    if (!seen.insert(identity).second) {
      ++out.duplicates;
      // A small space runs out of new members: stop instead of spinning.
      if (++duplicates_in_a_row >= max_rejections) break;
      continue;
    }
    duplicates_in_a_row = 0;
    auto costs = cost_on_targets(arch, targets);
    if (!fits_all(costs)) {
      ++out.rejected;
      spdlog::debug("rejected {} (flash >= {} B, RAM >= {} B)", identity, costs[0].bounds.flash_bytes,
                    costs[0].bounds.ram_bytes);
      if (++rejected_in_a_row >= max_rejections)
        throw UserError("search space has (almost) no member that fits the targets: " +
                        std::to_string(rejected_in_a_row) + " samples in a row were rejected " +
                        "(raise the budgets, shrink the space, or raise search.max_rejections)");
      continue;
    }
    rejected_in_a_row = 0;
    Candidate c{int(out.candidates.size()), std::move(genome), std::move(identity), 0, std::move(arch),
                std::move(costs), {}, {}};
    c.seed = derive_seed(run_seed, kTrainingStream, uint64_t(c.index));
    out.candidates.push_back(std::move(c));
  }
  return out;
}

}  // namespace hwnas
