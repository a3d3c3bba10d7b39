// This file implements the tests of exporting a run (exporters/model_export.hpp and
// `nas-run export`): a search ends with its Pareto set exported; each exported int8 model
// is the one the search scored (same validation accuracy), its generated C gives the
// integer reference's outputs, and the command line exports chosen models and refuses
// bad requests with exit code 2.
#include "search/run_export.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "search/run_search.hpp"
#include "space/arch_json.hpp"
#include "tests/c_model_runner.hpp"
#include "tests/onnx_runtime_runner.hpp"
#include "tests/test_support.hpp"
#include "trainers/deploy/folded_model.hpp"
#include "trainers/deploy/int8_evaluation.hpp"
#include "trainers/deploy/int8_reference.hpp"
#include "trainers/training/model_weights.hpp"
#include "trainers/deploy/quantized_model_io.hpp"

namespace hwnas::test {

namespace {

namespace fs = std::filesystem;

// A search of 4 tiny networks on synthetic data; its final stage retrains the Pareto set.
nlohmann::json export_config(const std::string& out_dir) {
  nlohmann::json c = nlohmann::json::parse(R"({
    "dataset": {"format": "synthetic", "shape": [12, 12, 1], "classes": 3, "train_size": 240, "test_size": 60},
    "space": {"name": "tiny", "stages": [
      {"block": {"choice": ["conv", "separable"]}, "depth": {"min": 1, "max": 2}, "filters": {"choice": [4, 8]},
       "kernel": {"choice": [3, 5]}, "stride": {"choice": [1, 2]}},
      {"block": "global_pool"},
      {"block": "dense", "depth": {"min": 0, "max": 1}, "units": 8},
      {"block": "classifier"}]},
    "targets": [{"mcu": "STM32F746"}, {"mcu": "nRF52840"}],
    "search": {"evaluations": 4, "seed": 5, "objectives": ["latency"]},
    "training": {"epochs": 1, "batch_size": 32}
  })");
  c["output"] = {{"dir", out_dir}};
  return c;
}

std::map<std::string, nlohmann::json> last_records(const std::string& run) {
  std::istringstream in(read_text(run + "/history.jsonl"));
  std::map<std::string, nlohmann::json> records;
  for (std::string line; std::getline(in, line);) {
    const auto r = nlohmann::json::parse(line);
    records[r["id"].get<std::string>()] = r;
  }
  return records;
}

}  // namespace

TEST_SUITE("model_export") {
  TEST_CASE("a search exports its Pareto set: the scored int8 model, its C code and cost reports") {
    TempDir dir("export");
    const std::string run = dir.file("run");
    write_text(dir.file("config.json"), export_config(run).dump(2));
    const CommandResult r = run_nas_run("'" + dir.file("config.json") + "' --log-level warn");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);

    const std::vector<std::string> ids = pareto_set_ids(run);
    REQUIRE(!ids.empty());
    const auto listing = nlohmann::json::parse(read_text(run + "/export/export.json"));
    REQUIRE(listing["models"].size() == ids.size());
    const auto records = last_records(run);
    const RunConfig config = load_run_dir_config(run);
    const DatasetSplits data = load_search_data(config);
    for (size_t i = 0; i < ids.size(); ++i) {
      CAPTURE(ids[i]);
      const std::string model_dir = run + "/export/" + ids[i];
      CHECK(listing["models"][i]["id"] == ids[i]);
      for (const char* f : {"arch.json", "weights.bin", "model_int8.json", "cost_report.json", "c/model.h",
                            "c/model.c", "c/hwnas_kernels.c", "c/cost_report.json", "onnx/model_float.onnx",
                            "onnx/model_int8.onnx"})
        CHECK_MESSAGE(fs::exists(model_dir + "/" + f), f);
      // The exported int8 model is the one the search scored: same validation accuracy.
      const Architecture arch = load_architecture(model_dir + "/arch.json");
      const QuantizedModel model = load_quantized_model(arch, model_dir);
      const FoldedModel folded = fold_model(arch, load_model_weights(model_dir, arch));
      const QuantizedAccuracy acc = evaluate_quantized(folded, model, data.validation, false);
      CHECK(acc.int8_accuracy == doctest::Approx(records.at(ids[i])["val_accuracy_int8"].get<double>()).epsilon(1e-12));
      // It says how its inputs were standardised, and so do model.h and export.json.
      REQUIRE(!data.input_mean.empty());
      CHECK(model.input_mean == data.input_mean);
      CHECK(model.input_std == data.input_std);
      CHECK(listing["models"][i]["input_standardization"]["mean"] == data.input_mean);
      const std::string header = read_text(model_dir + "/c/model.h");
      CHECK(contains(header, "Input standardisation, as in training: v = (x - mean[c]) / std[c]"));
      CHECK(contains(header, fmt::format("#define MODEL_INPUT_MEAN {{{:.9g}f}}", data.input_mean[0])));
      CHECK(contains(header, fmt::format("#define MODEL_INPUT_STD {{{:.9g}f}}", data.input_std[0])));
      // Its C code gives the integer reference's outputs.
      const auto input_size = size_t(model.input_shape.elements());
      const std::vector<int8_t> inputs = random_int8(input_size * 20, 3);
      const std::vector<int8_t> outputs = run_generated_c(model_dir + "/c", inputs, 20);
      Int8Reference reference(model);
      const size_t output_size = size_t(model.tensor_shapes[size_t(model.output_tensor)].elements());
      REQUIRE(outputs.size() == output_size * 20);
      for (size_t s = 0; s < 20; ++s) {
        const std::vector<int8_t>& expected = reference.run_quantized(inputs.data() + s * input_size);
        CHECK(std::vector<int8_t>(outputs.begin() + long(s * output_size), outputs.begin() + long((s + 1) * output_size)) ==
              expected);
      }
      CHECK(onnx_checker_errors(model_dir + "/onnx/model_int8.onnx") == "");
      // Two targets, each with the hwnas-c cost of the generated code.
      const auto c_report = nlohmann::json::parse(read_text(model_dir + "/c/cost_report.json"));
      REQUIRE(c_report["targets"].size() == 2);
      CHECK(c_report["targets"][1]["mcu"] == "nRF52840");
      CHECK(c_report["targets"][1]["runtime"] == "hwnas-c");
    }

    // nas-run export: chosen models, a chosen folder; bad requests are one line and exit 2.
    const CommandResult e = run_nas_run("export '" + run + "' --ids " + ids[0] + " --format c --out '" + dir.file("out") + "'");
    INFO(e.output);
    CHECK(e.exit_code == 0);
    CHECK(fs::exists(dir.file("out") + "/" + ids[0] + "/c/model.c"));
    CHECK_FALSE(fs::exists(dir.file("out") + "/" + ids[0] + "/onnx"));
    const CommandResult bad_id = run_nas_run("export '" + run + "' --ids nosuchmodel --out '" + dir.file("out2") + "'");
    CHECK(bad_id.exit_code == 2);
    CHECK(bad_id.output.find("no model nosuchmodel") != std::string::npos);
    CHECK(std::count(bad_id.output.begin(), bad_id.output.end(), '\n') == 1);
    CHECK(run_nas_run("export '" + run + "' --format pdf").exit_code == 2);
    CHECK(run_nas_run("export '" + dir.file("no-such-run") + "'").exit_code == 2);
  }
}

}  // namespace hwnas::test
