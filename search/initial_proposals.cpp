// This file implements initial_proposals (see initial_proposals.hpp).
#include "search/initial_proposals.hpp"

#include "search/target_budgets.hpp"
#include "space/architecture_encoding.hpp"

namespace hwnas {

std::vector<Proposal> initial_proposals(const RunConfig& config, const SearchSpace& space) {
  std::vector<Proposal> out;
  for (const InitialArchitecture& a : config.search.initial_architectures) {
    const auto fail = [&](const std::string& problem) {
      throw ConfigError::with_message(config.path, a.pointer, a.path + ": " + problem);
    };
    Genome genome;
    try {
      genome = encode_architecture(space, *a.arch);
    } catch (const UserError& e) {
      fail(e.what());
    }
    Proposal p{genome, space.decode_detailed(genome)};
    for (size_t t = 0; t < config.targets.size(); ++t) {
      const TargetConfig& target = config.targets[t];
      const std::string over = budget_violations(estimate_costs(p.network.arch, target.cost), target);
      if (!over.empty()) fail("does not fit target " + std::to_string(t) + " (" + target.mcu.name + "): " + over);
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace hwnas
