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
#include <tbb/info.h>
#include <tbb/task_arena.h>

#include "exporters/model_export.hpp"
#include "search/checkpoint.hpp"
#include "search/evaluator.hpp"
#include "search/feasible_sampler.hpp"
#include "search/run_directory.hpp"
#include "search/run_summary.hpp"
#include "search/search_controller.hpp"
#include "space/arch_json.hpp"
#include "trainers/dataset_resize.hpp"
#include "trainers/model_weights.hpp"
#include "trainers/quantized_model_io.hpp"
#include "trainers/training_loop.hpp"
#include "util/atomic_file.hpp"
#include "util/json_reader.hpp"
#include "util/logging.hpp"
#include "util/seeding.hpp"

namespace hwnas {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
constexpr uint64_t kDataStream = 3;

constexpr uint64_t kSubsetStream = 5;
constexpr uint64_t kSeedRunStream = 6;  // training k > 0 of a final model: derive_seed(its seed, 6, k)

// The data each candidate trains on: at the input resolution the space chose for it
// (resized once, on first use) and, for a low-fidelity evaluation, a class-stratified
// subset of the training split (the same subset for every candidate, so they compare
// fairly; validation and test stay whole). A final model's later trainings hold out
// other validation sets (load_search_data's validation_split), loaded on first use.
class CandidateData {
 public:
  CandidateData(const DatasetSplits& original, const RunConfig& config, uint64_t subset_seed)
      : m_original(original), m_config(config), m_seed(subset_seed) {}

  const DatasetSplits& at(const TensorShape& input, int64_t train_samples, int validation_split) {
    const TensorShape& own = m_original.train.sample_shape;
    const bool resized = input.h != own.h || input.w != own.w;
    const bool subset = train_samples > 0 && size_t(train_samples) < m_original.train.size();
    if (!resized && !subset && validation_split == 0) return m_original;
    std::lock_guard<std::mutex> lock(m_mutex);
    const DatasetSplits& base = validation_split == 0 ? m_original : other_split(validation_split);
    if (!resized && !subset) return base;
    auto& slot = m_variants[{input.h, input.w, subset ? train_samples : 0, validation_split}];
    if (!slot) {
      if (resized)
        spdlog::info("resizing the data from {}x{} to {}x{} for the candidates at that resolution", own.h, own.w,
                     input.h, input.w);
      DatasetSplits splits = resized ? resize_splits(base, input.h, input.w) : base;
      if (subset) splits.train = stratified_subset(splits.train, size_t(train_samples), m_seed);
      slot = std::make_unique<DatasetSplits>(std::move(splits));
    }
    return *slot;
  }

 private:
  const DatasetSplits& other_split(int k) {  // m_mutex held
    auto& slot = m_other_splits[k];
    if (!slot) {
      spdlog::info("loading validation split {} (search.final_seeds: each training holds out its own)", k);
      slot = std::make_unique<DatasetSplits>(load_search_data(m_config, k));
    }
    return *slot;
  }

  const DatasetSplits& m_original;
  const RunConfig& m_config;
  uint64_t m_seed;
  std::mutex m_mutex;
  std::map<int, std::unique_ptr<DatasetSplits>> m_other_splits;
  std::map<std::tuple<int, int, int64_t, int>, std::unique_ptr<DatasetSplits>> m_variants;
};

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

// Trains and scores one candidate, saves its files and appends its history line. A
// cancelled candidate records nothing: its result would not be the one an
// uninterrupted run gets.
void evaluate_one(Candidate& c, CandidateData& candidate_data, const RunConfig& config, RunDirectory& dir,
                  const std::atomic<bool>& cancel) {
  const std::string model_dir = dir.model_dir(c.identity);
  save_architecture(c.arch, model_dir + "/arch.json");
  save_cost_report(c, config, model_dir);
  const DatasetSplits& data = candidate_data.at(c.arch.input_shape(), c.fidelity.train_samples, 0);
  TrainingOptions training = config.training;
  training.cancel = &cancel;
  training.epochs = c.fidelity.epochs;
  if (c.fidelity.learning_rate > 0) training.learning_rate = c.fidelity.learning_rate;
  training.warmup_epochs = std::min(training.warmup_epochs, double(training.epochs));
  c.fidelity.train_samples = int64_t(data.train.size());
  // The final stage may train each model several times (search.final_seeds); the first
  // training uses the candidate's own seed and split, so final_seeds 1 is the plain
  // evaluation. Training k holds out validation split k: repeating trainings on one
  // validation set would average out the seeds' noise but not that set's own, which
  // decides as much between networks this close (bench/README.md, run 19).
  const int trainings = c.stage == "final" ? config.search.final_seeds : 1;
  std::vector<SeedRun> runs;
  std::vector<TrainedModel> models;
  std::vector<std::optional<Int8Outcome>> int8_models;
  for (int k = 0; k < trainings; ++k) {
    const uint64_t seed = k == 0 ? c.seed : derive_seed(c.seed, kSeedRunStream, uint64_t(k));
    const DatasetSplits& split = candidate_data.at(c.arch.input_shape(), c.fidelity.train_samples, k);
    models.push_back(train_model(c.arch, split.train, split.validation, &split.test, training, seed));
    if (cancel) {
      c.result.failure = kCancelledFailure;
      return;
    }
    std::optional<Int8Outcome>& int8 = int8_models.emplace_back();
    if (models.back().result.ok)
      int8 = quantize_with_optional_qat(c.arch, models.back(), split.train, split.validation, &split.test, training,
                                        config.int8, seed);
    if (int8) {  // the exported model says how its inputs were prepared
      int8->quantized.input_mean = split.input_mean;
      int8->quantized.input_std = split.input_std;
    }
    if (cancel) {
      c.result.failure = kCancelledFailure;
      return;
    }
    runs.push_back({seed, models.back().result, int8 ? int8->scores : Int8Scores{}});
    // One model's trainings take many minutes: say how each one ended.
    if (trainings > 1 && runs.back().int8.ok)
      spdlog::info("final {}: training {}/{} (seed {}, validation split {}) val int8 {:.4f}, test int8 {:.4f}",
                   c.identity, k + 1, trainings, seed, k, runs.back().int8.val_int8,
                   runs.back().int8.test_int8);
    if (!runs.back().result.ok || !runs.back().int8.ok) break;  // a failed training fails the candidate
  }
  size_t deployed = 0;
  if (trainings == 1) {
    c.result = runs[0].result;
    c.int8 = runs[0].int8;
  } else {
    deployed = combine_seed_runs(c, std::move(runs));
  }
  // The trained weights, for `nas-run train`-style reuse, and the int8 model that was
  // scored, for the exporters. A later rung's evaluation replaces an earlier one's.
  const TrainedModel& kept = models[deployed];
  if (kept.parameters.size() + kept.state.size() > 0) save_model_weights(model_dir, c.arch, kept);
  if (int8_models[deployed] && int8_models[deployed]->scores.ok)
    save_quantized_model(int8_models[deployed]->quantized, model_dir);
  dir.append_history(candidate_record(c));
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

// The exporters never cost a user the run: a failure is logged, the results stay.
void export_pareto_set(const RunDirectory& dir) {
  try {
    ExportRequest request;
    request.run_dir = dir.path();
    const auto exported = export_models(request);
    spdlog::info("exported the Pareto set ({} model(s)) to {}/export (C code, ONNX, cost reports; see docs/deploy.md)",
                 exported.size(), dir.path());
  } catch (const std::exception& e) {
    spdlog::error("exporting the Pareto set failed: {} (the run's results are intact; retry with nas-run export {})",
                  e.what(), dir.path());
  }
}

struct ResumePoint {
  Checkpoint checkpoint;
  HistoryRecords history;
};

RunSummary execute_search(const RunConfig& config, int threads, RunDirectory dir,
                          const std::optional<ResumePoint>& resume) {
  check_searchable(config);
  const auto start = Clock::now();
  add_log_file(dir.file("run.log"));
  dir.write_json("config.json", config.source);
  dir.write_json("space.json", config.space->document);
  // `workers` threads train; this thread only hands out work and sleeps in between, so the
  // arena reserves no slot for it and the process may run one thread more than workers.
  const int workers = threads > 0 ? threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, size_t(workers) + 1);
  tbb::task_arena arena(workers, 0);
  spdlog::info("hwnas {} | config {} | run directory {} | seed {} | strategy {} | threads {} | {} in flight",
               HWNAS_VERSION, config.path, dir.path(), config.search.seed,
               strategy_name(config.search.strategy), arena.max_concurrency(),
               config.search.parallel);

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
  CandidateData candidate_data(data, config, derive_seed(config.search.seed, kSubsetStream, 0));
  ThreadPoolEvaluator evaluator(arena, [&](Candidate& c, const std::atomic<bool>& cancel) {
    evaluate_one(c, candidate_data, config, dir, cancel);
  });
  SearchController controller(config, space, dir, evaluator, int64_t(data.train.size()));
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
    totals.failed += c.result.ok ? 0 : 1;
  }
  totals.stopped_early = outcome.interrupted;
  totals.stop_reason = outcome.end_reason;
  const nlohmann::json extra = {{"dataset", dataset_info(data)},
                                {"space", {{"name", space.name()}, {"log10_size", space.log10_size()}}},
                                {"threads", arena.max_concurrency()},
                                {"evaluations_by_stage", by_stage},
                                {"ranked_rung", outcome.top_rung},
                                {"wall_seconds", std::chrono::duration<double>(Clock::now() - start).count()}};
  dir.write_json("summary.json", make_summary(config, totals, ranked, extra));

  // Step 5: the Pareto set as deployable files. A stopped run exports when it ends.
  if (!outcome.interrupted) export_pareto_set(dir);
  return totals;
}

// history.jsonl by (candidate index, rung). A line cut short by a kill (no final newline) is
// dropped and cut from the file, so later appends start on a line of their own.
HistoryRecords read_history(const std::string& path) {
  HistoryRecords records;
  std::error_code ec;
  if (!fs::exists(path, ec)) return records;
  std::string text = read_file_text(path);
  const size_t complete = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  if (complete < text.size()) {
    spdlog::warn("{}: dropping an incomplete last line (the run was killed while writing it)", path);
    text.resize(complete);
    write_file_atomically(path, text);
  }
  size_t line_number = 0;
  for (size_t begin = 0; begin < text.size();) {
    const size_t end = text.find('\n', begin);
    ++line_number;
    try {
      nlohmann::json record = nlohmann::json::parse(text.substr(begin, end - begin));
      const std::pair<int, int> key{record.at("index").get<int>(), record.value("rung", 0)};
      records.emplace(key, std::move(record));
    } catch (const nlohmann::json::exception& e) {
      throw UserError(path + ":" + std::to_string(line_number) + ": not a history record (" + e.what() + ")");
    }
    begin = end + 1;
  }
  return records;
}

}  // namespace

DatasetSplits load_search_data(const RunConfig& config, int validation_split) {
  return load_dataset(config.dataset, derive_seed(config.search.seed, kDataStream, 0), validation_split);
}

RunSummary run_search(const RunConfig& config, int threads) {
  return execute_search(config, threads, RunDirectory::create(config.output), std::nullopt);
}

RunSummary resume_search(const RunConfig& config, const std::string& run_dir, int threads) {
  RunDirectory dir = RunDirectory::open(run_dir);
  ResumePoint resume;
  resume.checkpoint = load_checkpoint(dir.file("checkpoint.json"));
  if (resume.checkpoint.config_hash != config_hash(config.source)) {
    const nlohmann::json stored = read_json_file(dir.file("config.json"));
    const std::string where = first_config_difference(stored, config.source);
    throw UserError(config.path + ": differs from the run's config (" + dir.file("config.json") + ") at " +
                    (where.empty() ? std::string("an unknown place") : where) +
                    "; only search.evaluations, search.max_wall_minutes, search.target_accuracy and output may "
                    "change on resume (start a new run for other changes)");
  }
  resume.history = read_history(dir.file("history.jsonl"));
  return execute_search(config, threads, std::move(dir), resume);
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
