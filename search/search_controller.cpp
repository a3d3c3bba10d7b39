// This file implements the search controller (see search_controller.hpp).
#include "search/search_controller.hpp"

#include <algorithm>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "search/initial_proposals.hpp"
#include "search/pareto_report.hpp"
#include "search/rung_selection.hpp"
#include "search/target_budgets.hpp"
#include "util/seed_streams.hpp"
#include "util/stop_signal.hpp"

namespace hwnas {

namespace {

using Clock = std::chrono::steady_clock;

bool by_rung_then_index(const Candidate& a, const Candidate& b) {
  return a.rung != b.rung ? a.rung < b.rung : a.index < b.index;
}

}  // namespace

SearchController::SearchController(const RunConfig& config, const SearchSpace& space, RunDirectory& dir,
                                   Evaluator& evaluator, int64_t train_samples)
    : m_config(config),
      m_space(space),
      m_dir(dir),
      m_evaluator(evaluator),
      m_train_samples(train_samples),
      m_rejections(dir.file(kRejectionFile)),
      m_strategy(make_strategy(config.search)),
      m_source(space,
               [this, &config](const Genome& genome, const DecodedNetwork& n) {
                 std::vector<TargetCost> costs = cost_on_targets(n.arch, config.targets);
                 if (!fits_all(costs)) {
                   spdlog::debug("rejected {} before training: it does not fit every target", n.identity);
                   m_rejections.add(genome, n.identity, costs, rejection_reason(costs, config.targets), m_proposed);
                   return false;
                 }
                 const std::string shortfalls = budget_floor_shortfalls(costs, config.targets, config.search.min_budget_use);
                 if (!shortfalls.empty()) {
                   spdlog::debug("rejected {} before training: {} (search.min_budget_use)", n.identity, shortfalls);
                   m_rejections.add(genome, n.identity, costs, shortfalls + " (search.min_budget_use)", m_proposed);
                   return false;
                 }
                 m_fitting_costs[n.identity] = std::move(costs);  // the proposal carries them (make_candidate)
                 return true;
               },
               config.search.max_rejections, derive_seed(config.search.seed, seed_stream::kProposals, 0)),
      m_progress(config.search.parallel) {
  std::vector<Proposal> initial = initial_proposals(config, space);
  for (size_t i = 0; i < initial.size(); ++i)
    spdlog::info("initial network {}: {} ({} parameters, {} MACs)", initial[i].network.identity,
                 config.search.initial_architectures[i].path, initial[i].network.arch.total_params(),
                 initial[i].network.arch.total_macs());
  m_source.set_initial(std::move(initial));
}

// ---- candidates and rungs ---------------------------------------------------------------

FidelitySpec SearchController::fidelity_of(int rung) const {
  const SearchConfig& s = m_config.search;
  FidelitySpec f = rung == 0 ? s.fidelity : rung <= int(s.promotions.size()) ? s.promotions[size_t(rung - 1)]
                                                                              : FidelitySpec{};
  // Resolved: epochs given, sample counts at least the split mean the whole split.
  if (f.epochs == 0) f.epochs = m_config.training.epochs;
  if (f.train_samples >= m_train_samples) f.train_samples = 0;
  if (f.learning_rate == 0) f.learning_rate = m_config.training.learning_rate;
  return f;
}

int SearchController::final_rung() const {
  const int last = int(m_config.search.promotions.size());
  const FidelitySpec full{m_config.training.epochs, 0, m_config.training.learning_rate};
  // No final retraining when the last rung already trained with the full recipe.
  return m_config.search.retrain_final && !(fidelity_of(last) == full) ? last + 1 : last;
}

Candidate SearchController::make_candidate(int index, Genome genome, DecodedNetwork network,
                                           std::vector<TargetCost> costs, int rung) const {
  const uint64_t seed = derive_seed(m_config.search.seed, seed_stream::kCandidate, uint64_t(index));
  const std::string stage = rung == 0 ? "search" : rung > int(m_config.search.promotions.size()) ? "final" : "promotion";
  return Candidate{index,
                   std::move(genome),
                   std::move(network.identity),
                   rung == 0 ? seed : derive_seed(seed, seed_stream::kRung, uint64_t(rung)),
                   std::move(network.arch),
                   std::move(costs),
                   fidelity_of(rung),
                   {},
                   rung,
                   stage,
                   std::nullopt,  // proposals: set by propose_next for search candidates
                   ""};
}

Candidate SearchController::rebuild_candidate(int index, Genome genome, int rung) const {
  // Decoding and costing are deterministic: a genome rebuilds its candidate (on resume).
  DecodedNetwork network = m_space.decode_detailed(genome);
  std::vector<TargetCost> costs = cost_on_targets(network.arch, m_config.targets);
  return make_candidate(index, std::move(genome), std::move(network), std::move(costs), rung);
}

Candidate SearchController::at_rung(const Candidate& c, int rung) const {
  return make_candidate(c.index, c.genome, DecodedNetwork{c.arch, c.identity, {}}, c.costs, rung);
}

Observation SearchController::observation_of(const Candidate& c) const {
  Observation o;
  o.index = c.index;
  o.genome = c.genome;
  o.accuracy = selection_accuracy(c);
  o.ok = o.accuracy >= 0;
  o.objectives = selection_objectives(c, m_config.search.objectives);
  return o;
}

std::vector<Candidate> SearchController::entries_at(int rung) const {
  std::vector<Candidate> out;
  for (const Candidate& c : m_evaluated)
    if (c.rung == rung) out.push_back(c);
  std::sort(out.begin(), out.end(), by_rung_then_index);
  return out;
}

int SearchController::top_rung() const {
  int top = 0;
  for (const Candidate& c : m_evaluated) top = std::max(top, c.rung);
  return top;
}

// ---- resume -------------------------------------------------------------------------------

void SearchController::restore(const Checkpoint& checkpoint, const HistoryRecords& history) {
  m_strategy->restore(checkpoint.strategy);
  m_source.restore(checkpoint.source);
  m_proposed = checkpoint.proposed;
  m_results.restore(checkpoint.observed);
  m_phase = checkpoint.phase;
  m_recorded = history;
  const auto rebuilt = [&](int index, int rung, const nlohmann::json& record) {
    Candidate c = rebuild_candidate(index, record.at("genome").get<Genome>(), rung);
    restore_results(record, c);
    return c;
  };
  // Evaluations already recorded: the observed search candidates and every result of the
  // later rungs up to the current one (decoding and costing are deterministic, so a
  // genome and its history line rebuild the candidate).
  for (const auto& [key, record] : history) {
    const auto [index, rung] = key;
    if ((rung == 0 && index < m_results.observed()) || (rung > 0 && rung <= m_phase)) m_evaluated.push_back(rebuilt(index, rung, record));
  }
  if (int(entries_at(0).size()) != m_results.observed())
    throw UserError(m_dir.file("history.jsonl") + ": has " + std::to_string(entries_at(0).size()) +
                    " of the " + std::to_string(m_results.observed()) + " search results the checkpoint counts");
  for (const Candidate& c : m_evaluated)
    if (c.rung == 0 && selection_accuracy(c) > m_best) {
      m_best = selection_accuracy(c);
      m_best_id = c.identity;
    }
  if (m_config.search.target_accuracy > 0 && m_best >= m_config.search.target_accuracy)
    m_end_reason = "target accuracy search.target_accuracy reached";
  // A larger evaluation budget reopens a finished search, unless later stages have begun.
  if (m_phase > 0 && m_end_reason.empty() && m_config.search.evaluations > m_proposed) {
    if (top_rung() > 0 || !checkpoint.pending.empty())
      throw UserError(m_dir.path() + ": the search phase is over (promotions or the final retraining began); a larger "
                      "search.evaluations cannot be added to this run");
    m_phase = 0;
  }
  // A finished run resumed (a job of a chain that had nothing left to do) says why it ended.
  if (m_phase > final_rung() && m_end_reason.empty()) m_end_reason = checkpoint.stop_reason;
  // Pending candidates that finished before the interruption are not evaluated again.
  size_t already = 0;
  for (const PendingCandidate& p : checkpoint.pending) {
    Candidate c = rebuild_candidate(p.index, p.genome, p.rung);
    c.proposals = p.proposals;  // counted when it was proposed, before the interruption
    const auto it = history.find({p.index, p.rung});
    if (it == history.end()) {
      m_to_submit.push_back(p.index);
      m_pending.emplace(p.index, std::move(c));
      continue;
    }
    ++already;  // a later rung's result is already among m_evaluated
    if (p.rung == 0) {
      restore_results(it->second, c);
      m_pending.emplace(p.index, c);
      m_results.add(std::move(c));
    }
  }
  spdlog::info("resuming at {}: {} search results, {} pending ({} of them already finished), {} proposed of {}",
               m_phase == 0 ? std::string("the search") : "rung " + std::to_string(m_phase), m_results.observed(),
               checkpoint.pending.size(), already, m_proposed, m_config.search.evaluations);
}

// ---- the search phase ---------------------------------------------------------------------

void SearchController::propose_next() {
  if (!m_end_reason.empty() || m_proposed >= m_config.search.evaluations) return;
  try {
    Proposal p = m_strategy->propose(m_source);
    const int index = m_proposed++;
    // The fit check costed every network it accepted (initial networks skip it).
    const auto costed = m_fitting_costs.find(p.network.identity);
    std::vector<TargetCost> costs = costed != m_fitting_costs.end() ? std::move(costed->second)
                                                                    : cost_on_targets(p.network.arch, m_config.targets);
    m_fitting_costs.clear();
    Candidate c = make_candidate(index, std::move(p.genome), std::move(p.network), std::move(costs), 0);
    c.proposals = m_source.counts();  // the feasible share so far, for the report
    m_pending.emplace(index, std::move(c));
    m_to_submit.push_back(index);
  } catch (const SpaceExhausted& e) {
    m_end_reason = e.what();
    spdlog::warn("{}; finishing the candidates in flight", m_end_reason);
  }
}

void SearchController::observe_in_order() {
  for (std::optional<Candidate> next = m_results.next(); next; next = m_results.next()) {
    Candidate c = std::move(*next);
    m_pending.erase(c.index);
    m_strategy->observe(observation_of(c));
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
  // Absolute, so that `nas-run resume` and `nas-run export` resolve the config's relative
  // data and space paths from any working directory.
  cp.config_path = m_config.path.empty() ? "" : std::filesystem::absolute(m_config.path).lexically_normal().string();
  cp.proposed = m_proposed;
  cp.observed = m_results.observed();
  cp.phase = m_phase;
  for (const auto& [index, c] : m_pending) cp.pending.push_back({index, c.rung, c.genome, c.proposals});
  cp.strategy = m_strategy->state();
  cp.source = m_source.state();
  cp.finished = m_phase > final_rung();
  cp.stop_reason = m_end_reason;
  // The checkpoint names every candidate before it starts, so none is ever evaluated
  // without a checkpoint that lists it as pending.
  save_checkpoint(m_dir.file("checkpoint.json"), cp);
  write_pareto_report(m_dir, m_config, entries_at(top_rung()));
  for (int index : m_to_submit) {
    const Candidate& c = m_pending.at(index);
    const auto recorded = m_recorded.find({index, c.rung});
    if (recorded != m_recorded.end() && recorded->second.value("genome", Genome{}) == c.genome) {
      Candidate done = c;
      restore_results(recorded->second, done);
      m_replayed.push_back(std::move(done));
      continue;
    }
    m_evaluator.submit(c);
  }
  m_to_submit.clear();
}

std::optional<Candidate> SearchController::next_finished() {
  if (m_replayed.empty()) return m_evaluator.wait_finished(std::chrono::milliseconds(200));
  Candidate c = std::move(m_replayed.front());
  m_replayed.pop_front();
  return c;
}

std::string SearchController::interruption() const {
  if (stop_requested()) return "stop signal (SIGINT, SIGTERM or SIGUSR1)";
  const double minutes = std::chrono::duration<double>(Clock::now() - m_start).count() / 60.0;
  if (m_config.search.max_wall_minutes > 0 && minutes > m_config.search.max_wall_minutes)
    return "wall-time budget search.max_wall_minutes reached";
  return "";
}

// Collects results until none is outstanding; false when interrupted. The search phase
// shows results to the strategy in index order; later stages just record them.
bool SearchController::wait_for_results(bool in_order) {
  while (m_evaluator.outstanding() > 0 || !m_replayed.empty()) {
    const std::string stop = interruption();
    if (!stop.empty()) {
      spdlog::warn("{}: cancelling the {} candidate(s) in training", stop, m_evaluator.outstanding());
      m_evaluator.cancel_all();
      m_end_reason = stop;
      checkpoint_and_submit();
      return false;
    }
    std::optional<Candidate> c = next_finished();
    if (!c) continue;
    const int index = c->index;
    if (in_order) {
      report(*c);
      m_results.add(std::move(*c));
      observe_in_order();
    } else {
      report(*c);
      m_pending.erase(index);
      m_evaluated.push_back(std::move(*c));
    }
    checkpoint_and_submit();
  }
  return true;
}

bool SearchController::run_search_phase() {
  // Fill the pipeline: `parallel` proposals ahead of the results (after a resume, only
  // what a larger evaluation budget newly allows).
  while (m_proposed < m_results.observed() + m_config.search.parallel && m_end_reason.empty() &&
         m_proposed < m_config.search.evaluations) {
    const int before = m_proposed;
    propose_next();
    if (m_proposed == before) break;
  }
  observe_in_order();
  checkpoint_and_submit();
  if (!wait_for_results(true)) return false;
  if (m_end_reason.empty()) m_end_reason = "evaluation budget search.evaluations spent";
  spdlog::info("search finished ({}): {} candidates evaluated", m_end_reason, m_results.observed());
  return true;
}

// ---- the stages after the search ------------------------------------------------------------

void SearchController::start_stage(int rung) {
  m_phase = rung;
  m_progress.start_stage();
  const std::vector<Candidate> previous = entries_at(rung - 1);
  const RungSelection selection = select_for_rung(previous, rung, m_config.search, m_config.targets.size());
  if (selection.pool == 0 && !previous.empty())
    spdlog::warn("no candidate of rung {} reaches search.min_accuracy {}: nothing to promote or retrain; lower "
                 "the floor and run again",
                 rung - 1, m_config.search.min_accuracy);
  for (const Candidate* c : selection.chosen) {
    m_pending.emplace(c->index, at_rung(*c, rung));
    m_to_submit.push_back(c->index);
  }
  const FidelitySpec f = fidelity_of(rung);
  spdlog::info("{}: {} of {} candidates, {} epochs on {} training samples at learning rate {}",
               rung > int(m_config.search.promotions.size()) ? "final retraining with the full recipe"
                                                             : "promotion to rung " + std::to_string(rung),
               selection.chosen.size(), selection.pool, f.epochs, f.train_samples > 0 ? f.train_samples : m_train_samples,
               f.learning_rate);
}

bool SearchController::run_stage() {
  checkpoint_and_submit();
  return wait_for_results(false);
}

void SearchController::report(const Candidate& c) {
  const bool search = c.rung == 0;
  const int done = search ? m_results.observed() + int(m_results.waiting().size()) + 1
                          : int(entries_at(c.rung).size()) + 1;
  const int total = search ? m_config.search.evaluations : done + int(m_pending.size()) - 1;
  // Best among everything finished so far at this candidate's rung (the strategy sees
  // search results in index order, so m_best may lag).
  double best = selection_accuracy(c);
  if (search) best = m_best_finished = std::max({m_best_finished, m_best, best});
  for (const Candidate& e : m_evaluated)
    if (!search && e.rung == c.rung) best = std::max(best, selection_accuracy(e));
  m_progress.log(c, done, total, best, feasible_share(m_source.counts()));
}

SearchOutcome SearchController::run() {
  m_start = Clock::now();
  m_progress.start_stage();
  SearchOutcome out;
  bool completed = false;
  // A fresh run checkpoints its initial state first: a stop while it samples its first
  // candidates (which can take long in a space of huge networks) still leaves a run to resume.
  if (m_phase == 0 && m_proposed == 0) checkpoint_and_submit();
  try {
    completed = m_phase > 0 || run_search_phase();
  } catch (const StopRequested& e) {
    // Stopped inside a proposal (sampling a space of huge networks): the strategy and the
    // proposal source are part-way through it, so no checkpoint is written; the last one
    // and history.jsonl make the resume repeat the proposal from its start.
    spdlog::warn("{} while proposing a candidate: cancelling the {} candidate(s) in training", e.what(),
                 m_evaluator.outstanding());
    m_evaluator.cancel_all();
    m_end_reason = e.what();
  }
  for (int rung = std::max(1, m_phase); completed && rung <= final_rung(); ++rung) {
    if (m_phase < rung) start_stage(rung);
    completed = run_stage();
  }
  if (completed) {
    // Resumed in a later stage: the search phase ended in an earlier invocation.
    if (m_end_reason.empty())
      m_end_reason = m_proposed >= m_config.search.evaluations ? "evaluation budget search.evaluations spent"
                                                               : "the search phase ended early (see run.log)";
    m_phase = final_rung() + 1;
    checkpoint_and_submit();
  }
  out.evaluated = m_evaluated;
  for (const auto& [index, c] : m_results.waiting()) out.evaluated.push_back(c);  // waiting for a cancelled earlier one
  std::sort(out.evaluated.begin(), out.evaluated.end(), by_rung_then_index);
  out.top_rung = top_rung();
  out.rejected = m_source.rejected();
  out.duplicates = m_source.duplicates();
  out.interrupted = !completed;
  out.end_reason = m_end_reason;
  return out;
}

}  // namespace hwnas
