// This file implements MpiEvaluator, rank 0's evaluator when a search runs on several MPI
// ranks: the controller submits candidates as before; each goes, as a compact request
// message, to the next idle worker rank, which runs evaluate_candidate and sends the
// result back as values. A worker that finishes gets the next queued candidate at once.
// Results are recorded here, on rank 0 (the run directory is rank 0's alone), before the
// controller collects them.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <vector>

#include "search/candidate_evaluation.hpp"
#include "search/evaluator.hpp"
#include "search/mpi/mpi_session.hpp"

namespace hwnas {

class MpiEvaluator final : public Evaluator {
 public:
  using RequestFn = std::function<EvaluationRequest(const Candidate&)>;
  using RecordFn = std::function<void(Candidate&, const EvaluationResult&)>;

  /// Workers are ranks 1 .. mpi.size() - 1.
  MpiEvaluator(const MpiSession& mpi, RequestFn request, RecordFn record);
  /// Tells every worker to stop.
  ~MpiEvaluator() override;

  void submit(Candidate c) override;
  std::optional<Candidate> wait_finished(std::chrono::milliseconds timeout) override;
  int outstanding() const override { return int(m_queue.size() + m_busy.size()); }
  void cancel_all() override;

 private:
  struct Assignment {
    int64_t token = 0;
    Candidate candidate;
  };
  void dispatch();

  const MpiSession& m_mpi;
  RequestFn m_request;
  RecordFn m_record;
  std::deque<Candidate> m_queue;      ///< submitted, waiting for an idle worker
  std::map<int, Assignment> m_busy;   ///< by worker rank
  std::vector<int> m_idle;            ///< worker ranks, lowest first
  int64_t m_next_token = 1;
};

}  // namespace hwnas
