// This file implements the nas-run command line: argument parsing (CLI11), logging
// setup and the thread limit, then one library call per subcommand. It holds the only
// top-level catch, which maps user errors to exit code 2 and machine failures to exit code 3.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/global_control.h>

#include "apps/calibrate_command.hpp"
#include "apps/estimate_command.hpp"
#include "apps/export_command.hpp"
#include "apps/inspect_command.hpp"
#include "apps/report_command.hpp"
#include "apps/train_command.hpp"
#include "search/initial_proposals.hpp"
#include "search/front_merge.hpp"
#include "search/run_config.hpp"
#include "search/run_search.hpp"
#ifdef HWNAS_HAVE_MPI
#include "search/mpi/mpi_session.hpp"
#endif
#include "search/space_report.hpp"
#include "util/atomic_file.hpp"
#include "util/errors.hpp"
#include "util/logging.hpp"
#include "util/stop_signal.hpp"

namespace {

constexpr int kUserErrorExit = 2;
// The machine failed the run (a full disk, an unwritable folder, memory): resumable.
constexpr int kEnvironmentExit = 3;
// The run ended but could not deliver a model (every final model failed, the export failed).
constexpr int kUndeliveredExit = 4;

struct Options {
  std::string log_level = "info";
  int threads = 0;
  std::string config;
  std::string out;
  int64_t seed = -1;
  std::string arch;
  bool resume = false;
  std::string run_dir;
  std::vector<std::string> run_dirs;  ///< merge
  bool json = false;
  int stats_samples = 1000;
  int sample = 0;
  hwnas::EstimateOptions estimate;
  hwnas::CalibrateOptions calibrate;
  hwnas::TrainCommandOptions train;
  hwnas::ExportCommandOptions export_;
  hwnas::ReportCommandOptions report;
};

const std::vector<std::string> kSubcommands = {"search", "resume", "merge", "validate", "inspect", "space", "estimate", "calibrate", "train", "export", "report"};

// `nas-run config.json` is `nas-run search config.json`: insert the subcommand when the
// first word is not one.
std::vector<std::string> with_default_subcommand(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("-", 0) == 0) {
      // skip an option's value ("--threads 2")
      const bool takes_value = args[i] == "--log-level" || args[i] == "--threads";
      if (takes_value) ++i;
      continue;
    }
    bool known = false;
    for (const auto& s : kSubcommands) known = known || args[i] == s;
    if (!known) args.insert(args.begin() + long(i), "search");
    break;
  }
  return args;
}

// Command-line overrides also go into the config's source, so the run directory's
// config.json says what the run really used.
void apply_search_overrides(hwnas::RunConfig& config, const Options& o) {
  if (o.seed >= 0) {
    config.search.seed = uint64_t(o.seed);
    config.source["search"]["seed"] = o.seed;
  }
  if (!o.out.empty()) {
    config.output.dir = o.out;
    config.output.if_exists = hwnas::IfExists::kFail;  // an explicit directory is never renamed
    config.source["output"]["dir"] = o.out;
  }
}

int report_search(const hwnas::RunSummary& s) {
  if (s.worker) return 0;  // rank 0 of an MPI search reports
  spdlog::info("{}: {} candidates evaluated ({} failed), {} rejected before training; results in {}",
               s.stopped_early ? "stopped" : "done", s.evaluated, s.failed, s.rejected, s.run_dir);
  if (s.stopped_early)
    spdlog::warn("stopped early ({}); every finished candidate is in {}/history.jsonl. Resume with: nas-run resume {}",
                 s.stop_reason, s.run_dir, s.run_dir);
  else
    spdlog::info("the run ended: {}", s.stop_reason);
  for (const std::string& problem : s.problems) spdlog::error("{}", problem);
  return s.problems.empty() ? 0 : kUndeliveredExit;
}

// How many copies of nas-run a launcher started together (1 when none did): srun's step
// tasks, or mpirun's / a PMI launcher's world size.
int launched_copies() {
  for (const char* variable : {"SLURM_STEP_NUM_TASKS", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* value = std::getenv(variable)) {
      char* end = nullptr;
      const long copies = std::strtol(value, &end, 10);
      if (end != value && *end == '\0' && copies > 1) return int(std::min(copies, 1L << 20));
    }
  return 1;
}

// Runs `search` with this process's MPI session when an MPI launcher (mpirun, srun)
// started it, else as one process. An error on one rank of several ends them all: the
// others would wait for it forever.
int with_mpi(const std::function<hwnas::RunSummary(const hwnas::MpiSession*)>& search) {
#ifdef HWNAS_HAVE_MPI
  if (hwnas::MpiSession::launched_by_mpi()) {
    hwnas::MpiSession mpi;
    try {
      return report_search(search(&mpi));
    } catch (const std::exception& e) {
      if (mpi.size() == 1) throw;
      const bool user = dynamic_cast<const hwnas::UserError*>(&e) != nullptr;
      const bool machine = hwnas::is_environment_failure(e);
      std::cerr << "nas-run: rank " << mpi.rank() << ": " << (user || machine ? "error: " : "internal error: ")
                << hwnas::printable_message(e.what()) << " (ending every rank)\n";
      mpi.abort(user ? kUserErrorExit : machine ? kEnvironmentExit : 1);
    }
  }
#endif
  // Several copies without MPI between them would run as many separate searches.
  if (launched_copies() > 1)
    throw hwnas::UserError(std::to_string(launched_copies()) + " copies of nas-run were started without MPI between "
#ifdef HWNAS_HAVE_MPI
                           "them (srun needs --mpi=pmix)"
#else
                           "them (this nas-run was built without MPI)"
#endif
                           ": each would run its own search; see docs/hpc.md, or start one task");
  return report_search(search(nullptr));
}

int run_search_command(const Options& o) {
  hwnas::RunConfig config = hwnas::load_run_config(o.config);
  apply_search_overrides(config, o);
  hwnas::install_stop_signal_handlers();
  if (o.resume) {
    if (!o.out.empty()) config.output.dir = o.out;
    return with_mpi([&](const hwnas::MpiSession* mpi) {
      return hwnas::resume_search(config, o.out.empty() ? hwnas::find_resumable_run(config) : o.out, o.threads, mpi);
    });
  }
  return with_mpi([&](const hwnas::MpiSession* mpi) { return hwnas::run_search(config, o.threads, mpi); });
}

int run_resume_command(const Options& o) {
  const hwnas::RunConfig config = hwnas::load_run_dir_config(o.run_dir);
  hwnas::install_stop_signal_handlers();
  return with_mpi([&](const hwnas::MpiSession* mpi) { return hwnas::resume_search(config, o.run_dir, o.threads, mpi); });
}

int run_validate_command(const Options& o) {
  const hwnas::RunConfig config = hwnas::load_run_config(o.config);
  hwnas::check_searchable(config);
  const hwnas::SearchSpace space = hwnas::make_search_space(config);
  const size_t initial = hwnas::initial_proposals(config, space).size();  // members of the space that fit
  std::cout << o.config << ": valid (space '" << space.name() << "' of 10^" << fmt::format("{:.1f}", space.log10_size())
            << " networks, " << config.targets.size() << " target" << (config.targets.size() == 1 ? "" : "s")
            << ", " << config.search.evaluations << " evaluations";
  if (initial > 0) std::cout << ", " << initial << " initial network" << (initial == 1 ? "" : "s");
  std::cout << ", output " << config.output.dir << ")\n";
  return 0;
}

int run_space_command(const Options& o) {
  hwnas::RunConfig config = hwnas::load_run_config(o.config);
  apply_search_overrides(config, o);
  const hwnas::SearchSpace space = hwnas::make_search_space(config);
  if (o.sample > 0) hwnas::require_empty_folder(o.out);
  const hwnas::SpaceReport report = hwnas::report_space(space, o.stats_samples, config.search.seed, config.targets,
                                                          config.search.min_budget_use);
  if (o.json)
    std::cout << hwnas::space_report_json(report).dump(2) << "\n";
  else
    std::cout << hwnas::format_space_report(report);
  if (o.sample > 0) {
    const int written = hwnas::write_space_samples(space, o.sample, config.search.seed, o.out);
    if (written < o.sample)
      spdlog::warn("the space has only {} distinct network(s); wrote them all", written);
    spdlog::info("wrote {} architecture(s) to {} (one <identity>/arch.json each, and samples.jsonl)", written, o.out);
  }
  return 0;
}

int run_merge_command(const Options& o) {
  const nlohmann::json merged = hwnas::merge_fronts(o.run_dirs);
  if (o.out.empty()) {
    std::cout << merged.dump(2) << "\n";
    return 0;
  }
  hwnas::write_file_atomically(o.out, merged.dump(2) + "\n");
  for (const auto& target : merged["targets"])
    spdlog::info("{} ({}): {} networks on the merged front of {} run(s)", target["mcu"].get<std::string>(),
                 target["runtime"].get<std::string>(), target["front"].size(), target["runs"].size());
  spdlog::info("wrote {}", o.out);
  return 0;
}

void build_cli(CLI::App& app, Options& o) {
  app.set_version_flag("--version", std::string("nas-run (hwnas) ") + HWNAS_VERSION);
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  app.add_option("--threads", o.threads, "training threads of this process (0: SLURM_CPUS_PER_TASK, else the cores of the node shared among the MPI ranks on it that train)")->check(CLI::Range(0, 4096))->capture_default_str();
  app.require_subcommand(1);

  auto* search = app.add_subcommand("search", "run an architecture search (also: nas-run CONFIG)");
  search->add_option("config", o.config, "config.json")->required()->check(CLI::ExistingFile);
  search->add_option("--seed", o.seed, "override search.seed")->check(CLI::Range(int64_t(0), int64_t(1) << 53));
  search->add_option("--out", o.out, "override output.dir (must not exist or be empty; with --resume: the run to resume)");
  search->add_flag("--resume", o.resume, "continue the run of this config from its checkpoint (see docs/search.md)");

  auto* resume = app.add_subcommand("resume", "continue an interrupted run from its checkpoint");
  resume->add_option("run_dir", o.run_dir, "the run directory")->required()->check(CLI::ExistingDirectory);

  auto* merge = app.add_subcommand("merge", "merge several runs' Pareto sets into one (a job array of searches)");
  merge->add_option("run_dirs", o.run_dirs, "run directories")->required()->check(CLI::ExistingDirectory);
  merge->add_option("--out", o.out, "write the merged Pareto set to this file (default: print it)");

  auto* validate = app.add_subcommand("validate", "check a config without running it");
  validate->add_option("config", o.config, "config.json")->required()->check(CLI::ExistingFile);

  auto* inspect = app.add_subcommand("inspect", "per-layer shapes, parameters and MACs of an arch.json or a .tflite model");
  inspect->add_option("arch", o.arch, "arch.json, or a .tflite file (its structure is read back)")->required()->check(CLI::ExistingFile);
  inspect->add_flag("--json", o.json, "print JSON instead of a table");

  auto* space = app.add_subcommand("space", "size of a config's search space and the ranges of its networks");
  space->add_option("config", o.config, "config.json")->required()->check(CLI::ExistingFile);
  space->add_option("--stats-samples", o.stats_samples, "random networks the ranges are computed over")
      ->check(CLI::Range(0, 10000000))
      ->capture_default_str();
  space->add_option("--sample", o.sample, "write this many distinct sampled architectures to --out")
      ->check(CLI::Range(0, 1000000));
  space->add_option("--out", o.out, "folder for --sample (must not exist or be empty)");
  space->add_option("--seed", o.seed, "override search.seed")->check(CLI::Range(int64_t(0), int64_t(1) << 53));
  space->add_flag("--json", o.json, "print JSON instead of a table");
  space->callback([&o] {
    if (o.sample > 0 && o.out.empty()) throw CLI::ValidationError("--sample", "needs --out DIR");
  });
  auto* estimate = app.add_subcommand("estimate", "flash, peak RAM, latency and energy of an arch.json or a .tflite model on MCUs");
  estimate->add_option("arch", o.estimate.arch_path, "arch.json, or a .tflite file (its structure is read back)")->required()->check(CLI::ExistingFile);
  estimate->add_option("--mcu", o.estimate.mcu, "a board of configs/mcus.json, or all")->capture_default_str();
  estimate->add_option("--profile", o.estimate.profile, "runtime profile: tflm-cmsis-nn, hwnas-c or a profile .json")
      ->capture_default_str();
  estimate->add_option("--calibration", o.estimate.calibration, "latency coefficients from nas-run calibrate")
      ->check(CLI::ExistingFile);
  estimate->add_option("--mcu-file", o.estimate.mcu_file, "extra boards, in the format of configs/mcus.json")
      ->check(CLI::ExistingFile);
  estimate->add_flag("--json", o.estimate.json, "print JSON instead of tables");
  for (auto* sub : {search, resume, merge, validate, inspect, space, estimate}) sub->fallthrough();
  hwnas::add_calibrate_subcommand(app, o.calibrate);
  hwnas::add_train_subcommand(app, o.train);
  hwnas::add_export_subcommand(app, o.export_);
  hwnas::add_report_subcommand(app, o.report);
}

int dispatch(CLI::App& app, const Options& o) {
  hwnas::setup_logging(o.log_level);
  // NOTE: bounds every TBB arena of the process, including the trainer's nested loops. A
  // search sets its own limit (search/run_search.cpp: its controller thread only waits).
  const bool searching = app.got_subcommand("search") || app.got_subcommand("resume");
  std::optional<tbb::global_control> limit;
  if (o.threads > 0 && !searching) limit.emplace(tbb::global_control::max_allowed_parallelism, size_t(o.threads));
  if (app.got_subcommand("validate")) return run_validate_command(o);
  if (app.got_subcommand("inspect")) return hwnas::run_inspect_command(o.arch, o.json);
  if (app.got_subcommand("space")) return run_space_command(o);
  if (app.got_subcommand("estimate")) return hwnas::run_estimate_command(o.estimate);
  if (app.got_subcommand("calibrate")) return hwnas::run_calibrate_command(o.calibrate);
  if (app.got_subcommand("train")) return hwnas::run_train_command(o.train);
  if (app.got_subcommand("export")) return hwnas::run_export_command(o.export_);
  if (app.got_subcommand("report")) return hwnas::run_report_command(o.report);
  if (app.got_subcommand("resume")) return run_resume_command(o);
  if (app.got_subcommand("merge")) return run_merge_command(o);
  return run_search_command(o);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nas-run: hardware-aware neural architecture search for microcontrollers.\n"
               "Usage: nas-run CONFIG | nas-run SUBCOMMAND ...   (see README.md and docs/config.md)",
               "nas-run"};
  Options options;
  build_cli(app, options);
  try {
    auto args = with_default_subcommand(argc, argv);
    std::reverse(args.begin(), args.end());  // CLI11 parses a reversed vector
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "nas-run: " << hwnas::printable_message(e.what()) << " (see nas-run --help)\n";
    return kUserErrorExit;
  }
  try {
    return dispatch(app, options);
  } catch (const hwnas::UserError& e) {
    std::cerr << "nas-run: error: " << hwnas::printable_message(e.what()) << "\n";
    return kUserErrorExit;
  } catch (const hwnas::EnvironmentError& e) {
    std::cerr << "nas-run: error: " << hwnas::printable_message(e.what()) << "\n";
    return kEnvironmentExit;
  } catch (const hwnas::StopRequested& e) {
    // Before the run's first checkpoint (checking a huge space): nothing to resume.
    std::cerr << "nas-run: stopped by a " << e.what() << " before the run began; start it again\n";
    return 128 + (hwnas::stop_signal_number() > 0 ? hwnas::stop_signal_number() : SIGTERM);
  } catch (const std::bad_alloc&) {
    std::cerr << "nas-run: error: out of memory\n";
    return kEnvironmentExit;
  } catch (const std::exception& e) {
    std::cerr << "nas-run: internal error: " << hwnas::printable_message(e.what()) << "\n";
    return 1;
  }
}
