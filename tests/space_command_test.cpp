// This file implements the end-to-end tests of `nas-run space` on every shipped config:
// the size and metric ranges it prints, its --json form, and --sample's architectures.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "space/arch_json.hpp"
#include "tests/split_output.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

}  // namespace

TEST_SUITE("space_config") {
  // --- nas-run space on the shipped configs ------------------------------------------

  // The quickstart and every example config. The Fashion-MNIST ones need the dataset
  // installed under /usr/share/datasets/fashion-mnist; the report reads only its headers.
  const std::vector<std::string> kShippedConfigs = {
      "configs/quickstart.json", "configs/fashion-mnist-64k.json", "configs/fashion-mnist-64k-improve-ds-cnn.json",
      "configs/examples/har_ds_cnn_1d.json",
      "configs/examples/kws_ds_cnn_2d.json",
      "configs/examples/mcunet_fashion_mnist.json", "configs/examples/unas_fashion_mnist.json"};

  TEST_CASE("the list of shipped configs covers configs/examples and the run configs of configs/") {
    std::set<std::string> listed(kShippedConfigs.begin(), kShippedConfigs.end());
    for (const std::string dir : {"configs/examples", "configs"}) {
      for (const auto& entry : fs::directory_iterator(source_path(dir))) {
        const std::string name = entry.path().filename().string();
        if (!entry.is_regular_file() || entry.path().extension() != ".json" || name == "mcus.json") continue;
        const std::string relative = dir + "/" + name;
        INFO(relative << " is not in kShippedConfigs");
        CHECK(listed.count(relative) == 1);
      }
    }
  }

  TEST_CASE("nas-run space prints the size and the metric ranges of each shipped config") {
    for (const auto& config : kShippedConfigs) {
      TempDir dir("space-report");
      const SplitResult r = run_split(dir, "space '" + source_path(config) + "' --stats-samples 200");
      INFO(config << "\nstdout: " << r.out << "\nstderr: " << r.err);
      CHECK(r.exit_code == 0);
      CHECK(contains(r.out, "size: 10^"));
      CHECK(contains(r.out, "over 200 uniform samples"));
      CHECK(contains(r.out, "parameters"));
      CHECK(contains(r.out, "MACs"));
      CHECK(contains(r.out, "valid samples fit the budgets"));  // one line per target
    }
  }

  TEST_CASE("nas-run space --json parses and has a size and metrics") {
    for (const auto& config : kShippedConfigs) {
      TempDir dir("space-report");
      const SplitResult r = run_split(dir, "space '" + source_path(config) + "' --stats-samples 200 --json");
      INFO(config << "\nstdout: " << r.out << "\nstderr: " << r.err);
      REQUIRE(r.exit_code == 0);
      json report;
      REQUIRE_NOTHROW(report = json::parse(r.out));
      CHECK(report["log10_size"].get<double>() > 0);
      CHECK(report["samples"] == 200);
      REQUIRE(report["metrics"].contains("parameters"));
      REQUIRE(report["metrics"].contains("MACs"));
      const json& params = report["metrics"]["parameters"];
      CHECK(params["min"].get<double>() > 0);
      CHECK(params["min"].get<double>() <= params["median"].get<double>());
      CHECK(params["median"].get<double>() <= params["max"].get<double>());
      // Per target: costs under its runtime, and how many samples fit.
      REQUIRE(report["targets"].size() >= 1);
      for (const auto& t : report["targets"]) {
        CHECK(t["fits"].get<int>() >= 0);
        CHECK(t["fits"].get<int>() <= 200);
        CHECK(t["metrics"]["latency (ms)"]["min"].get<double>() > 0);
      }
      // With search.min_budget_use: the samples that fit every target and pass the floors.
      const json source = json::parse(read_text(source_path(config)));
      const bool floors = source.contains("search") && source["search"].contains("min_budget_use");
      CHECK(report["fits_min_budget_use"].is_null() == !floors);
      if (floors) {
        CHECK(report["fits_min_budget_use"].get<int>() >= 0);
        // The improve config's floor rejects most networks that fit (1.5% pass, 26% fit).
        CHECK(report["fits_min_budget_use"].get<int>() < report["targets"][0]["fits"].get<int>());
      }
    }
  }

  TEST_CASE("nas-run space --sample writes loadable architectures and samples.jsonl") {
    for (const auto& config : kShippedConfigs) {
      TempDir dir("space-sample");
      const std::string out = dir.file("samples");
      const SplitResult r =
          run_split(dir, "space '" + source_path(config) + "' --stats-samples 0 --sample 5 --out '" + out + "'");
      INFO(config << "\nstdout: " << r.out << "\nstderr: " << r.err);
      REQUIRE(r.exit_code == 0);

      std::vector<std::string> lines;
      std::istringstream jsonl(read_text(out + "/samples.jsonl"));
      for (std::string line; std::getline(jsonl, line);) lines.push_back(line);
      CHECK(lines.size() == 5);

      std::set<std::string> identities;
      for (const auto& line : lines) {
        const json sample = json::parse(line);
        const std::string id = sample["identity"].get<std::string>();
        identities.insert(id);
        const std::string arch_path = out + "/" + id + "/arch.json";
        INFO(arch_path);
        REQUIRE(fs::is_regular_file(arch_path));
        const Architecture arch = load_architecture(arch_path);
        CHECK(arch.total_params() == sample["params"].get<int64_t>());
        CHECK(arch.total_macs() == sample["macs"].get<int64_t>());
      }
      CHECK(identities.size() == 5);  // distinct networks
      size_t folders = 0;
      for (const auto& entry : fs::directory_iterator(out)) folders += entry.is_directory();
      CHECK(folders == 5);
    }
  }

  TEST_CASE("nas-run space --sample refuses a non-empty --out and needs --out") {
    const std::string config = source_path("configs/examples/kws_ds_cnn_2d.json");
    TempDir dir("space-sample");
    const std::string out = dir.file("samples");
    REQUIRE(run_split(dir, "space '" + config + "' --stats-samples 0 --sample 5 --out '" + out + "'").exit_code == 0);

    const SplitResult again = run_split(dir, "space '" + config + "' --stats-samples 0 --sample 5 --out '" + out + "'");
    INFO("stderr: " << again.err);
    CHECK(again.exit_code == 2);
    CHECK(contains(again.err, "not empty"));
    CHECK(count_lines(again.err) == 1);

    const SplitResult no_out = run_split(dir, "space '" + config + "' --stats-samples 0 --sample 5");
    INFO("stderr: " << no_out.err);
    CHECK(no_out.exit_code == 2);
    CHECK(contains(no_out.err, "--out"));
  }

  TEST_CASE("nas-run space --sample with the same --seed samples the same networks") {
    const std::string config = source_path("configs/examples/mcunet_fashion_mnist.json");
    TempDir dir("space-sample");
    auto identities = [&](const std::string& name, int seed) {
      const std::string out = dir.file(name);
      const SplitResult r = run_split(dir, "space '" + config + "' --stats-samples 0 --sample 5 --seed " +
                                               std::to_string(seed) + " --out '" + out + "'");
      INFO("stderr: " << r.err);
      REQUIRE(r.exit_code == 0);
      std::vector<std::string> ids;
      std::istringstream jsonl(read_text(out + "/samples.jsonl"));
      for (std::string line; std::getline(jsonl, line);) ids.push_back(json::parse(line)["identity"]);
      return ids;
    };
    const auto first = identities("a", 11);
    CHECK(first.size() == 5);
    CHECK(identities("b", 11) == first);
    CHECK(identities("c", 12) != first);  // and the seed does matter (10^many networks)
  }
}

}  // namespace hwnas::test
