// This file implements the evaluator interface between the search controller and the
// machines that train candidates. The controller submits candidates and collects finished
// ones in any order; it never learns where they ran. ThreadPoolEvaluator runs them on a
// TBB arena of this process, several at once, each training with the arena's threads
// (so concurrent candidates share the cores instead of oversubscribing them). An MPI
// evaluator can implement the same interface by sending candidates to other ranks.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>

#include <tbb/task_arena.h>

#include "search/candidate.hpp"

namespace hwnas {

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  /// Starts evaluating `c`; returns at once.
  virtual void submit(Candidate c) = 0;
  /// A finished candidate, waiting up to `timeout` for one; nullopt when none finished.
  /// Cancelled candidates are not returned. @throws what stopped an evaluation from
  /// recording its result (EnvironmentError: a full disk, memory), once every other
  /// evaluation has stopped.
  virtual std::optional<Candidate> wait_finished(std::chrono::milliseconds timeout) = 0;
  /// Submitted candidates not yet returned by wait_finished.
  virtual int outstanding() const = 0;
  /// Stops every running evaluation early and waits until none runs; their results are
  /// dropped (they stay pending in the checkpoint and run again on resume).
  virtual void cancel_all() = 0;
};

/// Trains and scores one candidate in place; stops early when `cancel` becomes true
/// (then c.scores.status is kCancelled and nothing may have been recorded). The candidate's
/// own failures are its status; an exception means its result could not be recorded and
/// the run must stop (see Evaluator::wait_finished).
using EvaluateFn = std::function<void(Candidate& c, const std::atomic<bool>& cancel)>;

class ThreadPoolEvaluator final : public Evaluator {
 public:
  /// Runs evaluations on `arena` (which must outlive this evaluator).
  ThreadPoolEvaluator(tbb::task_arena& arena, EvaluateFn evaluate);
  ~ThreadPoolEvaluator() override;

  void submit(Candidate c) override;
  std::optional<Candidate> wait_finished(std::chrono::milliseconds timeout) override;
  int outstanding() const override;
  void cancel_all() override;

 private:
  tbb::task_arena& m_arena;
  EvaluateFn m_evaluate;
  std::atomic<bool> m_cancel{false};
  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  int m_running = 0;               ///< submitted, not finished
  std::exception_ptr m_failure;    ///< what ended an evaluation without a result
  std::deque<Candidate> m_finished;  ///< finished, not yet collected
};

}  // namespace hwnas
