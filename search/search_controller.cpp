// This file implements the search controller (see search_controller.hpp).
#include "search/search_controller.hpp"

#include <spdlog/spdlog.h>

#include "search/feasible_sampler.hpp"
#include "search/pareto_report.hpp"
#include "util/seeding.hpp"
#include "util/stop_signal.hpp"

namespace hwnas {

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kSamplingStream = 1;  // the proposal generator
constexpr uint64_t kTrainingStream = 2;  // candidate k trains from derive_seed(seed, 2, k)

std::string format_duration(double seconds) {
  const int s = int(seconds + 0.5);
  if (s >= 3600) return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
  return s >= 60 ? std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s" : std::to_string(s) + "s";
}

double cost_value(const CostEstimate& e, CostObjective o) {
  switch (o) {
    case CostObjective::kLatency: return e.latency_ms;
    case CostObjective::kRam: return double(e.ram.total());
    case CostObjective::kFlash: return double(e.flash.total());
    case CostObjective::kEnergy: return std::max(e.energy_uj, 0.0);
  }
  return 0.0;
}

}  // namespace

SearchController::SearchController(const RunConfig& config, const SearchSpace& space, RunDirectory& dir,
                                   Evaluator& evaluator)
    : m_config(config),
      m_space(space),
      m_dir(dir),
      m_evaluator(evaluator),
      m_strategy(make_strategy(config.search)),
      m_source(space, [&config](const DecodedNetwork& n) { return fits_all(cost_on_targets(n.arch, config.targets)); },
               config.search.max_rejections, derive_seed(config.search.seed, kSamplingStream, 0)) {}

Candidate SearchController::make_candidate(int index, Genome genome) const {
  DecodedNetwork n = m_space.decode_detailed(genome);
  Candidate c{index, std::move(genome), std::move(n.identity),
              derive_seed(m_config.search.seed, kTrainingStream, uint64_t(index)), std::move(n.arch), {}, {}, {}, {}};
  c.costs = cost_on_targets(c.arch, m_config.targets);
  return c;
}

Observation SearchController::observation_of(const Candidate& c) const {
  Observation o;
  o.index = c.index;
  o.genome = c.genome;
  o.accuracy = selection_accuracy(c);
  o.ok = o.accuracy >= 0;
  o.objectives.push_back(1.0 - std::max(o.accuracy, 0.0));
  for (const TargetCost& t : c.costs)
    for (CostObjective k : m_config.search.objectives) o.objectives.push_back(cost_value(t.costs, k));
  return o;
}

void SearchController::restore(const Checkpoint& checkpoint, const std::map<int, nlohmann::json>& history) {
  m_strategy->restore(checkpoint.strategy);
  m_source.restore(checkpoint.source);
  m_proposed = checkpoint.proposed;
  m_observed = checkpoint.observed;
  const auto record_of = [&](int index) -> const nlohmann::json& {
    const auto it = history.find(index);
    if (it == history.end())
      throw UserError(m_dir.file("history.jsonl") + ": no line for candidate " + std::to_string(index) +
                      ", which the checkpoint counts as evaluated");
    return it->second;
  };
  // Candidates the strategy has seen: rebuilt from their genome (decoding and costing are
  // deterministic) and their history line.
  for (const auto& [index, record] : history) {
    if (index >= m_observed) continue;
    Candidate c = make_candidate(index, record.at("genome").get<Genome>());
    restore_results(record_of(index), c);
    if (c.result.ok) m_best = std::max(m_best, selection_accuracy(c));
    m_evaluated.push_back(std::move(c));
  }
  if (int(m_evaluated.size()) != m_observed) (void)record_of(int(m_evaluated.size()));
  for (const Candidate& c : m_evaluated)
    if (selection_accuracy(c) == m_best) {
      m_best_id = c.identity;
      break;
    }
  if (m_config.search.target_accuracy > 0 && m_best >= m_config.search.target_accuracy)
    m_end_reason = "target accuracy search.target_accuracy reached";
  // Pending candidates that finished before the interruption are not evaluated again.
  for (const PendingCandidate& p : checkpoint.pending) {
    Candidate c = make_candidate(p.index, p.genome);
    const auto it = history.find(p.index);
    if (it != history.end()) {
      restore_results(it->second, c);
      m_finished.emplace(p.index, c);
    } else {
      m_to_submit.push_back(p.index);
    }
    m_pending.emplace(p.index, std::move(c));
  }
  spdlog::info("resuming: {} candidates evaluated, {} pending ({} of them already finished), {} proposed of {}",
               m_observed, checkpoint.pending.size(), m_finished.size(), m_proposed, m_config.search.evaluations);
}

void SearchController::propose_next() {
  if (!m_end_reason.empty() || m_proposed >= m_config.search.evaluations) return;
  try {
    Proposal p = m_strategy->propose(m_source);
    const int index = m_proposed++;
    m_pending.emplace(index, make_candidate(index, std::move(p.genome)));
    m_to_submit.push_back(index);
  } catch (const SpaceExhausted& e) {
    m_end_reason = e.what();
    spdlog::warn("{}; finishing the candidates in flight", m_end_reason);
  }
}

void SearchController::observe_in_order() {
  for (auto it = m_finished.find(m_observed); it != m_finished.end(); it = m_finished.find(m_observed)) {
    Candidate c = std::move(it->second);
    m_finished.erase(it);
    m_pending.erase(c.index);
    m_strategy->observe(observation_of(c));
    ++m_observed;
    const double accuracy = selection_accuracy(c);
    if (accuracy > m_best) {
      m_best = accuracy;
      m_best_id = c.identity;
    }
    m_evaluated.push_back(std::move(c));
    if (m_config.search.target_accuracy > 0 && m_best >= m_config.search.target_accuracy && m_end_reason.empty()) {
      m_end_reason = "target accuracy search.target_accuracy reached";
      spdlog::info("{} ({:.4f} by {}); finishing the candidates in flight", m_end_reason, m_best, m_best_id);
    }
    propose_next();  // the one proposal this result unlocks (see the header)
  }
}

void SearchController::checkpoint_and_submit() {
  Checkpoint cp;
  cp.config_hash = config_hash(m_config.source);
  cp.config_path = m_config.path;
  cp.proposed = m_proposed;
  cp.observed = m_observed;
  for (const auto& [index, c] : m_pending) cp.pending.push_back({index, c.genome});
  cp.strategy = m_strategy->state();
  cp.source = m_source.state();
  cp.finished = m_pending.empty();
  cp.stop_reason = m_end_reason;
  // The checkpoint names every candidate before it starts, so none is ever evaluated
  // without a checkpoint that lists it as pending.
  save_checkpoint(m_dir.file("checkpoint.json"), cp);
  write_pareto_report(m_dir, m_config, m_evaluated);
  for (int index : m_to_submit) m_evaluator.submit(m_pending.at(index));
  m_to_submit.clear();
}

std::string SearchController::interruption() const {
  if (stop_requested()) return "stop signal (SIGINT/SIGTERM)";
  const double minutes = std::chrono::duration<double>(Clock::now() - m_start).count() / 60.0;
  if (m_config.search.max_wall_minutes > 0 && minutes > m_config.search.max_wall_minutes)
    return "wall-time budget search.max_wall_minutes reached";
  return "";
}

void SearchController::report(const Candidate& c) {
  ++m_finished_here;
  const double elapsed = std::chrono::duration<double>(Clock::now() - m_start).count();
  const int done = m_observed + int(m_finished.size());
  const int total = m_config.search.evaluations;
  const double remaining = std::max(0, total - done);
  const double feasible = double(m_source.accepted() + m_source.duplicates()) /
                          std::max<double>(1.0, double(m_source.accepted() + m_source.duplicates() + m_source.rejected()));
  // Best among everything finished so far (the strategy sees results in index order).
  m_best_finished = std::max({m_best_finished, m_best, selection_accuracy(c)});
  const std::string best = m_best_finished >= 0 ? fmt::format("{:.4f}", m_best_finished) : std::string("-");
  if (c.result.ok)
    spdlog::info("[{}/{}] {} val {:.4f} int8 {} | {}: RAM {} B flash {} B {:.2f} ms | feasible {:.0f}% | best int8 {} "
                 "| ETA {}",
                 done, total, c.identity, c.result.validation_accuracy,
                 c.int8.ok ? fmt::format("{:.4f}{}", c.int8.val_int8, c.int8.qat_kept ? " (QAT)" : "")
                           : std::string("failed"),
                 c.costs[0].mcu, c.costs[0].costs.ram.total(), c.costs[0].costs.flash.total(),
                 c.costs[0].costs.latency_ms, 100.0 * feasible, best,
                 format_duration(elapsed / m_finished_here * remaining));
  else
    spdlog::warn("[{}/{}] {} failed: {}", done, total, c.identity, c.result.failure);
}

SearchOutcome SearchController::run() {
  m_start = Clock::now();
  SearchOutcome out;
  // Fill the pipeline: `parallel` proposals ahead of the results (after a resume, only
  // what a larger evaluation budget newly allows).
  while (m_proposed < m_observed + m_config.search.parallel && m_end_reason.empty() &&
         m_proposed < m_config.search.evaluations) {
    const int before = m_proposed;
    propose_next();
    if (m_proposed == before) break;
  }
  observe_in_order();
  checkpoint_and_submit();
  while (m_evaluator.outstanding() > 0) {
    const std::string stop = interruption();
    if (!stop.empty()) {
      spdlog::warn("{}: cancelling the {} candidate(s) in training", stop, m_evaluator.outstanding());
      m_evaluator.cancel_all();
      out.interrupted = true;
      m_end_reason = stop;
      break;
    }
    std::optional<Candidate> c = m_evaluator.wait_finished(std::chrono::milliseconds(200));
    if (!c) continue;
    const int index = c->index;
    m_finished.emplace(index, std::move(*c));
    report(m_finished.at(index));
    observe_in_order();
    checkpoint_and_submit();
  }
  if (m_end_reason.empty()) m_end_reason = "evaluation budget search.evaluations spent";
  // Results that finished but wait for a cancelled earlier one stay pending: their history
  // lines bring them back on resume.
  checkpoint_and_submit();
  out.evaluated = m_evaluated;
  for (auto& [index, c] : m_finished) out.evaluated.push_back(c);
  out.rejected = m_source.rejected();
  out.duplicates = m_source.duplicates();
  out.end_reason = m_end_reason;
  return out;
}

}  // namespace hwnas
