// This file implements the evaluation messages (see evaluation_messages.hpp).
#include "search/evaluation_messages.hpp"

#include <nlohmann/json.hpp>

#include "space/arch_json.hpp"
#include "trainers/deploy/quantized_model_io.hpp"
#include "util/byte_codec.hpp"

namespace hwnas {

namespace {

nlohmann::json blocks_json(const std::vector<ParamBlock>& blocks) {
  nlohmann::json j = nlohmann::json::array();
  for (const ParamBlock& b : blocks)
    j.push_back({b.layer, b.name, b.offset, b.size, b.trainable, b.decay});
  return j;
}

std::vector<ParamBlock> blocks_from_json(const nlohmann::json& j) {
  std::vector<ParamBlock> blocks;
  for (const auto& b : j)
    blocks.push_back({b.at(0).get<int>(), b.at(1).get<std::string>(), b.at(2).get<int64_t>(), b.at(3).get<int64_t>(),
                      b.at(4).get<bool>(), b.at(5).get<bool>()});
  return blocks;
}

Eigen::VectorXf to_vector(const std::vector<float>& v) {
  return Eigen::Map<const Eigen::VectorXf>(v.data(), Eigen::Index(v.size()));
}

void write_dataset(ByteWriter& w, const Dataset& d) {
  w.bytes(d.name);
  w.i64(d.sample_shape.h);
  w.i64(d.sample_shape.w);
  w.i64(d.sample_shape.c);
  w.i64(d.num_classes);
  w.floats(d.x.data(), size_t(d.x.size()));
  w.pods(d.y);
}

Dataset read_dataset(ByteReader& r) {
  Dataset d;
  d.name = r.bytes();
  d.sample_shape.h = int(r.i64());
  d.sample_shape.w = int(r.i64());
  d.sample_shape.c = int(r.i64());
  d.num_classes = int(r.i64());
  const std::vector<float> x = r.pods<float>();
  d.y = r.pods<int32_t>();
  const int64_t row = d.sample_shape.elements();
  const bool fits = d.y.empty() ? x.empty() : row > 0 && x.size() % d.y.size() == 0 && int64_t(x.size() / d.y.size()) == row;
  if (!fits)
    throw UserError("dataset message: " + std::to_string(x.size()) + " values for " + std::to_string(d.y.size()) +
                    " samples of " + d.sample_shape.str());
  d.x = Eigen::Map<const RowMatrix>(x.data(), Eigen::Index(d.y.size()), Eigen::Index(row));
  return d;
}

template <typename T>
void json_from_text(const std::string& text, T& out) {
  try {
    out = nlohmann::json::parse(text).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw UserError(std::string("evaluation message: ") + e.what());
  }
}

}  // namespace

std::string encode_request(int64_t token, const EvaluationRequest& request) {
  ByteWriter w;
  w.i64(token);
  w.bytes(architecture_to_json(request.arch).dump());
  w.i64(request.fidelity.epochs);
  w.i64(request.fidelity.train_samples);
  w.f64(request.fidelity.learning_rate);
  w.u64(request.seed);
  w.i64(request.trainings);
  w.i64(request.validation_split);
  return w.take();
}

EvaluationRequest decode_request(const std::string& bytes, int64_t& token) {
  ByteReader r(bytes, "evaluation request");
  token = r.i64();
  nlohmann::json arch;
  json_from_text(r.bytes(), arch);
  EvaluationRequest request{architecture_from_json(arch, "evaluation request", ""), {}, 0, 1, 0};
  request.fidelity.epochs = int(r.i64());
  request.fidelity.train_samples = r.i64();
  request.fidelity.learning_rate = r.f64();
  request.seed = r.u64();
  request.trainings = int(r.i64());
  request.validation_split = int(r.i64());
  r.finish();
  return request;
}

std::string encode_result(int64_t token, const EvaluationResult& result) {
  ByteWriter w;
  w.i64(token);
  w.bytes(nlohmann::json(result.scores).dump());
  w.i64(result.train_samples);
  w.bytes(blocks_json(result.weights.blocks).dump());
  w.floats(result.weights.parameters.data(), size_t(result.weights.parameters.size()));
  w.floats(result.weights.state.data(), size_t(result.weights.state.size()));
  w.u64(result.int8_model ? 1 : 0);
  if (result.int8_model) {
    const QuantizedModelText text = quantized_model_text(*result.int8_model);
    w.bytes(text.json);
    w.bytes(text.blob);
  }
  return w.take();
}

int64_t result_token(const std::string& bytes) {
  ByteReader r(bytes, "evaluation result");
  return r.i64();
}

EvaluationResult decode_result(const std::string& bytes, const Architecture& arch, int64_t& token) {
  ByteReader r(bytes, "evaluation result");
  token = r.i64();
  EvaluationResult result;
  json_from_text(r.bytes(), result.scores);
  result.train_samples = r.i64();
  nlohmann::json blocks;
  json_from_text(r.bytes(), blocks);
  result.weights.blocks = blocks_from_json(blocks);
  result.weights.parameters = to_vector(r.pods<float>());
  result.weights.state = to_vector(r.pods<float>());
  result.weights.result = result.scores.train;
  if (r.u64() == 1) {
    QuantizedModelText text;
    text.json = r.bytes();
    text.blob = r.bytes();
    result.int8_model = quantized_model_from_text(arch, text, "evaluation result (int8 model)",
                                                  "evaluation result (int8 blob)");
  }
  r.finish();
  return result;
}

std::string encode_splits(const DatasetSplits& splits) {
  ByteWriter w;
  write_dataset(w, splits.train);
  write_dataset(w, splits.validation);
  write_dataset(w, splits.test);
  w.pods(splits.input_mean);
  w.pods(splits.input_std);
  return w.take();
}

DatasetSplits decode_splits(const std::string& bytes) {
  ByteReader r(bytes, "dataset splits");
  DatasetSplits s;
  s.train = read_dataset(r);
  s.validation = read_dataset(r);
  s.test = read_dataset(r);
  s.input_mean = r.pods<double>();
  s.input_std = r.pods<double>();
  r.finish();
  return s;
}

}  // namespace hwnas
