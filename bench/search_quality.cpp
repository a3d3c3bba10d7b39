// This file implements bench/search-quality: how much better than random search the
// evolutionary strategies search, at a fixed budget of low-fidelity evaluations. For each
// strategy and seed it runs the whole search in-process (run_search, as `nas-run` does) on
// the same config, then scores each run by the hypervolume of its trained candidates in
//   (1 - int8 validation accuracy, latency / latency budget, RAM / RAM budget)
// on the first target, all minimised, against the fixed reference point (1, 1, 1). The
// budgets make the two costs unitless and comparable across configs; every candidate the
// search trains fits within (1 - safety_margin) of them, so every trained candidate
// dominates the reference point and counts (with a safety margin of 0, a candidate exactly
// at a budget adds no volume). Failed candidates contribute nothing.
// It prints per-seed hypervolumes, their mean and standard deviation, each evolutionary
// strategy's mean over random's, and PASS/FAIL "evolution beats random"; exit code 0 only
// when every evolutionary strategy's mean beats random's.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "search/history.hpp"
#include "search/pareto.hpp"
#include "search/run_config.hpp"
#include "search/run_search.hpp"
#include "util/errors.hpp"
#include "util/json_reader.hpp"
#include "util/logging.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const hwnas::ObjectivePoint kReference = {1.0, 1.0, 1.0};
constexpr int kCurveEvery = 8;  // hypervolume after every 8 evaluations, to see the trend

struct Options {
  std::string config = "bench/search_quality/config.json";
  std::vector<uint64_t> seeds = {1, 2, 3, 4, 5};
  std::vector<std::string> strategies = {"random", "aging_evolution", "nsga2"};
  int evaluations = 0;  ///< 0: the config's search.evaluations
  int threads = 2;
  std::string out;
};

struct RunResult {
  std::string strategy;
  uint64_t seed = 0;
  std::string run_dir;
  int evaluated = 0;
  int scored = 0;  ///< trained and quantised: the points of the hypervolume
  double best_accuracy = 0;  ///< highest int8 validation accuracy: what a single-objective search maximises
  double hypervolume = 0;
  std::vector<double> curve;  ///< hypervolume of the first kCurveEvery, 2 kCurveEvery, ... evaluations
  double seconds = 0;
  double cpu_seconds = 0;  ///< user + system time of the process over the run
};

// The budgets the two costs are divided by: the first target's.
struct Scale {
  std::string mcu;
  double latency_ms = 0;
  double ram_bytes = 0;
};

Scale scale_of(const hwnas::RunConfig& config) {
  const hwnas::TargetConfig& t = config.targets.front();
  if (t.max_latency_ms <= 0)
    throw hwnas::UserError(config.path + ": /targets/0/max_latency_ms: the benchmark normalises latency by it; set one");
  return {t.mcu.name, t.max_latency_ms, t.max_ram_kb * 1024.0};
}

// One objective point per trained-and-quantised rung-0 candidate, keyed by candidate index
// (history.jsonl is in completion order; the index is the order of proposal).
std::map<int, hwnas::ObjectivePoint> read_points(const std::string& history, const Scale& s) {
  std::map<int, hwnas::ObjectivePoint> points;
  for (const nlohmann::json& r : hwnas::read_history(history)) {
    if (r.value("rung", 0) != 0 || r.at("status") != "ok" || !r.contains("val_accuracy_int8")) continue;
    const nlohmann::json& cost = r.at("costs").at(s.mcu);
    points[r.at("index").get<int>()] = {1.0 - r.at("val_accuracy_int8").get<double>(),
                                        cost.at("latency_ms").get<double>() / s.latency_ms,
                                        cost.at("ram_bytes").get<double>() / s.ram_bytes};
  }
  return points;
}

double hypervolume_before(const std::map<int, hwnas::ObjectivePoint>& points, int evaluations) {
  std::vector<hwnas::ObjectivePoint> first;
  for (const auto& [index, p] : points)
    if (index < evaluations) first.push_back(p);
  return hwnas::hypervolume(first, kReference);
}

// CPU seconds this process has used: on a shared machine, wall time alone says little.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

RunResult run_one(const nlohmann::json& base, const Options& o, const std::string& strategy, uint64_t seed) {
  RunResult r;
  r.strategy = strategy;
  r.seed = seed;
  r.run_dir = (fs::absolute(o.out) / "runs" / (strategy + "-seed" + std::to_string(seed))).string();
  // Edit the JSON and parse it again, so the run's config.json (RunConfig::source) is
  // exactly what ran.
  nlohmann::json j = base;
  j["search"]["strategy"] = strategy;
  j["search"]["seed"] = seed;
  if (o.evaluations > 0) j["search"]["evaluations"] = o.evaluations;
  j["output"] = {{"dir", r.run_dir}, {"if_exists", "fail"}};
  const hwnas::RunConfig config = hwnas::parse_run_config(j, o.config);
  const Scale scale = scale_of(config);
  // NOTE: run_search adds its run.log to the default logger; a fresh logger per run keeps
  // each run's lines out of the earlier runs' logs.
  hwnas::setup_logging("warn");
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  const hwnas::RunSummary summary = hwnas::run_search(config, o.threads);
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.cpu_seconds = cpu_seconds() - cpu_start;
  r.evaluated = summary.evaluated;
  if (summary.stopped_early || summary.evaluated < config.search.evaluations)
    std::cerr << "search-quality: " << strategy << " seed " << seed << " ended after " << summary.evaluated
              << " evaluations: " << summary.stop_reason << "\n";
  const auto points = read_points(summary.run_dir + "/history.jsonl", scale);
  r.scored = int(points.size());
  r.hypervolume = hypervolume_before(points, config.search.evaluations);
  for (const auto& [index, p] : points)
    if (index < config.search.evaluations) r.best_accuracy = std::max(r.best_accuracy, 1.0 - p[0]);
  for (int k = kCurveEvery; k < config.search.evaluations + kCurveEvery; k += kCurveEvery)
    r.curve.push_back(hypervolume_before(points, std::min(k, config.search.evaluations)));
  return r;
}

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0.0 : sum / double(v.size());
}

// Sample standard deviation (n - 1): the seeds are a sample of the strategy's outcomes.
double std_of(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  const double m = mean_of(v);
  double sq = 0;
  for (double x : v) sq += (x - m) * (x - m);
  return std::sqrt(sq / double(v.size() - 1));
}

std::string timestamp() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", std::localtime(&now));
  return text;
}

// The table of hypervolumes; fills summary.json's per-strategy part and returns whether
// every evolutionary strategy's mean beat random's.
bool report(const Options& o, const std::vector<RunResult>& runs, nlohmann::json& by_strategy) {
  std::map<std::string, std::vector<const RunResult*>> of;
  for (const RunResult& r : runs) of[r.strategy].push_back(&r);
  std::map<uint64_t, double> random_hv;  // by seed: a seed's first population_size proposals are the same in every strategy
  for (const RunResult* r : of["random"]) random_hv[r->seed] = r->hypervolume;
  std::vector<double> random_list;
  for (const auto& [seed, hv] : random_hv) random_list.push_back(hv);
  const double random_mean = mean_of(random_list);

  std::cout << fmt::format("\nhypervolume of (1 - int8 val accuracy, latency / budget, RAM / budget), reference (1, 1, 1)\n");
  std::cout << fmt::format("{:<16}", "strategy");
  for (uint64_t s : o.seeds) std::cout << fmt::format(" {:>8}", "seed " + std::to_string(s));
  std::cout << fmt::format(" {:>8} {:>8} {:>10} {:>10}\n", "mean", "std", "vs random", "seeds won");
  bool all_beat = true;
  for (const std::string& name : o.strategies) {
    std::vector<double> hv, best, curve_sum;
    int won = 0;  // seeds where it beats random on the same seed (a paired view of the same runs)
    for (const RunResult* r : of[name]) {
      won += r->hypervolume > random_hv[r->seed] ? 1 : 0;
      hv.push_back(r->hypervolume);
      best.push_back(r->best_accuracy);
      curve_sum.resize(r->curve.size(), 0.0);
      for (size_t k = 0; k < r->curve.size(); ++k) curve_sum[k] += r->curve[k] / double(of[name].size());
    }
    const double ratio = random_mean > 0 ? mean_of(hv) / random_mean : 0.0;
    std::cout << fmt::format("{:<16}", name);
    for (double x : hv) std::cout << fmt::format(" {:>8.4f}", x);
    std::cout << fmt::format(" {:>8.4f} {:>8.4f} {:>9.3f}x {:>10}\n", mean_of(hv), std_of(hv), ratio,
                             name == "random" ? std::string("-") : fmt::format("{}/{}", won, hv.size()));
    nlohmann::json& s = by_strategy[name];
    s = {{"hypervolume", hv}, {"mean", mean_of(hv)}, {"std", std_of(hv)}, {"ratio_to_random", ratio},
         {"best_accuracy", best}, {"mean_best_accuracy", mean_of(best)}, {"seeds_won", won},
         {"mean_curve", curve_sum}, {"curve_every", kCurveEvery}};
    if (name != "random") {
      const bool beats = mean_of(hv) > random_mean;
      s["beats_random"] = beats;
      all_beat = all_beat && beats;
    }
  }
  return all_beat;
}

// What a single-objective view and the trend say, then the verdicts.
void report_trend_and_verdicts(const Options& o, const nlohmann::json& by_strategy) {
  std::cout << fmt::format("\nmean best int8 val accuracy | mean hypervolume after every {} evaluations\n", kCurveEvery);
  for (const std::string& name : o.strategies) {
    std::cout << fmt::format("{:<16} {:.4f} |", name, by_strategy[name]["mean_best_accuracy"].get<double>());
    for (double x : by_strategy[name]["mean_curve"]) std::cout << fmt::format(" {:>7.4f}", x);
    std::cout << "\n";
  }
  std::cout << "\n";
  for (const std::string& name : o.strategies)
    if (name != "random")
      std::cout << fmt::format("{}: evolution beats random ({} mean {:.4f} vs random {:.4f})\n",
                               by_strategy[name]["beats_random"].get<bool>() ? "PASS" : "FAIL", name,
                               by_strategy[name]["mean"].get<double>(), by_strategy["random"]["mean"].get<double>());
}

int run(Options o) {
  if (std::find(o.strategies.begin(), o.strategies.end(), "random") == o.strategies.end())
    throw hwnas::UserError("--strategies: must include random (the baseline)");
  if (o.out.empty()) o.out = "bench/results/search_quality/" + timestamp();
  const nlohmann::json base = hwnas::read_json_file(o.config);
  const auto start = Clock::now();
  std::vector<RunResult> runs;
  for (const std::string& strategy : o.strategies)
    for (uint64_t seed : o.seeds) {
      runs.push_back(run_one(base, o, strategy, seed));
      const RunResult& r = runs.back();
      std::cout << fmt::format("{:<16} seed {:<3} {:>3} evaluations ({} scored)  hypervolume {:.4f}  {:.0f} s ({:.0f} CPU s)\n",
                               r.strategy, r.seed, r.evaluated, r.scored, r.hypervolume, r.seconds, r.cpu_seconds)
                << std::flush;
    }
  nlohmann::json by_strategy = nlohmann::json::object();
  const bool pass = report(o, runs, by_strategy);
  report_trend_and_verdicts(o, by_strategy);
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  std::cout << fmt::format("{} runs in {:.0f} s ({:.0f} CPU s); results in {}\n", runs.size(), total, cpu_seconds(),
                           o.out);

  nlohmann::json run_list = nlohmann::json::array();
  for (const RunResult& r : runs)
    run_list.push_back({{"strategy", r.strategy}, {"seed", r.seed}, {"run_dir", r.run_dir},
                        {"evaluated", r.evaluated}, {"scored", r.scored}, {"hypervolume", r.hypervolume},
                        {"best_accuracy", r.best_accuracy},
                        {"curve", r.curve}, {"seconds", r.seconds}, {"cpu_seconds", r.cpu_seconds}});
  const nlohmann::json summary = {
      {"config", fs::absolute(o.config).lexically_normal().string()},
      {"objectives", {"1 - val_accuracy_int8", "latency_ms / max_latency_ms", "ram_bytes / (max_ram_kb * 1024)"}},
      {"target", "first target of the config"},
      {"reference", kReference},
      {"threads", o.threads},
      {"strategies", by_strategy},
      {"runs", run_list},
      {"evolution_beats_random", pass},
      {"wall_seconds", total},
      {"cpu_seconds", cpu_seconds()}};
  std::ofstream(fs::path(o.out) / "summary.json") << summary.dump(2) << "\n";
  return pass ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Hypervolume of aging evolution and NSGA-II against random search at a fixed budget of "
               "low-fidelity evaluations, over several seeds"};
  app.add_option("--config", o.config, "run config (search.strategy, seed and output.dir are set per run)");
  app.add_option("--seeds", o.seeds, "search seeds")->delimiter(',');
  app.add_option("--strategies", o.strategies, "strategies (random is the baseline)")
      ->delimiter(',')
      ->check(CLI::IsMember({"random", "aging_evolution", "nsga2"}));
  app.add_option("--evaluations", o.evaluations, "override search.evaluations")->check(CLI::PositiveNumber);
  app.add_option("--threads", o.threads, "worker threads per run")->check(CLI::NonNegativeNumber);
  app.add_option("--out", o.out, "results folder (default bench/results/search_quality/<time>)");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "search-quality: error: " << e.what() << "\n";
    return 2;
  }
}
