// This file implements bench/published-memory-check: the tflm-cmsis-nn profile's flash and
// RAM predictions beside the published figures of the same networks on real boards
// (bench/calibration/published_memory.json). It fits nothing; it prints the error of each
// comparison so that a change to the runtime profile shows its effect on real data.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "estimators/cost_model.hpp"
#include "space/arch_json.hpp"
#include "util/json_reader.hpp"

namespace {

int64_t predicted(const hwnas::CostEstimate& e, const std::string& compare) {
  if (compare == "model") return e.flash.weights + e.flash.biases + e.flash.quant_params + e.flash.model_metadata;
  if (compare == "arena_and_state" || compare == "arena_and_state_upper_bound") return e.ram.arena + e.ram.persistent;
  if (compare == "ram_total") return e.ram.total();
  if (compare == "flash_total") return e.flash.total();
  throw hwnas::UserError("unknown comparison \"" + compare + "\"");
}

}  // namespace

int main() {
  const std::filesystem::path file = std::filesystem::path(HWNAS_SOURCE_DIR) / "bench/calibration/published_memory.json";
  const auto doc = hwnas::read_json_file(file.string());
  const auto& profile = *hwnas::RuntimeProfiles::builtin().find("tflm-cmsis-nn");
  std::printf("%-7s %-22s %-10s %-28s %10s %10s %8s\n", "row", "network", "board", "compared", "predicted",
              "published", "error");
  for (const auto& row : doc.at("rows")) {
    const auto arch = hwnas::load_architecture((file.parent_path() / row.at("arch").get<std::string>()).string());
    const auto& mcu = *hwnas::McuDatabase::builtin().find(row.at("mcu").get<std::string>());
    const auto e = hwnas::estimate_costs(arch, hwnas::CostTarget::make(mcu, profile));
    const std::string compare = row.at("compare");
    const int64_t p = predicted(e, compare), m = row.at("published_bytes");
    std::printf("%-7s %-22s %-10s %-28s %10lld %10lld %+7.1f%%\n", row.at("row_id").get<std::string>().c_str(),
                arch.name().c_str(), mcu.name.c_str(), compare.c_str(), (long long)p, (long long)m,
                100.0 * double(p - m) / double(m));
  }
  std::printf("(an upper-bound row only needs predicted <= published)\n");
  return 0;
}
