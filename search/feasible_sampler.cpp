// This file implements feasibility-first sampling (see feasible_sampler.hpp).
#include "search/feasible_sampler.hpp"

#include <spdlog/spdlog.h>

#include "space/constrained_sampling.hpp"
#include "util/errors.hpp"
#include "util/seeding.hpp"

namespace hwnas {

namespace {
constexpr uint64_t kSamplingStream = 1;
constexpr uint64_t kTrainingStream = 2;
}  // namespace

bool within_budgets(const CostEstimate& e, const TargetConfig& t) {
  const double usable = 1.0 - t.safety_margin;
  return double(e.flash.total()) <= usable * t.max_flash_kb * 1024.0 &&
         double(e.ram.total()) <= usable * t.max_ram_kb * 1024.0 &&
         (t.max_latency_ms <= 0 || e.latency_ms <= usable * t.max_latency_ms) &&
         (t.max_energy_uj <= 0 || e.energy_uj <= usable * t.max_energy_uj);
}

std::vector<TargetCost> cost_on_targets(const Architecture& arch, const std::vector<TargetConfig>& targets) {
  std::vector<TargetCost> costs;
  for (const auto& t : targets) {
    const CostEstimate e = estimate_costs(arch, t.cost);
    costs.push_back({t.mcu.name, t.cost.profile.name, e, within_budgets(e, t)});
  }
  return costs;
}

bool fits_all(const std::vector<TargetCost>& costs) {
  for (const auto& c : costs)
    if (!c.fits) return false;
  return true;
}

SamplingOutcome sample_feasible(const SearchSpace& space, const std::vector<TargetConfig>& targets,
                                int count, int max_rejections, uint64_t run_seed) {
  SamplingOutcome out;
  std::mt19937_64 rng(derive_seed(run_seed, kSamplingStream, 0));
  std::set<std::string> seen;
  // Duplicates are screened before the cost check: a repeat is not a rejection.
  const NetworkPredicate fits = [&](const DecodedNetwork& n) {
    if (seen.count(n.identity)) return true;
    const bool ok = fits_all(cost_on_targets(n.arch, targets));
    if (!ok) spdlog::debug("rejected {}: does not fit every target", n.identity);
    return ok;
  };
  ConstrainedSampler sampler(space, fits, max_rejections);
  int duplicates_in_a_row = 0;
  while (int(out.candidates.size()) < count) {
    Proposal p = sampler.sample(rng);
    if (!seen.insert(p.network.identity).second) {
      ++out.duplicates;
      // A small space runs out of new members: stop instead of spinning.
      if (++duplicates_in_a_row >= max_rejections) break;
      continue;
    }
    duplicates_in_a_row = 0;
    Candidate c{int(out.candidates.size()), std::move(p.genome), std::move(p.network.identity), 0,
                std::move(p.network.arch), {}, {}, {}, {}};
    c.costs = cost_on_targets(c.arch, targets);
    c.seed = derive_seed(run_seed, kTrainingStream, uint64_t(c.index));
    out.candidates.push_back(std::move(c));
  }
  out.rejected = int(sampler.rejected());
  return out;
}

}  // namespace hwnas
