// This file implements `nas-run inspect` (see inspect_command.hpp).
#include "apps/inspect_command.hpp"

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "estimators/footprint_bounds.hpp"
#include "space/arch_identity.hpp"
#include "exporters/tflite_import.hpp"
#include "space/arch_json.hpp"

namespace hwnas {

namespace {

nlohmann::json inspect_json(const Architecture& arch) {
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < arch.size(); ++i) {
    const Layer& l = arch.layer(i);
    const LayerStats& s = arch.stats(i);
    layers.push_back({{"name", l.name}, {"op", op_name(l.op)},
                      {"output_shape", {l.output_shape.h, l.output_shape.w, l.output_shape.c}},
                      {"params", s.params}, {"macs", s.macs},
                      {"input_elements", s.input_elements}, {"output_elements", s.output_elements}});
  }
  const FootprintBounds b = footprint_bounds(arch);
  return {{"name", arch.name()}, {"id", architecture_identity(arch)}, {"layers", layers},
          {"total_params", arch.total_params()}, {"total_macs", arch.total_macs()},
          {"flash_bytes_lower_bound", b.flash_bytes}, {"ram_bytes_lower_bound", b.ram_bytes}};
}

void print_table(const Architecture& arch) {
  std::printf("%-28s %-17s %-16s %10s %12s %10s\n", "layer", "op", "output", "params", "MACs", "out elems");
  for (size_t i = 0; i < arch.size(); ++i) {
    const Layer& l = arch.layer(i);
    const LayerStats& s = arch.stats(i);
    std::printf("%-28s %-17s %-16s %10lld %12lld %10lld\n", l.name.c_str(), op_name(l.op),
                l.output_shape.str().c_str(), (long long)s.params, (long long)s.macs,
                (long long)s.output_elements);
  }
  const FootprintBounds b = footprint_bounds(arch);
  std::printf("total: %zu layers, %lld params, %lld MACs; int8 flash >= %lld B, RAM >= %lld B (id %s)\n",
              arch.size(), (long long)arch.total_params(), (long long)arch.total_macs(),
              (long long)b.flash_bytes, (long long)b.ram_bytes, architecture_identity(arch).c_str());
}

}  // namespace

int run_inspect_command(const std::string& arch_path, bool json) {
  const Architecture arch = load_network_file(arch_path);
  if (json) std::cout << inspect_json(arch).dump(2) << "\n";
  else print_table(arch);
  return 0;
}

}  // namespace hwnas
