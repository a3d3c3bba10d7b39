// This file implements the tests of the messages between an MPI search's ranks
// (search/evaluation_messages.hpp): a request, a result with its weights and int8 model,
// and the data splits survive encoding exactly; a cut or padded message is one clear error.
#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "search/evaluation_messages.hpp"
#include "space/arch_json.hpp"
#include "tests/quantize_test_nets.hpp"
#include "tests/test_support.hpp"
#include "trainers/deploy/quantize.hpp"
#include "trainers/deploy/quantized_model_io.hpp"
#include "util/errors.hpp"

namespace hwnas::test {

TEST_CASE("evaluation messages: a request and a result with weights and int8 model survive encoding") {
  const Architecture arch = depthwise_net();
  const EvaluationRequest request{arch, {3, 400, 0.05}, 0xfedcba9876543210ull, 2, 1};
  int64_t token = 0;
  const EvaluationRequest back = decode_request(encode_request(17, request), token);
  CHECK(token == 17);
  CHECK(architecture_to_json(back.arch) == architecture_to_json(arch));
  CHECK(back.fidelity == request.fidelity);
  CHECK(back.seed == request.seed);
  CHECK(back.trainings == 2);
  CHECK(back.validation_split == 1);

  Network net(arch, 1, 3);
  EvaluationResult result;
  result.weights = random_weights(net, 4);
  result.int8_model = quantize(arch, result.weights, random_inputs(arch, 16, 5));
  result.scores.status = EvaluationStatus::kOk;
  result.scores.train = {true, "", 0.5, 0.8, 0.75, 0.7, 1.5, 1000, 40};
  result.scores.int8.ok = true;
  result.scores.int8.val_int8 = 0.74;
  result.scores.seed_runs = {{11, result.scores.train, result.scores.int8}};
  result.scores.deployed_seed_run = 0;
  result.train_samples = 400;
  const std::string bytes = encode_result(23, result);
  CHECK(result_token(bytes) == 23);
  const EvaluationResult decoded = decode_result(bytes, arch, token);
  CHECK(token == 23);
  CHECK(nlohmann::json(decoded.scores) == nlohmann::json(result.scores));
  CHECK(decoded.train_samples == 400);
  CHECK(decoded.weights.parameters == result.weights.parameters);
  CHECK(decoded.weights.state == result.weights.state);
  REQUIRE(decoded.weights.blocks.size() == result.weights.blocks.size());
  CHECK(decoded.weights.blocks.back().name == result.weights.blocks.back().name);
  REQUIRE(decoded.int8_model);
  const QuantizedModelText a = quantized_model_text(*result.int8_model), b = quantized_model_text(*decoded.int8_model);
  CHECK(a.json == b.json);
  CHECK(a.blob == b.blob);

  CHECK_THROWS_AS(decode_result(bytes.substr(0, bytes.size() - 3), arch, token), UserError);
  CHECK_THROWS_AS(decode_result(bytes + "x", arch, token), UserError);
  CHECK_THROWS_WITH_AS(decode_request(std::string(5, '\0'), token), doctest::Contains("malformed message"), UserError);
}

TEST_CASE("evaluation messages: data splits survive encoding, a wrong sample count is refused") {
  DatasetSplits splits;
  splits.train.name = "t";
  splits.train.sample_shape = {2, 2, 1};
  splits.train.num_classes = 2;
  splits.train.x = RowMatrix::Random(3, 4);
  splits.train.y = {0, 1, 1};
  splits.validation = splits.train.subset({0});
  splits.test = splits.train.subset({});
  splits.input_mean = {0.5};
  splits.input_std = {0.25};
  const DatasetSplits back = decode_splits(encode_splits(splits));
  CHECK(back.train.x == splits.train.x);
  CHECK(back.train.y == splits.train.y);
  CHECK(back.validation.x == splits.validation.x);
  CHECK(back.test.size() == 0);
  CHECK(back.train.sample_shape.str() == splits.train.sample_shape.str());
  CHECK(back.input_mean == splits.input_mean);
  splits.train.sample_shape = {3, 2, 1};  // 6 values per sample, 4 sent
  CHECK_THROWS_AS(decode_splits(encode_splits(splits)), UserError);
}

}  // namespace hwnas::test
