// This file implements the JSON form of EvaluationScores (see evaluation_result.hpp).
#include "search/evaluation_result.hpp"

namespace hwnas {

namespace {

void train_to_json(nlohmann::json& j, const TrainResult& r) {
  j["train_accuracy"] = r.train_accuracy;
  j["val_accuracy"] = r.validation_accuracy;
  j["test_accuracy"] = r.test_accuracy;
  j["train_seconds"] = r.seconds;
}

void train_from_json(const nlohmann::json& j, TrainResult& r) {
  r.train_accuracy = j.at("train_accuracy").get<double>();
  r.validation_accuracy = j.at("val_accuracy").get<double>();
  r.test_accuracy = j.at("test_accuracy").get<double>();
  r.seconds = j.at("train_seconds").get<double>();
}

// The seed runs' own scores: pareto.json reports the deployed training's after a resume too.
nlohmann::json seed_run_json(const SeedRun& s, size_t validation_split) {
  nlohmann::json run = {{"seed", s.seed},
                        {"validation_split", validation_split},
                        {"status", s.train.ok ? "ok" : "failed"}};
  train_to_json(run, s.train);
  if (s.train.ok && s.int8.ok) {
    run["val_accuracy_int8"] = s.int8.val_int8;
    run["test_accuracy_int8"] = s.int8.test_int8;
  }
  return run;
}

SeedRun seed_run_from_json(const nlohmann::json& run) {
  SeedRun s;
  s.seed = run.at("seed").get<uint64_t>();
  s.train.ok = run.at("status") == "ok";
  train_from_json(run, s.train);
  s.int8.ok = run.contains("val_accuracy_int8");
  if (s.int8.ok) {
    s.int8.val_int8 = run.at("val_accuracy_int8").get<double>();
    s.int8.test_int8 = run.at("test_accuracy_int8").get<double>();
  }
  return s;
}

}  // namespace

const char* status_name(EvaluationStatus status) {
  switch (status) {
    case EvaluationStatus::kOk: return "ok";
    case EvaluationStatus::kFailed: return "failed";
    case EvaluationStatus::kCancelled: return "cancelled";
  }
  return "failed";
}

void to_json(nlohmann::json& j, const EvaluationScores& s) {
  const TrainResult& r = s.train;
  j["status"] = status_name(s.status);
  if (!s.ok()) j["failure"] = r.failure;
  j["train_loss"] = r.train_loss;
  train_to_json(j, r);
  j["images_per_second"] = r.images_per_second;
  const Int8Scores& q = s.int8;
  if (s.ok() && q.ok) {
    j["val_accuracy_int8"] = q.val_int8;
    j["test_accuracy_int8"] = q.test_int8;
    j["val_accuracy_deployed_float"] = q.val_float;  // batch norm folded, before quantisation
    j["int8_agreement"] = q.val_agreement;
    j["int8_seconds"] = q.seconds;  // QAT included
    j["val_accuracy_int8_ptq"] = q.val_int8_ptq;
    j["qat_applied"] = q.qat_applied;
    j["qat_kept"] = q.qat_kept;
    j["val_accuracy_int8_qat"] = q.val_int8_qat;
    j["qat_seconds"] = q.qat_seconds;
    if (!q.qat_failure.empty()) j["qat_failure"] = q.qat_failure;
  } else if (s.ok()) {
    j["int8_failure"] = q.failure;
  }
  if (!s.seed_runs.empty()) {
    // The accuracies above are means over these trainings; the deployed one's own are here.
    nlohmann::json runs = nlohmann::json::array();
    for (size_t k = 0; k < s.seed_runs.size(); ++k) runs.push_back(seed_run_json(s.seed_runs[k], k));
    j["seed_runs"] = runs;
    j["deployed_seed_run"] = s.deployed_seed_run;
  }
}

void from_json(const nlohmann::json& j, EvaluationScores& s) {
  const std::string status = j.at("status").get<std::string>();
  s.status = status == "ok" ? EvaluationStatus::kOk
                            : status == "cancelled" ? EvaluationStatus::kCancelled : EvaluationStatus::kFailed;
  TrainResult& r = s.train;
  r.ok = s.ok();
  r.failure = j.value("failure", "");
  r.train_loss = j.at("train_loss").get<double>();
  train_from_json(j, r);
  r.images_per_second = j.at("images_per_second").get<double>();
  s.seed_runs.clear();
  s.deployed_seed_run = -1;
  if (j.contains("seed_runs")) {
    for (const auto& run : j.at("seed_runs")) s.seed_runs.push_back(seed_run_from_json(run));
    s.deployed_seed_run = j.at("deployed_seed_run").get<int>();
  }
  Int8Scores& q = s.int8;
  q = Int8Scores{};
  q.ok = j.contains("val_accuracy_int8");
  if (!q.ok) {
    q.failure = j.value("int8_failure", "");
    return;
  }
  q.val_int8 = j.at("val_accuracy_int8").get<double>();
  q.test_int8 = j.at("test_accuracy_int8").get<double>();
  q.val_float = j.at("val_accuracy_deployed_float").get<double>();
  q.val_agreement = j.at("int8_agreement").get<double>();
  q.seconds = j.at("int8_seconds").get<double>();
  q.val_int8_ptq = j.at("val_accuracy_int8_ptq").get<double>();
  q.qat_applied = j.at("qat_applied").get<bool>();
  q.qat_kept = j.at("qat_kept").get<bool>();
  q.val_int8_qat = j.at("val_accuracy_int8_qat").get<double>();
  q.qat_seconds = j.at("qat_seconds").get<double>();
  q.qat_failure = j.value("qat_failure", "");
}

}  // namespace hwnas
