// This file implements end-to-end tests of `nas-run train ARCH --config CONFIG` on a few
// hundred real Fashion-MNIST images: per-epoch
// progress, the files it writes (weights that load back, result.json, the splits as .npy),
// that float and int8 test accuracy are reported, and one-line errors with exit code 2.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "space/arch_json.hpp"
#include "tests/test_support.hpp"
#include "trainers/training/model_weights.hpp"
#include "trainers/data/npy_reader.hpp"

namespace hwnas::test {

namespace {

const char* kArch = R"({
  "name": "tiny_train",
  "input": {"shape": [28, 28, 1]},
  "layers": [
    {"name": "c1", "op": "conv2d", "filters": 16, "kernel": 3, "stride": 2, "use_bias": false},
    {"name": "bn1", "op": "batch_norm"},
    {"name": "r1", "op": "relu"},
    {"name": "dw", "op": "depthwise_conv2d", "kernel": 3, "use_bias": false},
    {"name": "bn2", "op": "batch_norm"},
    {"name": "r2", "op": "relu6"},
    {"name": "pw", "op": "conv2d", "filters": 32, "kernel": 1, "use_bias": false},
    {"name": "bn3", "op": "batch_norm"},
    {"name": "r3", "op": "relu"},
    {"name": "gap", "op": "global_avg_pool"},
    {"name": "fc", "op": "dense", "units": 10},
    {"name": "sm", "op": "softmax"}
  ]
})";

nlohmann::json train_config(const std::string& runs_dir) {
  nlohmann::json c = nlohmann::json::parse(R"({
    "dataset": {"format": "idx",
                "train_images": "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
                "train_labels": "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
                "test_images": "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
                "test_labels": "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
                "train_limit": 600, "test_limit": 200, "validation_fraction": 0.2},
    "space": {"name": "tiny", "stages": [{"block": "conv", "filters": 4, "kernel": 3}, {"block": "global_pool"},
                                          {"block": "classifier"}]},
    "targets": [{"mcu": "STM32F746"}],
    "search": {"seed": 5},
    "training": {"epochs": 6, "batch_size": 32, "learning_rate": 0.1, "augment": {"shift": 1}},
    "quantization": {"calibration_samples": 64}
  })");
  c["output"] = {{"dir", runs_dir + "/run"}};
  return c;
}

struct TrainFixture {
  TempDir dir{"train-cmd"};
  std::string arch = dir.file("arch.json");
  std::string config = dir.file("config.json");
  TrainFixture() {
    write_text(arch, kArch);
    write_text(config, train_config(dir.path().string()).dump(2));
  }
  CommandResult train(const std::string& extra) const {
    return run_nas_run("train '" + arch + "' --config '" + config + "' " + extra);
  }
};

size_t count_lines(const std::string& text) {
  std::istringstream in(text);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty();
  return n;
}

}  // namespace

TEST_CASE("nas-run train: progress per epoch, weights, float and int8 test accuracy, the splits") {
  TrainFixture f;
  const std::string out = f.dir.file("out"), splits = f.dir.file("splits");
  const CommandResult r = f.train("--out '" + out + "' --save-splits '" + splits + "' --json");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.output, "epoch 1/6: loss"));
  CHECK(contains(r.output, "epoch 6/6: loss"));
  CHECK(contains(r.output, "images/s"));
  CHECK(contains(r.output, "test accuracy: float"));

  const nlohmann::json result = nlohmann::json::parse(read_text(out + "/result.json"));
  CHECK(result["status"] == "ok");
  CHECK(result["test_samples"] == 200);
  CHECK(result["test_accuracy"].get<double>() > 0.4);  // chance is 0.1
  CHECK(result["test_accuracy_int8"].get<double>() > 0.4);
  CHECK(result["parameters"].get<int>() > 0);
  // Fashion-MNIST's pixels (bytes / 255) average about 0.29: what a deployment subtracts.
  REQUIRE(result["input_standardization"]["mean"].size() == 1);
  CHECK(result["input_standardization"]["mean"][0].get<double>() == doctest::Approx(0.29).epsilon(0.1));
  CHECK(result["input_standardization"]["std"][0].get<double>() == doctest::Approx(0.35).epsilon(0.1));
  CHECK(count_lines(read_text(out + "/history.jsonl")) == 6);  // one line per epoch

  const Architecture arch = load_architecture(f.arch);
  const TrainedModel weights = load_model_weights(out, arch);
  CHECK(weights.parameters.size() == result["parameters"].get<int>());

  const NpyArray test_x = read_npy(splits + "/test_x.npy");
  CHECK(test_x.shape == std::vector<size_t>{200, 28, 28, 1});
  CHECK(test_x.type == ElementType::kFloat32);
  const NpyArray train_y = read_npy(splits + "/train_y.npy");
  CHECK(train_y.shape[0] == result["train_samples"].get<size_t>());
}

TEST_CASE("nas-run train and the search give the same result fields for the same network, seed and split") {
  TrainFixture f;
  nlohmann::json config = train_config(f.dir.path().string());
  config["space"] = nlohmann::json::parse(R"({"name": "tiny", "stages": [
      {"block": "conv", "filters": {"choice": [4, 8]}, "kernel": {"choice": [3, 5]}, "stride": 2},
      {"block": "global_pool"}, {"block": "classifier"}]})");
  config["search"] = {{"seed", 5}, {"evaluations", 3}, {"population_size", 2}, {"sample_size", 2},
                      {"fidelity", {{"epochs", 1}}}, {"max_final", 1}};
  config["training"]["epochs"] = 2;
  write_text(f.config, config.dump());
  const std::string run = f.dir.file("run");
  const CommandResult search = run_nas_run("'" + f.config + "' --log-level warn --out '" + run + "'");
  INFO(search.output);
  REQUIRE(search.exit_code == 0);
  nlohmann::json final_record;
  std::istringstream lines(read_text(run + "/history.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json r = nlohmann::json::parse(line);
    if (r["stage"] == "final") final_record = r;
  }
  REQUIRE(final_record.is_object());
  const std::string id = final_record["id"].get<std::string>();
  const std::string out = f.dir.file("again");
  const CommandResult train = run_nas_run("train '" + run + "/models/" + id + "/arch.json' --config '" + run +
                                          "/config.json' --training-seed " + std::to_string(final_record["seed"].get<uint64_t>()) +
                                          " --out '" + out + "' --log-level warn");
  INFO(train.output);
  REQUIRE(train.exit_code == 0);
  const nlohmann::json result = nlohmann::json::parse(read_text(out + "/result.json"));
  // Every result field of the record, under the same name and with the same value (the
  // timings aside); the candidate's own fields (id, genome, costs, rung) are the search's.
  const std::set<std::string> candidate_fields = {"index", "id", "genome", "params", "macs", "layers",
                                                  "costs", "rung", "stage", "proposals_so_far", "finished_at"};
  const std::set<std::string> timings = {"train_seconds", "images_per_second", "int8_seconds", "qat_seconds"};
  int compared = 0;
  for (const auto& [key, value] : final_record.items()) {
    if (candidate_fields.count(key)) continue;
    INFO(key);
    REQUIRE(result.contains(key));
    if (!timings.count(key)) CHECK(result[key] == value);
    ++compared;
  }
  CHECK(compared >= 15);
  CHECK(result["status"] == "ok");  // two trainings that learned (chance is 0.1), not two failures
  CHECK(result["val_accuracy_int8"].get<double>() > 0.15);
}

TEST_CASE("nas-run train: the same seed gives the same accuracies, another seed other ones") {
  TrainFixture f;
  auto accuracies = [&](const std::string& name, const std::string& seed) {
    const CommandResult r = f.train("--out '" + f.dir.file(name) + "' --seed " + seed + " --log-level warn");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    nlohmann::json j = nlohmann::json::parse(read_text(f.dir.file(name) + "/result.json"));
    return std::make_tuple(j["train_loss"].get<double>(), j["test_accuracy"].get<double>(),
                           j["test_accuracy_int8"].get<double>());
  };
  const auto a = accuracies("a", "3"), b = accuracies("b", "3"), c = accuracies("c", "4");
  CHECK(a == b);
  CHECK(std::get<0>(a) != std::get<0>(c));
}

TEST_CASE("nas-run train: with validation_fraction 0 it trains on every sample, a search refuses it") {
  TrainFixture f;
  nlohmann::json config = train_config(f.dir.path().string());
  config["dataset"]["validation_fraction"] = 0;
  write_text(f.config, config.dump());
  const CommandResult r = f.train("--out '" + f.dir.file("all") + "' --epochs 1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json result = nlohmann::json::parse(read_text(f.dir.file("all") + "/result.json"));
  CHECK(result["train_samples"] == 600);
  CHECK(result["validation_samples"] == 0);
  CHECK(result["qat_applied"] == false);
  const CommandResult v = run_nas_run("validate '" + f.config + "'");
  CHECK(v.exit_code == 2);
  CHECK(count_lines(v.output) == 1);
  CHECK(contains(v.output, "/dataset/validation_fraction"));
}

TEST_CASE("nas-run train: bad input is one line and exit code 2") {
  TrainFixture f;
  // An architecture for another input size than the data's channels.
  nlohmann::json arch = nlohmann::json::parse(kArch);
  arch["input"]["shape"] = {28, 28, 3};
  write_text(f.arch, arch.dump());
  CommandResult r = f.train("--out '" + f.dir.file("o1") + "'");
  CHECK(r.exit_code == 2);
  CHECK(count_lines(r.output) == 1);
  CHECK(contains(r.output, "expects input"));

  // A typo in the augmentation settings.
  write_text(f.arch, kArch);
  nlohmann::json config = train_config(f.dir.path().string());
  config["training"]["augment"] = {{"shfit", 2}};
  write_text(f.config, config.dump());
  r = f.train("--out '" + f.dir.file("o2") + "'");
  CHECK(r.exit_code == 2);
  CHECK(count_lines(r.output) == 1);
  CHECK(contains(r.output, "/training/augment"));
  CHECK(contains(r.output, "shfit"));
}

TEST_CASE("nas-run train: --split holds out another validation set, with the same test set") {
  TrainFixture f;
  auto splits_of = [&](const std::string& name, const std::string& split) {
    const std::string out = f.dir.file(name), splits = f.dir.file(name + "-splits");
    const CommandResult r =
        f.train("--out '" + out + "' --epochs 1 --split " + split + " --save-splits '" + splits + "' --log-level warn");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(nlohmann::json::parse(read_text(out + "/result.json"))["validation_split"] == std::stoi(split));
    return splits;
  };
  const std::string zero = splits_of("zero", "0"), one = splits_of("one", "1");
  // The same test images (standardised with each training split's own statistics).
  CHECK(read_text(zero + "/test_y.npy") == read_text(one + "/test_y.npy"));
  CHECK(read_text(zero + "/validation_y.npy").size() == read_text(one + "/validation_y.npy").size());
  CHECK(read_text(zero + "/validation_x.npy") != read_text(one + "/validation_x.npy"));
  CHECK(f.train("--split -1").exit_code == 2);
}

}  // namespace hwnas::test
