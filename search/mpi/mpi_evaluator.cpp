// This file implements MpiEvaluator (see mpi_evaluator.hpp).
#include "search/mpi/mpi_evaluator.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "search/evaluation_messages.hpp"
#include "util/errors.hpp"

namespace hwnas {

MpiEvaluator::MpiEvaluator(const MpiSession& mpi, RequestFn request, RecordFn record)
    : m_mpi(mpi), m_request(std::move(request)), m_record(std::move(record)) {
  for (int rank = mpi.size() - 1; rank >= 1; --rank) m_idle.push_back(rank);  // popped from the back
}

MpiEvaluator::~MpiEvaluator() {
  for (int rank = 1; rank < m_mpi.size(); ++rank) m_mpi.send(rank, MpiTag::kShutdown, "");
}

void MpiEvaluator::submit(Candidate c) {
  m_queue.push_back(std::move(c));
  dispatch();
}

void MpiEvaluator::dispatch() {
  while (!m_queue.empty() && !m_idle.empty()) {
    const int rank = m_idle.back();
    m_idle.pop_back();
    Assignment a{m_next_token++, std::move(m_queue.front())};
    m_queue.pop_front();
    m_mpi.send(rank, MpiTag::kRequest, encode_request(a.token, m_request(a.candidate)));
    m_busy.emplace(rank, std::move(a));
  }
}

std::optional<Candidate> MpiEvaluator::wait_finished(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    std::optional<MpiMessage> m = m_mpi.receive(std::max(left, std::chrono::milliseconds(0)));
    if (!m) return std::nullopt;
    const auto busy = m_busy.find(m->source);
    if (m->tag != MpiTag::kResult || busy == m_busy.end())
      throw UserError("MPI: unexpected message (tag " + std::to_string(int(m->tag)) + ") from rank " +
                      std::to_string(m->source));
    Assignment a = std::move(busy->second);
    m_busy.erase(busy);
    m_idle.push_back(m->source);
    int64_t token = 0;
    const EvaluationResult result = decode_result(m->bytes, a.candidate.arch, token);
    if (token != a.token)
      throw UserError("MPI: rank " + std::to_string(m->source) + " answered evaluation " + std::to_string(token) +
                      ", expected " + std::to_string(a.token));
    dispatch();  // the worker starts its next candidate while this one is recorded
    a.candidate.scores.status = result.scores.status;
    if (result.scores.status == EvaluationStatus::kCancelled) continue;  // recorded never: it runs again on resume
    m_record(a.candidate, result);
    return std::move(a.candidate);
  }
}

void MpiEvaluator::cancel_all() {
  m_queue.clear();
  for (const auto& [rank, a] : m_busy) m_mpi.send(rank, MpiTag::kCancel, "");
  // Every busy worker answers (cancelled, or finished just before it heard): after this no
  // message is in flight, and the results are dropped like the thread pool's.
  while (!m_busy.empty()) {
    std::optional<MpiMessage> m = m_mpi.receive(std::chrono::milliseconds(1000));
    if (!m) continue;
    if (m->tag != MpiTag::kResult || !m_busy.count(m->source))
      throw UserError("MPI: unexpected message (tag " + std::to_string(int(m->tag)) + ") from rank " +
                      std::to_string(m->source) + " while cancelling");
    m_busy.erase(m->source);
    m_idle.push_back(m->source);
  }
}

}  // namespace hwnas
