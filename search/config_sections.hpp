// This file implements the parsers of the individual config sections; run_config.cpp
// assembles them. Each takes the section's JsonReader and finishes it.
#pragma once

#include <filesystem>
#include <vector>

#include "search/run_config.hpp"
#include "util/json_reader.hpp"

namespace hwnas::detail {

DatasetConfig parse_dataset_section(JsonReader r, const std::filesystem::path& base_dir);
std::shared_ptr<const SpaceSpec> parse_space_section(JsonReader& parent, const std::string& key,
                                                     const std::filesystem::path& base_dir);
/// The built-in boards plus those the config adds under `key` (same format as configs/mcus.json).
McuDatabase parse_mcus_section(JsonReader& parent, const std::string& key);
std::vector<TargetConfig> parse_targets_section(JsonReader& parent, const std::string& key, const McuDatabase& db,
                                                const std::filesystem::path& base_dir);
SearchConfig parse_search_section(JsonReader r, const std::filesystem::path& base_dir);
TrainingOptions parse_training_section(JsonReader r);
Int8Options parse_quantization_section(JsonReader r);
OutputConfig parse_output_section(JsonReader r);

}  // namespace hwnas::detail
