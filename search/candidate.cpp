// This file implements the history record of a candidate (see candidate.hpp).
#include "search/candidate.hpp"

#include <algorithm>

#include "search/feasible_sampler.hpp"

namespace hwnas {

namespace {

nlohmann::json costs_json(const std::vector<TargetCost>& costs) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& c : costs)
    j[c.mcu] = {{"runtime", c.runtime},
                {"flash_bytes", c.costs.flash.total()},
                {"model_bytes", model_bytes(c.costs)},
                {"ram_bytes", c.costs.ram.total()},
                {"latency_ms", c.costs.latency_ms},
                {"energy_uj", c.costs.energy_uj < 0 ? nlohmann::json(nullptr) : nlohmann::json(c.costs.energy_uj)},
                {"fits", c.fits}};
  return j;
}

}  // namespace

nlohmann::json candidate_record(const Candidate& c) {
  const TrainResult& r = c.result;
  nlohmann::json j = {
      {"index", c.index},
      {"id", c.identity},
      {"genome", c.genome},
      {"seed", c.seed},
      {"params", c.arch.total_params()},
      {"macs", c.arch.total_macs()},
      {"layers", c.arch.size()},
      {"costs", costs_json(c.costs)},
      {"rung", c.rung},
      {"stage", c.stage},
      {"fidelity", fidelity_json(c.fidelity)},
      {"status", r.ok ? "ok" : "failed"},
      {"train_loss", r.train_loss},
      {"train_accuracy", r.train_accuracy},
      {"val_accuracy", r.validation_accuracy},
      {"test_accuracy", r.test_accuracy},
      {"train_seconds", r.seconds},
      {"images_per_second", r.images_per_second},
  };
  if (!r.ok) j["failure"] = r.failure;
  if (r.ok && c.int8.ok) {
    j["val_accuracy_int8"] = c.int8.val_int8;
    j["test_accuracy_int8"] = c.int8.test_int8;
    j["val_accuracy_deployed_float"] = c.int8.val_float;  // batch norm folded, before quantisation
    j["int8_agreement"] = c.int8.val_agreement;
    j["int8_seconds"] = c.int8.seconds;  // QAT included
    j["val_accuracy_int8_ptq"] = c.int8.val_int8_ptq;
    j["qat_applied"] = c.int8.qat_applied;
    j["qat_kept"] = c.int8.qat_kept;
    j["val_accuracy_int8_qat"] = c.int8.val_int8_qat;
    j["qat_seconds"] = c.int8.qat_seconds;
    if (!c.int8.qat_failure.empty()) j["qat_failure"] = c.int8.qat_failure;
  } else if (r.ok) {
    j["int8_failure"] = c.int8.failure;
  }
  if (!c.seed_runs.empty()) {
    // The accuracies above are means over these trainings; the deployed one's own are here.
    nlohmann::json runs = nlohmann::json::array();
    for (size_t k = 0; k < c.seed_runs.size(); ++k) {
      const SeedRun& s = c.seed_runs[k];
      nlohmann::json run = {{"seed", s.seed},
                            {"validation_split", k},
                            {"status", s.result.ok ? "ok" : "failed"},
                            {"train_accuracy", s.result.train_accuracy},
                            {"val_accuracy", s.result.validation_accuracy},
                            {"test_accuracy", s.result.test_accuracy},
                            {"train_seconds", s.result.seconds}};
      if (s.result.ok && s.int8.ok) {
        run["val_accuracy_int8"] = s.int8.val_int8;
        run["test_accuracy_int8"] = s.int8.test_int8;
      }
      runs.push_back(run);
    }
    j["seed_runs"] = runs;
    j["deployed_seed_run"] = c.deployed_seed_run;
  }
  return j;
}

size_t combine_seed_runs(Candidate& c, std::vector<SeedRun> runs) {
  size_t best = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!runs[i].result.ok || !runs[i].int8.ok) {  // a failure decides: it is what the record says
      c.result = runs[i].result;
      c.int8 = runs[i].int8;
      c.seed_runs = std::move(runs);
      c.deployed_seed_run = int(i);
      return i;
    }
    if (runs[i].int8.val_int8 > runs[best].int8.val_int8) best = i;
  }
  TrainResult mean = runs[best].result;
  Int8Scores mean8 = runs[best].int8;
  const double n = double(runs.size());
  mean.train_loss = mean.train_accuracy = mean.validation_accuracy = mean.test_accuracy = mean.seconds = 0;
  mean8.val_int8 = mean8.test_int8 = mean8.val_float = mean8.seconds = 0;
  for (const SeedRun& r : runs) {
    mean.train_loss += r.result.train_loss / n;
    mean.train_accuracy += r.result.train_accuracy / n;
    mean.validation_accuracy += r.result.validation_accuracy / n;
    mean.test_accuracy += r.result.test_accuracy / n;
    mean.seconds += r.result.seconds;
    mean8.val_int8 += r.int8.val_int8 / n;
    mean8.test_int8 += r.int8.test_int8 / n;
    mean8.val_float += r.int8.val_float / n;
    mean8.seconds += r.int8.seconds;
  }
  c.result = mean;
  c.int8 = mean8;
  c.seed_runs = std::move(runs);
  c.deployed_seed_run = int(best);
  return best;
}

nlohmann::json fidelity_json(const FidelitySpec& f) {
  return {{"epochs", f.epochs}, {"train_samples", f.train_samples}, {"learning_rate", f.learning_rate}};
}

namespace {

// The per-training scores: pareto.json reports the deployed training's after a resume too.
void restore_seed_runs(const nlohmann::json& record, Candidate& c) {
  c.seed_runs.clear();
  if (!record.contains("seed_runs")) return;
  for (const auto& run : record.at("seed_runs")) {
    SeedRun s;
    s.seed = run.at("seed").get<uint64_t>();
    s.result.ok = run.at("status") == "ok";
    s.result.train_accuracy = run.at("train_accuracy").get<double>();
    s.result.validation_accuracy = run.at("val_accuracy").get<double>();
    s.result.test_accuracy = run.at("test_accuracy").get<double>();
    s.result.seconds = run.at("train_seconds").get<double>();
    s.int8.ok = run.contains("val_accuracy_int8");
    if (s.int8.ok) {
      s.int8.val_int8 = run.at("val_accuracy_int8").get<double>();
      s.int8.test_int8 = run.at("test_accuracy_int8").get<double>();
    }
    c.seed_runs.push_back(s);
  }
  c.deployed_seed_run = record.at("deployed_seed_run").get<int>();
}

}  // namespace

void restore_results(const nlohmann::json& record, Candidate& c) {
  TrainResult& r = c.result;
  c.rung = record.value("rung", 0);
  c.stage = record.value("stage", "search");
  const auto& fidelity = record.at("fidelity");
  // Histories written before fidelities had their own learning rate hold none: 0.
  c.fidelity = {fidelity.at("epochs").get<int>(), fidelity.at("train_samples").get<int64_t>(),
                fidelity.value("learning_rate", 0.0)};
  r.ok = record.at("status") == "ok";
  r.failure = record.value("failure", "");
  r.train_loss = record.at("train_loss").get<double>();
  r.train_accuracy = record.at("train_accuracy").get<double>();
  r.validation_accuracy = record.at("val_accuracy").get<double>();
  r.test_accuracy = record.at("test_accuracy").get<double>();
  r.seconds = record.at("train_seconds").get<double>();
  r.images_per_second = record.at("images_per_second").get<double>();
  restore_seed_runs(record, c);
  Int8Scores& q = c.int8;
  q.ok = record.contains("val_accuracy_int8");
  if (!q.ok) {
    q.failure = record.value("int8_failure", "");
    return;
  }
  q.val_int8 = record.at("val_accuracy_int8").get<double>();
  q.test_int8 = record.at("test_accuracy_int8").get<double>();
  q.val_float = record.at("val_accuracy_deployed_float").get<double>();
  q.val_agreement = record.at("int8_agreement").get<double>();
  q.seconds = record.at("int8_seconds").get<double>();
  q.val_int8_ptq = record.at("val_accuracy_int8_ptq").get<double>();
  q.qat_applied = record.at("qat_applied").get<bool>();
  q.qat_kept = record.at("qat_kept").get<bool>();
  q.val_int8_qat = record.at("val_accuracy_int8_qat").get<double>();
  q.qat_seconds = record.at("qat_seconds").get<double>();
  q.qat_failure = record.value("qat_failure", "");
}

double selection_accuracy(const Candidate& c) { return c.result.ok && c.int8.ok ? c.int8.val_int8 : -1.0; }

bool reaches_accuracy_floor(const Candidate& c, double min_accuracy) {
  return selection_accuracy(c) >= std::max(0.0, min_accuracy);
}

}  // namespace hwnas
