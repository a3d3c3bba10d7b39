// This file implements the end-to-end test of docs/hpc.md's batch scripts on a one-node
// Slurm cluster that scripts/slurm-local.sh starts (munge, slurmctld, slurmd from Debian):
// scripts/hpc/search.sbatch runs an MPI search through srun and gives the results of one
// process; scripts/hpc/search-array.sbatch runs one search per seed and `nas-run merge`
// joins their fronts. The test skips, and says why, only where Slurm cannot start.
#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "tests/run_comparison.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

nlohmann::json slurm_config(const std::string& out_dir) {
  nlohmann::json c = nlohmann::json::parse(R"({
    "dataset": {"format": "synthetic", "shape": [12, 12, 1], "classes": 3, "train_size": 1200, "test_size": 60},
    "space": {"name": "tiny", "stages": [
      {"block": "conv", "filters": {"choice": [4, 8]}, "kernel": {"choice": [3, 5]}, "stride": {"choice": [1, 2]}},
      {"block": "global_pool"},
      {"block": "classifier"}]},
    "targets": [{"mcu": "STM32F746"}],
    "search": {"strategy": "aging_evolution", "evaluations": 6, "seed": 4, "population_size": 3, "sample_size": 2,
               "parallel": 2, "fidelity": {"epochs": 1, "train_samples": 400}, "max_final": 2},
    "training": {"epochs": 2, "batch_size": 32}
  })");
  c["output"] = {{"dir", out_dir}};
  return c;
}

// The cluster, stopped however the test ends.
struct LocalSlurm {
  std::string state;
  int start_code = -1;
  std::string start_output;
  explicit LocalSlurm(std::string dir) : state(std::move(dir)) {
    const CommandResult r = run_command("bash '" + source_path("scripts/slurm-local.sh") + "' start '" + state + "'");
    start_code = r.exit_code;
    start_output = r.output;
  }
  ~LocalSlurm() { run_command("bash '" + source_path("scripts/slurm-local.sh") + "' stop '" + state + "'"); }
  std::string env() const { return "SLURM_CONF='" + state + "/slurm.conf' NAS_RUN='" + HWNAS_NAS_RUN + "' "; }
};

}  // namespace

TEST_CASE("slurm: docs/hpc.md's batch scripts run a search over srun and a job array of seeds") {
  TempDir dir("slurm");
  const LocalSlurm slurm(dir.file("cluster"));
  if (slurm.start_code == 3) {
    MESSAGE("skipped: Slurm cannot start on this machine: " << slurm.start_output);
    return;
  }
  INFO(slurm.start_output);
  REQUIRE(slurm.start_code == 0);

  const std::string single = dir.file("single");
  write_text(dir.file("single.json"), slurm_config(single).dump(2));
  REQUIRE(run_nas_run("'" + dir.file("single.json") + "' --log-level warn").exit_code == 0);

  // The multi-node script, sized down to this machine: 3 ranks on one node.
  write_text(dir.file("config.json"), slurm_config(dir.file("unused")).dump(2));
  const std::string run = dir.file("run");
  const CommandResult job =
      run_command(slurm.env() + "CONFIG='" + dir.file("config.json") + "' RUN_DIR='" + run +
                  "' sbatch --wait --nodes=1 --ntasks=3 --cpus-per-task=1 --overcommit --time=10 --output='" +
                  dir.file("search.out") + "' '" + source_path("scripts/hpc/search.sbatch") + "'");
  INFO(job.output);
  INFO(read_text(dir.file("search.out")));
  REQUIRE(job.exit_code == 0);
  CHECK(contains(read_text(dir.file("search.out")), "3 MPI ranks (rank 0 controls, 2 evaluate)"));
  check_same_run(single, run, 6 + 1);

  // The job array: two seeds, then their fronts merged.
  const CommandResult array =
      run_command(slurm.env() + "CONFIG='" + dir.file("config.json") + "' RUNS='" + dir.file("seeds") +
                  "' SEED0=4 sbatch --wait --array=0-1 --cpus-per-task=1 --overcommit --time=10 --output='" +
                  dir.file("array-%a.out") + "' '" + source_path("scripts/hpc/search-array.sbatch") + "'");
  INFO(array.output);
  REQUIRE(array.exit_code == 0);
  check_same_run(single, dir.file("seeds/seed-4"), 6 + 1);  // seed 4 is the single run's
  const CommandResult merge = run_nas_run("merge '" + dir.file("seeds/seed-4") + "' '" + dir.file("seeds/seed-5") +
                                          "' --out '" + dir.file("merged.json") + "'");
  INFO(merge.output);
  REQUIRE(merge.exit_code == 0);
  const nlohmann::json merged = nlohmann::json::parse(read_text(dir.file("merged.json")));
  CHECK(merged["targets"][0]["runs"].size() == 2);
  CHECK(!merged["targets"][0]["front"].empty());
}

}  // namespace hwnas::test

namespace hwnas::test {

TEST_CASE("slurm: docs/hpc.md shows the batch scripts the test runs, as they are") {
  const std::string doc = read_text(source_path("docs/hpc.md"));
  for (const char* script : {"scripts/hpc/search.sbatch", "scripts/hpc/search-array.sbatch"}) {
    INFO(script);
    CHECK(contains(doc, "```bash\n" + read_text(source_path(script)) + "```"));
  }
}

}  // namespace hwnas::test
