// This file implements the end-to-end tests of a search over MPI (search/mpi/): `mpirun
// -np 3` gives the history and Pareto sets of one process; workers that cannot read the
// data receive it from rank 0; a job stopped by SIGUSR1 (what a batch script forwards
// before the wall time) and a job killed outright both resume on another rank count with
// nothing lost. OpenMPI as root needs its two confirmation variables; --oversubscribe
// runs more ranks than this machine's cores.
#include <doctest/doctest.h>

#include <signal.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/run_comparison.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

// 8 search evaluations on 400 samples, 4 promoted to 2 epochs on all 1200, the fronts
// retrained with the 3-epoch recipe: about 20 evaluations of a second or less.
nlohmann::json mpi_config(const std::string& out_dir) {
  nlohmann::json c = nlohmann::json::parse(R"({
    "dataset": {"format": "synthetic", "shape": [12, 12, 1], "classes": 3, "train_size": 1500, "test_size": 60},
    "space": {"name": "tiny", "stages": [
      {"block": "conv", "filters": {"choice": [4, 8]}, "kernel": 3},
      {"block": "conv", "depth": {"min": 1, "max": 2}, "filters": {"choice": [4, 8]}, "kernel": {"choice": [3, 5]},
       "stride": {"choice": [1, 2]}},
      {"block": "global_pool"},
      {"block": "classifier"}]},
    "targets": [{"mcu": "STM32F746"}, {"mcu": "RP2040", "max_ram_kb": 16}],
    "search": {"strategy": "aging_evolution", "evaluations": 8, "seed": 3, "population_size": 4, "sample_size": 2,
               "parallel": 2, "fidelity": {"epochs": 1, "train_samples": 400}, "promotions": [{"epochs": 2}],
               "promotion_eta": 2, "max_final": 3},
    "training": {"epochs": 3, "batch_size": 32}
  })");
  c["output"] = {{"dir", out_dir}};
  return c;
}

const std::string kMpirun = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe ";

std::string mpirun(int ranks, const std::string& args) {
  return kMpirun + "-np " + std::to_string(ranks) + " '" + HWNAS_NAS_RUN + "' --threads 1 --log-level warn " + args;
}

// The run of one process that every MPI run must equal.
std::string single_process_run(const TempDir& dir) {
  const std::string out = dir.file("single");
  write_text(dir.file("single.json"), mpi_config(out).dump(2));
  const CommandResult r = run_nas_run("'" + dir.file("single.json") + "' --threads 2 --log-level warn");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  return out;
}

// A run on the first 1200 Fashion-MNIST images: the data come from files.
nlohmann::json file_config(const std::string& out_dir, const std::string& train_images) {
  nlohmann::json c = mpi_config(out_dir);
  c["dataset"] = {{"format", "idx"},
                  {"train_images", train_images},
                  {"train_labels", "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"},
                  {"test_images", "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"},
                  {"test_labels", "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"},
                  {"train_limit", 1200},
                  {"test_limit", 100}};
  return c;
}

}  // namespace

TEST_CASE("mpi: copies of nas-run started together without MPI are refused, not run as separate searches") {
  TempDir dir("mpi-copies");
  write_text(dir.file("c.json"), mpi_config(dir.file("run")).dump(2));
  // What `srun -n 3 nas-run ...` without --mpi=pmix gives each copy.
  const CommandResult r = run_command("SLURM_STEP_NUM_TASKS=3 '" + std::string(HWNAS_NAS_RUN) + "' '" +
                                      dir.file("c.json") + "'");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, "3 copies of nas-run were started without MPI"));
  CHECK_FALSE(std::filesystem::exists(dir.file("run")));
}

#ifdef HWNAS_HAVE_MPI

TEST_SUITE("mpi") {
  TEST_CASE("mpirun -np 3 gives the history and Pareto sets of one process") {
    TempDir dir("mpi");
    const std::string single = single_process_run(dir);
    const std::string out = dir.file("np3");
    write_text(dir.file("np3.json"), mpi_config(out).dump(2));
    const CommandResult r = run_command(mpirun(3, "'" + dir.file("np3.json") + "'"));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    check_same_run(single, out, 8 + 4 + 1);
    CHECK(contains(read_text(out + "/run.log"), "3 MPI ranks (rank 0 controls, 2 evaluate)"));
  }

  TEST_CASE("workers that cannot read the dataset receive it from rank 0, with the same results") {
    TempDir dir("mpi-data");
    const std::string images = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
    const std::string single = dir.file("single"), out = dir.file("np3");
    write_text(dir.file("good.json"), file_config(single, images).dump(2));
    REQUIRE(run_nas_run("'" + dir.file("good.json") + "' --threads 2 --log-level warn").exit_code == 0);
    // The workers' config names a copy of the images cut after 1000 bytes: it exists (the
    // config is valid) but cannot be read, as on a node without the data.
    write_text(dir.file("cut.gz"), read_text(images).substr(0, 1000));
    write_text(dir.file("cut.json"), file_config(out, dir.file("cut.gz")).dump(2));
    const std::string nas_run = std::string("'") + HWNAS_NAS_RUN + "' --threads 1 --log-level info search ";
    const CommandResult r = run_command(kMpirun + "-np 1 " + nas_run + "'" + dir.file("good.json") + "' --out '" + out +
                                        "' : -np 2 " + nas_run + "'" + dir.file("cut.json") + "' --out '" + out + "'");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.output, "rank 1: cannot read the dataset"));
    CHECK(contains(r.output, "receiving it from rank 0"));
    CHECK(contains(r.output, "sending the dataset to the worker ranks that cannot read it"));
    check_same_run(single, out, 8 + 4 + 1);
  }

  TEST_CASE("an MPI job stopped, killed, or ended by a dead worker resumes on another rank count, nothing lost") {
    TempDir dir("mpi-resume");
    const std::string single = single_process_run(dir);
    // SIGUSR1: a clean stop; SIGKILL: the whole job killed; 0: worker rank 1 killed alone,
    // which ends the job (MPI's default) with mpirun's message.
    for (const int signal : {SIGUSR1, SIGKILL, 0}) {
      const std::string name = signal == SIGKILL ? "killed" : signal == 0 ? "dead-worker" : "stopped";
      const std::string out = dir.file(name);
      write_text(dir.file(name + ".json"), mpi_config(out).dump(2));
      // setsid: the job is a process group of its own, so SIGKILL reaches mpirun and every rank.
      const std::string log = dir.file(name + ".log");
      const CommandResult started = run_command("setsid sh -c \"" + mpirun(3, "'" + dir.file(name + ".json") + "'") +
                                                " > '" + log + "' 2>&1 & echo \\$! > '" + dir.file("pid") + "'\"");
      REQUIRE(started.exit_code == 0);
      // Wait until a few results are in, then interrupt the job.
      for (int i = 0; i < 3000 && count_file_lines(out + "/history.jsonl") < 3; ++i) usleep(10000);
      REQUIRE(count_file_lines(out + "/history.jsonl") >= 3);
      std::string pid = read_text(dir.file("pid"));
      pid.erase(pid.find_last_not_of(" \n") + 1);
      if (signal == SIGKILL)
        run_command("kill -KILL -- -$(ps -o pgid= " + pid + " | tr -d ' ')");
      else if (signal == SIGUSR1)
        run_command("kill -USR1 " + pid);
      else  // the rank whose environment says it is rank 1 of the job
        run_command("for p in $(pgrep -f '" + dir.file(name + ".json") + "'); do tr '\\0' '\\n' < /proc/$p/environ | "
                    "grep -qx OMPI_COMM_WORLD_RANK=1 && kill -KILL $p; done");
      // A zombie answers kill -0 (nobody may reap it here): ask for a live state instead.
      const auto alive = [&] { return run_command("ps -o stat= -p " + pid + " | grep -q '^[^Z]'").exit_code == 0; };
      for (int i = 0; i < 600 && alive(); ++i) usleep(50000);
      CHECK_FALSE(alive());
      INFO(read_text(log));
      if (signal == SIGUSR1) CHECK(contains(read_text(log), "Resume with: nas-run resume"));
      if (signal == 0) CHECK(contains(read_text(log), "process rank 1"));  // mpirun names the rank that died
      const CommandResult resumed = run_command(mpirun(2, "resume '" + out + "'"));
      INFO(resumed.output);
      REQUIRE(resumed.exit_code == 0);
      check_same_run(single, out, 8 + 4 + 1);
    }
  }
}

#else

TEST_CASE("mpi: this build has no MPI (HWNAS_MPI off or OpenMPI missing)") {
  MESSAGE("skipped: the MPI tests need a build with MPI (scripts/install-deps.sh build installs OpenMPI)");
}

#endif

}  // namespace hwnas::test
