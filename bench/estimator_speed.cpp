// This file implements bench/estimator-speed: how many networks per second one core can
// cost (deploy-graph lowering, scratch sizes, operator-order search, greedy arena plan,
// flash, RAM, latency, energy) for one (MCU, runtime) target, since the search filters
// every sampled network this way before training anything. Networks are sampled from the
// shipped search spaces, decoded once (decoding is the search space's cost, not the
// estimator's) and then costed in a loop; a branched network (bench/networks/) times the
// operator-order search, which the shipped spaces' chains and residual blocks skip.
// Target: at least 100,000 networks/s per core for ~20-layer networks.
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "estimators/cost_model.hpp"
#include "space/arch_json.hpp"
#include "space/search_space.hpp"
#include "util/json_reader.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct SpaceCase {
  const char* file;
  hwnas::TensorShape shape;
  int classes;
};

std::vector<hwnas::Architecture> sample_networks(const SpaceCase& sc, int count) {
  const std::string path = std::string(HWNAS_SOURCE_DIR) + "/" + sc.file;
  const hwnas::SearchSpace space(hwnas::load_space_file(path), sc.shape, sc.classes);
  std::mt19937_64 rng(1);
  std::vector<hwnas::Architecture> archs;
  while (int(archs.size()) < count) {
    try {
      archs.push_back(space.decode(space.sample(rng)));
    } catch (const hwnas::UserError&) {  // a rare invalid genome: the sampler rejects those too
    }
  }
  return archs;
}

void bench_networks(const std::string& label, const std::vector<hwnas::Architecture>& archs, const char* mcu,
                    const char* profile);

void bench(const SpaceCase& sc, const char* mcu, const char* profile) {
  bench_networks(sc.file, sample_networks(sc, 500), mcu, profile);
}

// A network whose operator order is searched (branches), repeated to form the sample.
void bench_branched(const char* mcu, const char* profile) {
  const std::string path = std::string(HWNAS_SOURCE_DIR) + "/bench/networks/inception_blocks.json";
  bench_networks("bench/networks/inception_blocks", {hwnas::load_architecture(path)}, mcu, profile);
}

void bench_networks(const std::string& label, const std::vector<hwnas::Architecture>& archs, const char* mcu,
                    const char* profile) {
  const hwnas::CostTarget target = hwnas::CostTarget::make(*hwnas::McuDatabase::builtin().find(mcu),
                                                           *hwnas::RuntimeProfiles::builtin().find(profile));
  double layers = 0, checksum = 0;
  for (const auto& a : archs) layers += double(a.size());
  int64_t done = 0;
  const auto start = Clock::now();
  double seconds = 0;
  while (seconds < 1.0) {  // whole passes over the sample, at least one second
    for (const auto& a : archs) checksum += double(hwnas::estimate_costs(a, target).ram.total());
    done += int64_t(archs.size());
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
  }
  const double rate = double(done) / seconds;
  std::printf("%-34s %-10s %-14s %6.1f layers  %10.0f networks/s/core  %7.2f us/network  %s\n", label.c_str(), mcu, profile,
              layers / double(archs.size()), rate, 1e6 / rate, rate >= 100000 ? "meets 100k/s" : "BELOW 100k/s");
  if (checksum < 0) std::printf("impossible\n");  // keeps the loop from being optimised away
}

}  // namespace

int main() {
  std::printf("estimator speed, one thread (target: >= 100,000 networks/s/core for ~20-layer networks)\n");
  const SpaceCase cases[] = {{"configs/spaces/ds_cnn_2d.json", {49, 10, 1}, 12},
                             {"configs/spaces/ds_cnn_1d.json", {128, 1, 3}, 6},
                             {"configs/spaces/unas.json", {28, 28, 1}, 10},
                             {"configs/spaces/mcunet.json", {28, 28, 1}, 10}};
  for (const auto& sc : cases) {
    bench(sc, "nRF52840", "tflm-cmsis-nn");
    bench(sc, "STM32F746", "hwnas-c");
  }
  bench_branched("nRF52840", "tflm-cmsis-nn");
  bench_branched("STM32F746", "hwnas-c");
  return 0;
}
