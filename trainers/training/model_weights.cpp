// This file implements save_model_weights and load_model_weights (see model_weights.hpp).
#include "trainers/training/model_weights.hpp"

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "trainers/training/network.hpp"
#include "util/atomic_file.hpp"
#include "util/errors.hpp"

namespace hwnas {

namespace {

constexpr const char* kFormat = "hwnas-weights-1";

static_assert(std::endian::native == std::endian::little, "weights.bin is little-endian float32");

nlohmann::json manifest(const Architecture& arch, const TrainedModel& model) {
  nlohmann::json blocks = nlohmann::json::array();
  for (const ParamBlock& b : model.blocks) {
    // The file holds the parameters first, then the state.
    const int64_t offset = b.trainable ? b.offset : model.parameters.size() + b.offset;
    blocks.push_back({{"layer", b.layer},
                      {"layer_name", arch.layer(size_t(b.layer)).name},
                      {"name", b.name},
                      {"trainable", b.trainable},
                      {"offset", offset},
                      {"size", b.size}});
  }
  return {{"format", kFormat},
          {"architecture", arch.name()},
          {"file", "weights.bin"},
          {"dtype", "<f4"},
          {"parameters", model.parameters.size()},
          {"state", model.state.size()},
          {"blocks", blocks}};
}

// The blocks a freshly built network of `arch` has: what a weights file must match.
std::vector<ParamBlock> expected_blocks(const Architecture& arch, int64_t& parameters, int64_t& state) {
  const Network net(arch, 1, 0);
  parameters = net.parameters().size();
  state = net.state().size();
  return net.blocks();
}

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  throw UserError(file + ": " + what);
}

}  // namespace

void save_model_weights(const std::string& dir, const Architecture& arch, const TrainedModel& model) {
  create_folders(dir);
  std::string bytes(size_t(model.parameters.size() + model.state.size()) * sizeof(float), '\0');
  std::memcpy(bytes.data(), model.parameters.data(), size_t(model.parameters.size()) * sizeof(float));
  std::memcpy(bytes.data() + size_t(model.parameters.size()) * sizeof(float), model.state.data(),
              size_t(model.state.size()) * sizeof(float));
  write_file_atomically(dir + "/weights.bin", bytes);
  write_file_atomically(dir + "/weights.json", manifest(arch, model).dump(2) + "\n");
}

TrainedModel load_model_weights(const std::string& dir, const Architecture& arch) {
  const std::string manifest_path = dir + "/weights.json";
  const std::string bin_path = dir + "/weights.bin";
  nlohmann::json m;
  {
    std::ifstream in(manifest_path);
    if (!in) fail(manifest_path, "cannot open the weights manifest");
    m = nlohmann::json::parse(in, nullptr, false);
    if (m.is_discarded() || !m.is_object()) fail(manifest_path, "expected a JSON object");
  }
  if (m.value("format", "") != kFormat) fail(manifest_path, std::string("/format: expected \"") + kFormat + "\"");
  int64_t parameters = 0, state = 0;
  TrainedModel model;
  model.blocks = expected_blocks(arch, parameters, state);
  if (m.value("parameters", int64_t(-1)) != parameters || m.value("state", int64_t(-1)) != state)
    fail(manifest_path, "describes " + std::to_string(m.value("parameters", int64_t(-1))) + " parameters and " +
                            std::to_string(m.value("state", int64_t(-1))) + " state values, architecture '" +
                            arch.name() + "' has " + std::to_string(parameters) + " and " + std::to_string(state));
  const auto expected_bytes = uintmax_t(parameters + state) * sizeof(float);
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(bin_path, ec);
  if (ec) fail(bin_path, "cannot read the weights file");
  if (size != expected_bytes)
    fail(bin_path, "has " + std::to_string(size) + " bytes, expected " + std::to_string(expected_bytes) +
                       " (float32 x " + std::to_string(parameters + state) + ")");
  std::ifstream in(bin_path, std::ios::binary);
  model.parameters.resize(parameters);
  model.state.resize(state);
  in.read(reinterpret_cast<char*>(model.parameters.data()), std::streamsize(parameters * sizeof(float)));
  in.read(reinterpret_cast<char*>(model.state.data()), std::streamsize(state * sizeof(float)));
  if (!in) fail(bin_path, "read failed");
  if (!model.parameters.allFinite() || !model.state.allFinite()) fail(bin_path, "holds NaN or infinite values");
  return model;
}

}  // namespace hwnas
