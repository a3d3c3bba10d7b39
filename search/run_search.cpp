// This file implements run_search (see run_search.hpp): the walking skeleton of the
// whole pipeline. The evaluation step trains candidates concurrently on the TBB pool;
// each finished candidate is appended to history.jsonl at once.
#include "search/run_search.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include <spdlog/spdlog.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "search/feasible_sampler.hpp"
#include "search/run_directory.hpp"
#include "search/run_summary.hpp"
#include "space/arch_json.hpp"
#include "util/atomic_file.hpp"
#include "trainers/dataset_resize.hpp"
#include "trainers/model_weights.hpp"
#include "util/logging.hpp"
#include "util/seeding.hpp"
#include "util/stop_signal.hpp"

namespace hwnas {

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kDataStream = 3;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string format_duration(double seconds) {
  const int s = int(seconds + 0.5);
  return s >= 60 ? std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s" : std::to_string(s) + "s";
}

// Shared state of the evaluation step: progress, the stop decision, totals.
struct EvaluationProgress {
  Clock::time_point start = Clock::now();
  std::mutex mutex;
  int done = 0;
  int total = 0;
  double best_val = -1;
  std::atomic<bool> stopping{false};
  std::string stop_reason;
};

bool should_stop(const RunConfig& config, EvaluationProgress& p) {
  if (p.stopping) return true;
  std::string reason;
  if (stop_requested()) reason = "stop signal (SIGINT/SIGTERM)";
  else if (config.search.max_wall_minutes > 0 && seconds_since(p.start) > 60.0 * config.search.max_wall_minutes)
    reason = "wall-time budget search.max_wall_minutes reached";
  if (reason.empty()) return false;
  std::lock_guard<std::mutex> lock(p.mutex);
  if (!p.stopping.exchange(true)) {
    p.stop_reason = reason;
    spdlog::warn("{}: finishing the candidates in training, starting no new ones", reason);
  }
  return true;
}

void report_finished(const Candidate& c, EvaluationProgress& p) {
  std::lock_guard<std::mutex> lock(p.mutex);
  ++p.done;
  if (c.result.ok && c.result.validation_accuracy > p.best_val) p.best_val = c.result.validation_accuracy;
  const double elapsed = seconds_since(p.start);
  const double eta = elapsed / p.done * (p.total - p.done);
  if (c.result.ok)
    spdlog::info("[{}/{}] {} val_acc {:.4f} int8 {} params {} MACs {} | {}: RAM {} B flash {} B {:.2f} ms ({:.1f}s) | best {:.4f} | ETA {}",
                 p.done, p.total, c.identity, c.result.validation_accuracy,
                 c.int8.ok ? fmt::format("{:.4f}{}", c.int8.val_int8, c.int8.qat_kept ? " (QAT)" : "")
                           : std::string("failed"),
                 c.arch.total_params(),
                 c.arch.total_macs(), c.costs[0].mcu, c.costs[0].costs.ram.total(), c.costs[0].costs.flash.total(),
                 c.costs[0].costs.latency_ms,
                 c.result.seconds, p.best_val, format_duration(eta));
  else
    spdlog::warn("[{}/{}] {} failed: {}", p.done, p.total, c.identity, c.result.failure);
}

// The data at each input resolution the space chooses, resized once on first use.
class DataByResolution {
 public:
  explicit DataByResolution(const DatasetSplits& original) : m_original(original) {}

  const DatasetSplits& at(const TensorShape& input) {
    const TensorShape& own = m_original.train.sample_shape;
    if (input.h == own.h && input.w == own.w) return m_original;
    std::lock_guard<std::mutex> lock(m_mutex);
    auto& slot = m_resized[{input.h, input.w}];
    if (!slot) {
      spdlog::info("resizing the data from {}x{} to {}x{} for the candidates at that resolution", own.h, own.w,
                   input.h, input.w);
      slot = std::make_unique<DatasetSplits>(resize_splits(m_original, input.h, input.w));
    }
    return *slot;
  }

 private:
  const DatasetSplits& m_original;
  std::mutex m_mutex;
  std::map<std::pair<int, int>, std::unique_ptr<DatasetSplits>> m_resized;
};

// The cost report of every target, with the operator order and arena plan each assumed:
// the exporter lays out the model's memory from exactly this plan.
void save_cost_report(const Candidate& c, const RunConfig& config, const std::string& model_dir) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : config.targets) {
    nlohmann::json report = cost_report_json(cost_report(c.arch, t.cost), t.cost);
    report["budgets"] = {{"max_ram_kb", t.max_ram_kb},
                         {"max_flash_kb", t.max_flash_kb},
                         {"max_latency_ms", t.max_latency_ms},
                         {"max_energy_uj", t.max_energy_uj},
                         {"safety_margin", t.safety_margin}};
    targets.push_back(std::move(report));
  }
  write_file_atomically(model_dir + "/cost_report.json",
                        nlohmann::json{{"id", c.identity}, {"targets", targets}}.dump(2) + "\n");
}

void evaluate_one(Candidate& c, DataByResolution& data_by_resolution, const RunConfig& config, RunDirectory& dir,
                  EvaluationProgress& progress, std::vector<char>& finished) {
  if (should_stop(config, progress)) return;
  save_architecture(c.arch, dir.model_dir(c.identity) + "/arch.json");
  save_cost_report(c, config, dir.model_dir(c.identity));
  const DatasetSplits& data = data_by_resolution.at(c.arch.input_shape());
  c.fidelity = {config.training.epochs, int64_t(data.train.size())};
  const TrainedModel trained = train_model(c.arch, data.train, data.validation, &data.test, config.training, c.seed);
  c.result = trained.result;
  // The trained weights, for `nas-run train`-style reuse and the exporters.
  if (trained.parameters.size() + trained.state.size() > 0)
    save_model_weights(dir.model_dir(c.identity), c.arch, trained);
  if (c.result.ok)
    c.int8 = score_int8(c.arch, trained, data.train, data.validation, &data.test, config.training, config.int8,
                        c.seed);
  dir.append_history(candidate_record(c));
  finished[size_t(c.index)] = 1;
  report_finished(c, progress);
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

}  // namespace

DatasetSplits load_search_data(const RunConfig& config) {
  return load_dataset(config.dataset, derive_seed(config.search.seed, kDataStream, 0));
}

RunSummary run_search(const RunConfig& config, int threads) {
  check_searchable(config);
  const auto start = Clock::now();
  RunDirectory dir = RunDirectory::create(config.output);
  add_log_file(dir.file("run.log"));
  dir.write_json("config.json", config.source);
  dir.write_json("space.json", config.space->document);
  tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
  spdlog::info("hwnas {} | config {} | run directory {} | seed {} | threads {}", HWNAS_VERSION, config.path,
               dir.path(), config.search.seed, arena.max_concurrency());

  // Step 1: data. Splits depend only on the seed.
  const DatasetSplits data = load_search_data(config);
  spdlog::info("dataset {}: {} train / {} validation / {} test samples of {}, {} classes", data.train.name,
               data.train.size(), data.validation.size(), data.test.size(), data.train.sample_shape.str(),
               data.train.num_classes);

  // Step 2: candidates that fit every target, before any training.
  const SearchSpace space(config.space, data.train.sample_shape, data.train.num_classes);
  SamplingOutcome sampled = sample_feasible(space, config.targets, config.search.evaluations,
                                            config.search.max_rejections, config.search.seed);
  spdlog::info("space {}: 10^{:.1f} members; {} candidates fit all targets ({} rejected before training, {} duplicates)",
               space.name(), space.log10_size(), sampled.candidates.size(), sampled.rejected, sampled.duplicates);

  // Step 3: train and score, several candidates in flight on the pool.
  EvaluationProgress progress;
  progress.total = int(sampled.candidates.size());
  std::vector<char> finished(sampled.candidates.size(), 0);
  DataByResolution data_by_resolution(data);
  arena.execute([&] {
    tbb::parallel_for(size_t(0), sampled.candidates.size(), [&](size_t i) {
      evaluate_one(sampled.candidates[i], data_by_resolution, config, dir, progress, finished);
    });
  });

  // Step 4: the summary.
  RunSummary totals;
  totals.run_dir = dir.path();
  totals.rejected = sampled.rejected;
  totals.duplicates = sampled.duplicates;
  std::vector<const Candidate*> evaluated;
  for (const auto& c : sampled.candidates) {
    if (!finished[size_t(c.index)]) continue;
    evaluated.push_back(&c);
    ++totals.evaluated;
    totals.failed += c.result.ok ? 0 : 1;
  }
  totals.stopped_early = progress.stopping;
  totals.stop_reason = progress.stop_reason;
  const nlohmann::json extra = {{"dataset", dataset_info(data)},
                                {"space", {{"name", space.name()}, {"log10_size", space.log10_size()}}},
                                {"threads", arena.max_concurrency()},
                                {"wall_seconds", seconds_since(start)}};
  dir.write_json("summary.json", make_summary(config, totals, evaluated, extra));
  return totals;
}

}  // namespace hwnas
