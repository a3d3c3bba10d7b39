// This file implements the messages that carry evaluations between processes (the MPI
// evaluator and its workers): a request is the candidate's network (arch.json), fidelity,
// seed, trainings and split; a result is its scores, the trained float weights and the
// scored int8 model, as values. `token` names the evaluation on the sending side. The
// data splits themselves travel only when a worker cannot read the dataset files.
#pragma once

#include <cstdint>
#include <string>

#include "search/candidate_evaluation.hpp"
#include "trainers/data/dataset.hpp"

namespace hwnas {

std::string encode_request(int64_t token, const EvaluationRequest& request);
/// @throws UserError when the message is malformed.
EvaluationRequest decode_request(const std::string& bytes, int64_t& token);

std::string encode_result(int64_t token, const EvaluationResult& result);
/// The result of an evaluation of `arch` (the int8 model's structure is the architecture's).
/// @throws UserError when the message is malformed or does not fit `arch`.
EvaluationResult decode_result(const std::string& bytes, const Architecture& arch, int64_t& token);
/// The token of a result message, without decoding the rest.
int64_t result_token(const std::string& bytes);

std::string encode_splits(const DatasetSplits& splits);
/// @throws UserError when the message is malformed.
DatasetSplits decode_splits(const std::string& bytes);

}  // namespace hwnas
