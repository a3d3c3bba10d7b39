// This file implements run_search and resume_search (see run_search.hpp): the pipeline
// behind `nas-run config.json`. It reads like a script of named steps: open the run
// directory, load the data, bind the space, then let the search controller propose
// candidates that fit every target and have the evaluator train and score them; each
// finished candidate is appended to history.jsonl at once.
#include "search/run_search.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>

#include <spdlog/spdlog.h>
#include <tbb/global_control.h>
#include <fmt/format.h>
#include <tbb/task_arena.h>

#include "search/candidate_evaluation.hpp"
#include "search/checkpoint.hpp"
#include "search/evaluator.hpp"
#include "search/thread_budget.hpp"
#include "search/history.hpp"
#include "search/run_directory.hpp"
#include "search/run_export.hpp"
#include "search/run_report.hpp"
#include "search/run_summary.hpp"
#include "search/search_controller.hpp"
#include "search/target_budgets.hpp"
#include "search/training_data.hpp"
#include "space/arch_json.hpp"
#include "trainers/deploy/quantized_model_io.hpp"
#include "trainers/training/model_weights.hpp"
#include "util/atomic_file.hpp"
#include "util/errors.hpp"
#include "util/json_reader.hpp"
#include "util/logging.hpp"
#include "util/seed_streams.hpp"

#ifdef HWNAS_HAVE_MPI
#include "search/mpi/mpi_evaluator.hpp"
#include "search/mpi/mpi_worker.hpp"
#endif

namespace hwnas {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The cost report of every target, with the operator order and arena plan each assumed:
// the exporter lays out the model's memory from exactly this plan.
void save_cost_report(const Candidate& c, const RunConfig& config, const std::string& model_dir) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : config.targets) {
    nlohmann::json report = cost_report_json(cost_report(c.arch, t.cost), t.cost);
    report["budgets"] = budgets_json(t);
    targets.push_back(std::move(report));
  }
  write_file_atomically(model_dir + "/cost_report.json",
                        nlohmann::json{{"id", c.identity}, {"targets", targets}}.dump(2) + "\n");
}

// Records one finished evaluation: the model's files (a later rung's replace an earlier
// one's), then its history line, which is what makes it count on resume.
void record_evaluation(Candidate& c, const EvaluationResult& r, const RunConfig& config, const RunDirectory& dir,
                       HistoryWriter& history) {
  c.scores = r.scores;
  c.fidelity.train_samples = r.train_samples;
  const std::string model_dir = dir.model_dir(c.identity);
  save_architecture(c.arch, model_dir + "/arch.json");
  save_cost_report(c, config, model_dir);
  // The trained weights, for `nas-run train`-style reuse, and the int8 model that was
  // scored, for the exporters.
  if (r.weights.parameters.size() + r.weights.state.size() > 0) save_model_weights(model_dir, c.arch, r.weights);
  if (r.int8_model) save_quantized_model(*r.int8_model, model_dir);
  c.finished_at = history_timestamp();  // the report's progress against wall time
  history.append(candidate_record(c));
}

// The compact description of what to evaluate: the candidate's network, fidelity and seed.
EvaluationRequest evaluation_request(const Candidate& c, const RunConfig& config) {
  return {c.arch, c.fidelity, c.seed, c.stage == "final" ? config.search.final_seeds : 1, 0};
}

nlohmann::json dataset_info(const DatasetSplits& d) {
  const TensorShape& s = d.train.sample_shape;
  return {{"name", d.train.name},
          {"shape", {s.h, s.w, s.c}},
          {"classes", d.train.num_classes},
          {"train", d.train.size()},
          {"validation", d.validation.size()},
          {"test", d.test.size()}};
}

// The Pareto set as deployable files; what the run could not deliver goes to `problems`.
// An exporter's failure costs no result (they stay in the run directory, and `nas-run
// export` retries); a machine failure propagates: the run stops like any other write.
void export_pareto_set(const RunDirectory& dir, std::vector<std::string>& problems) {
  try {
    ExportRequest request;
    request.run_dir = dir.path();
    const auto exported = export_models(request);
    if (exported.empty()) {
      problems.push_back("the run ended without a model to deploy: the Pareto set is empty (see " +
                         dir.file("summary.json") + " and the log for why no candidate qualified)");
      return;
    }
    spdlog::info("exported the Pareto set ({} model(s)) to {}/export (C code, ONNX, TF Lite, cost reports; see "
                 "docs/deploy.md)",
                 exported.size(), dir.path());
  } catch (const std::exception& e) {
    if (is_environment_failure(e)) throw;
    problems.push_back(std::string("exporting the Pareto set failed: ") + e.what() +
                       " (the run's results are intact; retry with nas-run export " + dir.path() + ")");
  }
}

// The final stage must leave a model: when every candidate it trained failed, there is
// nothing to deploy even though the run ran to its end.
void check_final_stage(const std::vector<const Candidate*>& ranked, const SearchOutcome& outcome,
                       std::vector<std::string>& problems) {
  if (outcome.interrupted || ranked.empty()) return;
  for (const Candidate* c : ranked)
    if (c->scores.ok()) return;
  problems.push_back("every one of the " + std::to_string(ranked.size()) + " candidate(s) of the " +
                     ranked.front()->stage + " stage failed (their failures are in history.jsonl)");
}

// This process's place in an MPI job: rank 0 of 1, alone on its node, without MPI.
struct MpiView {
  int rank = 0;
  int ranks = 1;
  int local_workers = 1;  ///< ranks of this node that train (rank 0 of several only hands out work)
};

MpiView mpi_view(const MpiSession* mpi) {
#ifdef HWNAS_HAVE_MPI
  if (mpi) return {mpi->rank(), mpi->size(), mpi->local_workers()};
#endif
  (void)mpi;
  return {};
}

// A worker rank of an MPI search: it evaluates what rank 0 sends and has no run directory.
RunSummary run_worker(const RunConfig& config, int threads, const MpiSession& mpi) {
#ifdef HWNAS_HAVE_MPI
  run_mpi_worker(mpi, config, threads > 0 ? threads : default_threads(mpi.local_workers()));
#else
  (void)config, (void)threads, (void)mpi;
#endif
  RunSummary worker;
  worker.worker = true;
  return worker;
}

struct ResumePoint {
  Checkpoint checkpoint;
  HistoryRecords history;
};

RunSummary execute_search(const RunConfig& config, int threads, const MpiSession* mpi, RunDirectory dir,
                          const std::optional<ResumePoint>& resume) {
  check_searchable(config);
  const auto start = Clock::now();
  add_log_file(dir.file("run.log"));
  dir.write_json("config.json", config.source);
  dir.write_json("space.json", config.space->document);
  // `workers` threads train; this thread only hands out work and sleeps in between, so the
  // arena reserves no slot for it and the process may run one thread more than workers.
  const int workers = threads > 0 ? threads : default_threads(mpi_view(mpi).local_workers);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, size_t(workers) + 1);
  tbb::task_arena arena(workers, 0);
  spdlog::info("hwnas {} | config {} | run directory {} | seed {} | strategy {} | threads {} | {} in flight{}",
               HWNAS_VERSION, config.path, dir.path(), config.search.seed,
               strategy_name(config.search.strategy), arena.max_concurrency(), config.search.parallel,
               mpi_view(mpi).ranks > 1 ? fmt::format(" | {} MPI ranks (rank 0 controls, {} evaluate)",
                                                     mpi_view(mpi).ranks, mpi_view(mpi).ranks - 1)
                                       : std::string());

  // Step 1: data. Splits depend only on the seed.
  const DatasetSplits data = load_search_data(config);
  spdlog::info("dataset {}: {} train / {} validation / {} test samples of {}, {} classes", data.train.name,
               data.train.size(), data.validation.size(), data.test.size(), data.train.sample_shape.str(),
               data.train.num_classes);

  // Step 2: the space, bound to the data.
  const SearchSpace space(config.space, data.train.sample_shape, data.train.num_classes);
  spdlog::info("space {}: 10^{:.1f} members; candidates that do not fit every target are rejected before training",
               space.name(), space.log10_size());
  for (const BudgetFloor& f : config.search.min_budget_use)
    spdlog::info("so are candidates that use less than {:.0f}% of the {} budget on every target (search.min_budget_use)",
                 100.0 * f.share, budget_names()[size_t(f.budget)]);

  // Step 3: propose, train and score until a budget ends the run.
  TrainingData training_data(
      data, [&config](int k) { return load_search_data(config, k); },
      derive_seed(config.search.seed, seed_stream::kSubset, 0));
  const EvaluationRecipe recipe{config.training, config.int8};
  HistoryWriter history(dir.file(kHistoryFile));
  // report.html follows the history (throttled), for a user who refreshes it during the run.
  ReportRefresher report(dir.path());
  const auto record = [&](Candidate& c, const EvaluationResult& r) {
    record_evaluation(c, r, config, dir, history);
    report.refresh();
  };
  std::unique_ptr<Evaluator> evaluator;
#ifdef HWNAS_HAVE_MPI
  if (mpi_view(mpi).ranks > 1) {
    share_data_with_workers(*mpi, config, data);
    if (config.search.parallel < mpi->size() - 1)
      spdlog::warn("search.parallel {} keeps only {} of the {} worker ranks busy during the search phase; set it to at "
                   "least {} (it is part of the config: the results depend on it, not on the rank count)",
                   config.search.parallel, config.search.parallel, mpi->size() - 1, mpi->size() - 1);
    evaluator = std::make_unique<MpiEvaluator>(
        *mpi, [&config](const Candidate& c) { return evaluation_request(c, config); }, record);
  }
#endif
  if (!evaluator)
    evaluator = std::make_unique<ThreadPoolEvaluator>(arena, [&](Candidate& c, const std::atomic<bool>& cancel) {
      const EvaluationResult r = evaluate_candidate(evaluation_request(c, config), recipe, training_data, &cancel);
      c.scores.status = r.scores.status;
      // A cancelled evaluation records nothing: its result would not be an uninterrupted run's.
      if (r.scores.status != EvaluationStatus::kCancelled) record(c, r);
    });
  SearchController controller(config, space, dir, *evaluator, int64_t(data.train.size()));
  if (resume) controller.restore(resume->checkpoint, resume->history);
  const SearchOutcome outcome = controller.run();

  // Step 4: the summary.
  RunSummary totals;
  totals.run_dir = dir.path();
  totals.rejected = outcome.rejected;
  totals.duplicates = outcome.duplicates;
  std::vector<const Candidate*> ranked;  // the evaluations of the highest rung reached
  nlohmann::json by_stage = nlohmann::json::object();
  for (const auto& c : outcome.evaluated) {
    if (c.rung == outcome.top_rung) ranked.push_back(&c);
    by_stage[c.stage] = by_stage.value(c.stage, 0) + 1;
    ++totals.evaluated;
    totals.failed += c.scores.ok() ? 0 : 1;
  }
  totals.stopped_early = outcome.interrupted;
  totals.stop_reason = outcome.end_reason;
  check_final_stage(ranked, outcome, totals.problems);
  const nlohmann::json extra = {{"dataset", dataset_info(data)},
                                {"space", {{"name", space.name()}, {"log10_size", space.log10_size()}}},
                                {"threads", arena.max_concurrency()},
                                {"evaluations_by_stage", by_stage},
                                {"ranked_rung", outcome.top_rung},
                                {"wall_seconds", std::chrono::duration<double>(Clock::now() - start).count()}};
  // Step 5: the Pareto set as deployable files. A stopped run exports when it ends.
  if (!outcome.interrupted) export_pareto_set(dir, totals.problems);
  dir.write_json("summary.json", make_summary(config, totals, ranked, extra));
  // Step 6: the report of it all, with links to the exported files.
  report.finish();
  return totals;
}

// A failure of the machine stops the run where it is: the checkpoint and history.jsonl on
// disk are the last good state (every write is atomic or cut back), so the message says
// how to go on.
RunSummary execute_search_or_stop(const RunConfig& config, int threads, const MpiSession* mpi, RunDirectory dir,
                                  const std::optional<ResumePoint>& resume) {
  const std::string path = dir.path();
  const std::string hint = "; the run stopped, keeping every finished result in " + path +
                           ": fix the cause (free disk space or memory, make the folder writable), then continue "
                           "with nas-run resume " + path;
  try {
    return execute_search(config, threads, mpi, std::move(dir), resume);
  } catch (const EnvironmentError& e) {
    throw EnvironmentError(e.what() + hint);
  } catch (const std::bad_alloc&) {
    throw EnvironmentError("out of memory" + hint);
  }
}

}  // namespace

DatasetSplits load_search_data(const RunConfig& config, int validation_split) {
  return load_dataset(config.dataset, derive_seed(config.search.seed, seed_stream::kData, 0), validation_split);
}

RunSummary run_search(const RunConfig& config, int threads, const MpiSession* mpi) {
  if (mpi_view(mpi).rank > 0) return run_worker(config, threads, *mpi);
  return execute_search_or_stop(config, threads, mpi, RunDirectory::create(config.output), std::nullopt);
}

RunSummary resume_search(const RunConfig& config, const std::string& run_dir, int threads, const MpiSession* mpi) {
  if (mpi_view(mpi).rank > 0) return run_worker(config, threads, *mpi);
  RunDirectory dir = RunDirectory::open_for_writing(run_dir);
  ResumePoint resume;
  resume.checkpoint = load_checkpoint(dir.file("checkpoint.json"));
  if (resume.checkpoint.config_hash != config_hash(config.source)) {
    const nlohmann::json stored = read_json_file(dir.file("config.json"));
    const std::string where = first_config_difference(stored, config.source);
    // No difference to the stored copy: that copy itself was edited after the run started
    // (the checkpoint keeps only the original's hash, so the place cannot be named).
    if (where.empty())
      throw UserError(dir.file("config.json") + ": edited after the run started (it no longer matches the "
                      "checkpoint's config); restore the config the run started with, or start a new run");
    throw UserError(config.path + ": differs from the run's config (" + dir.file("config.json") + ") at " + where +
                    "; only search.evaluations, search.max_wall_minutes, search.target_accuracy and output may "
                    "change on resume (start a new run for other changes)");
  }
  if (const int removed = remove_abandoned_temporaries(dir.path()))
    spdlog::info("removed {} temporary file(s) that an interrupted write left in {}", removed, dir.path());
  const std::string history = dir.file(kHistoryFile);
  resume.history = records_by_evaluation(read_history(history), history);
  return execute_search_or_stop(config, threads, mpi, std::move(dir), resume);
}

RunConfig load_run_dir_config(const std::string& run_dir) {
  const RunDirectory dir = RunDirectory::open(run_dir);
  const Checkpoint checkpoint = load_checkpoint(dir.file("checkpoint.json"));
  // Parsed as if it were the original file, so its relative data paths resolve as they did.
  RunConfig config = parse_run_config(read_json_file(dir.file("config.json")), checkpoint.config_path);
  config.output.dir = dir.path();
  return config;
}

std::string find_resumable_run(const RunConfig& config) {
  std::string found;
  for (int n = 1; n < 100000; ++n) {
    const std::string candidate = n == 1 ? config.output.dir : config.output.dir + "-" + std::to_string(n);
    std::error_code ec;
    if (!fs::exists(candidate, ec)) {
      if (n > 1) break;
      continue;
    }
    if (fs::exists(fs::path(candidate) / "checkpoint.json", ec)) found = candidate;
  }
  if (found.empty())
    throw UserError(config.path + ": /output/dir: no run to resume (no checkpoint.json in " + config.output.dir +
                    " or its numbered siblings)");
  return found;
}

}  // namespace hwnas
