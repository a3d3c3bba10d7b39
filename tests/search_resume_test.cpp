// This file implements the tests of checkpoint and resume: a run killed with SIGKILL at
// an arbitrary moment, or stopped with SIGINT, resumes to exactly the history and Pareto
// sets of an uninterrupted run; a changed config is refused; a larger budget continues.
#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "space/arch_identity.hpp"
#include "space/arch_json.hpp"
#include "tests/resume_runs.hpp"
#include "tests/run_comparison.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

TEST_SUITE("search_resume") {
  TEST_CASE("kill -9 in the search or in the promotions, then nas-run resume: identical history and Pareto sets") {
    // Aging evolution is killed during the search, NSGA-II during the later stages.
    for (const auto& [strategy, kill_after] : std::vector<std::pair<std::string, size_t>>{{"aging_evolution", 6},
                                                                                        {"nsga2", 15}}) {
      CAPTURE(strategy);
      TempDir dir;
      const std::string straight = straight_run(dir, resume_config(strategy, dir.file("straight")));
      const nlohmann::json config = resume_config(strategy, dir.file("killed"));
      write_text(dir.file("killed.json"), config.dump(2));
      const std::string run = dir.file("killed");
      {
        BackgroundNasRun nas("'" + dir.file("killed.json") + "' --threads 2", dir.file("killed.log"));
        REQUIRE(nas.wait_until([&] { return count_file_lines(run + "/history.jsonl") >= kill_after; }));
        nas.signal(SIGKILL);
        CHECK(nas.wait() == 128 + SIGKILL);
      }
      const size_t before = count_file_lines(run + "/history.jsonl");
      CHECK(before < comparable_history(straight).size());
      const CommandResult r = run_nas_run("resume '" + run + "' --threads 1 --log-level info");
      REQUIRE_MESSAGE(r.exit_code == 0, r.output);
      CHECK(contains(r.output, "resuming at "));
      check_same_run(straight, run);
    }
  }

  TEST_CASE("SIGINT stops cleanly with exit 0 and says how to resume, the resumed run is identical") {
    TempDir dir;
    const std::string straight = straight_run(dir, resume_config("nsga2", dir.file("straight")));
    const nlohmann::json config = resume_config("nsga2", dir.file("stopped"));
    write_text(dir.file("stopped.json"), config.dump(2));
    const std::string run = dir.file("stopped");
    BackgroundNasRun nas("'" + dir.file("stopped.json") + "' --threads 2", dir.file("stopped.log"));
    REQUIRE(nas.wait_until([&] { return count_file_lines(run + "/history.jsonl") >= 3; }));
    nas.signal(SIGINT);
    CHECK(nas.wait() == 0);
    const std::string log = read_text(dir.file("stopped.log"));
    CHECK(contains(log, "nas-run resume " + run));
    const auto checkpoint = nlohmann::json::parse(read_text(run + "/checkpoint.json"));
    CHECK(checkpoint["stop_reason"] == "stop signal (SIGINT, SIGTERM or SIGUSR1)");
    // `nas-run CONFIG --resume` finds the run from the config's output.dir.
    const CommandResult r = run_nas_run("'" + dir.file("stopped.json") + "' --resume --log-level warn");
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    check_same_run(straight, run);
  }

  TEST_CASE("a changed config is refused on resume, a larger evaluation budget continues the run") {
    TempDir dir;
    nlohmann::json config = resume_config("aging_evolution", dir.file("run"));
    for (const char* key : {"fidelity", "promotions", "promotion_eta"}) config["search"].erase(key);
    config["search"]["evaluations"] = 5;
    const std::string run = straight_run(dir, config);
    CHECK(count_file_lines(run + "/history.jsonl") == 5);  // the full recipe from the start: no later stages

    config["training"]["learning_rate"] = 0.01;
    write_text(dir.file("changed.json"), config.dump(2));
    CommandResult r = run_nas_run("'" + dir.file("changed.json") + "' --resume");
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "/training/learning_rate"));
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);

    // The run's own copy edited: no pointer to name, but not "an unknown place" either.
    const std::string stored = read_text(run + "/config.json");
    write_text(run + "/config.json", config.dump(2));
    r = run_nas_run("resume '" + run + "'");
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, run + "/config.json: edited after the run started"));
    write_text(run + "/config.json", stored);

    config["training"].erase("learning_rate");
    config["search"]["evaluations"] = 8;
    write_text(dir.file("more.json"), config.dump(2));
    r = run_nas_run("'" + dir.file("more.json") + "' --resume --log-level warn");
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    const auto history = comparable_history(run);
    CHECK(history.size() == 8);
    CHECK(history.rbegin()->first == std::make_pair(7, 0));

    r = run_nas_run("resume '" + dir.file("nowhere") + "'");
    CHECK(r.exit_code == 2);
  }

  TEST_CASE("initial architectures are evaluated first, in order, a resumed run repeats the straight one") {
    TempDir dir;
    // Two members of resume_config's space, written by hand: a 5x5 convolution of 4 at
    // stride 2, and a 3x3 convolution of 8 followed by a dense layer of 12.
    const auto write_network = [&](const std::string& name, const std::string& layers) {
      write_text(dir.file(name), R"({"name": "given", "input": {"shape": [12, 12, 1]}, "layers": [)" + layers +
                                     R"(, {"name": "logits", "op": "dense", "units": 3}, {"name": "p", "op": "softmax"}]})");
      return architecture_identity(load_architecture(dir.file(name)));
    };
    const std::string first = write_network(
        "first.json", R"({"name": "c", "op": "conv2d", "filters": 4, "kernel": 5, "stride": 2, "use_bias": false},
        {"name": "bn", "op": "batch_norm"}, {"name": "r", "op": "relu"}, {"name": "g", "op": "global_avg_pool"})");
    const std::string second = write_network(
        "second.json", R"({"name": "c", "op": "conv2d", "filters": 8, "kernel": 3, "use_bias": false},
        {"name": "bn", "op": "batch_norm"}, {"name": "r", "op": "relu"}, {"name": "g", "op": "global_avg_pool"},
        {"name": "d", "op": "dense", "units": 12}, {"name": "dr", "op": "relu"})");
    nlohmann::json config = resume_config("aging_evolution", dir.file("straight"));
    for (const char* key : {"fidelity", "promotions", "promotion_eta"}) config["search"].erase(key);
    config["search"]["retrain_final"] = false;
    config["search"]["evaluations"] = 6;
    // The second file twice: a network is never evaluated twice.
    config["search"]["initial_architectures"] = {dir.file("first.json"), dir.file("second.json"),
                                                 dir.file("second.json")};
    const std::string straight = straight_run(dir, config);
    const auto history = comparable_history(straight);
    REQUIRE(history.size() == 6);
    CHECK(history.at({0, 0})["id"] == first);
    CHECK(history.at({1, 0})["id"] == second);
    std::set<std::string> ids;
    for (const auto& [key, record] : history) ids.insert(record["id"].get<std::string>());
    CHECK(ids.size() == 6);
    CHECK(contains(read_text(straight + "/run.log"), "initial network " + first + ": " + dir.file("first.json")));

    // Stopped after 3 evaluations, then resumed with the budget of 6.
    config["output"]["dir"] = dir.file("resumed");
    config["search"]["evaluations"] = 3;
    const std::string resumed = straight_run(dir, config);
    config["search"]["evaluations"] = 6;
    write_text(dir.file("more.json"), config.dump(2));
    const CommandResult r = run_nas_run("'" + dir.file("more.json") + "' --resume --log-level warn");
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    CHECK(comparable_history(resumed) == history);
  }

  TEST_CASE("multi-fidelity: successive halving promotes a subset, the final stage retrains the Pareto sets") {
    TempDir dir;
    nlohmann::json config = resume_config("random", dir.file("run"));
    config["search"]["fidelity"]["learning_rate"] = 0.2;  // rung 0 only; the rest use the recipe's 0.05
    const std::string run = straight_run(dir, config);
    std::map<int, std::set<int>> by_rung;
    for (const auto& [key, record] : comparable_history(run)) {
      by_rung[key.second].insert(key.first);
      const auto& fidelity = record["fidelity"];
      if (key.second == 0) {
        CHECK(fidelity["epochs"] == 1);
        CHECK(fidelity["train_samples"] == 1000);
        CHECK(fidelity["learning_rate"] == 0.2);
        CHECK(record["stage"] == "search");
      } else {
        CHECK(fidelity["epochs"] == key.second);  // rung 1: 1 epoch, final: the recipe's 2
        CHECK(fidelity["train_samples"].get<int>() > 2000);
        CHECK(fidelity["learning_rate"] == 0.05);
        CHECK(record["stage"] == (key.second == 1 ? "promotion" : "final"));
      }
    }
    REQUIRE(by_rung.size() == 3);
    CHECK(by_rung[0].size() == 12);
    CHECK(by_rung[1].size() == 6);  // ceil(12 / 2), every candidate trained
    CHECK(!by_rung[2].empty());
    CHECK(std::includes(by_rung[0].begin(), by_rung[0].end(), by_rung[1].begin(), by_rung[1].end()));
    CHECK(std::includes(by_rung[1].begin(), by_rung[1].end(), by_rung[2].begin(), by_rung[2].end()));
    // pareto.json holds final models only, each within its target's budgets.
    const auto pareto = nlohmann::json::parse(read_text(run + "/pareto.json"));
    for (const auto& target : pareto["targets"]) {
      CHECK(!target["front"].empty());
      const double usable = 1.0 - target["budgets"]["safety_margin"].get<double>();
      for (const auto& entry : target["front"]) {
        CHECK(by_rung[2].count(entry["index"].get<int>()) == 1);
        CHECK(entry["fidelity"]["epochs"] == 2);
        CHECK(entry["ram_bytes"].get<double>() <= usable * target["budgets"]["max_ram_kb"].get<double>() * 1024);
        CHECK(entry["flash_bytes"].get<double>() <= usable * target["budgets"]["max_flash_kb"].get<double>() * 1024);
        CHECK(entry.contains("test_accuracy_int8"));
      }
    }
    const auto summary = nlohmann::json::parse(read_text(run + "/summary.json"));
    CHECK(summary["evaluations_by_stage"]["promotion"] == 6);
    CHECK(summary["ranked_rung"] == 2);
  }

  TEST_CASE("a fidelity's learning rate trains its rung, 0 or none means the recipe's") {
    // Rung-0 results of the same two candidates under three fidelities that differ only in
    // their learning rate: the recipe's rate given explicitly must train exactly as no
    // rate at all, another rate must not.
    auto rung0 = [](const std::string& sub, const nlohmann::json& learning_rate) {
      TempDir dir(sub);
      nlohmann::json config = resume_config("random", dir.file("run"));
      config["search"]["evaluations"] = 2;
      for (const char* key : {"promotions", "promotion_eta"}) config["search"].erase(key);
      config["search"]["retrain_final"] = false;
      if (!learning_rate.is_null()) config["search"]["fidelity"]["learning_rate"] = learning_rate;
      return comparable_history(straight_run(dir, config));
    };
    const auto recipe = rung0("lr_none", nullptr), same = rung0("lr_same", 0.05), other = rung0("lr_other", 0.5);
    REQUIRE(recipe.size() == 2);
    REQUIRE(other.size() == 2);
    CHECK(recipe == same);
    for (const auto& [key, record] : recipe) {
      CHECK(record["fidelity"]["learning_rate"] == 0.05);
      CHECK(other.at(key)["fidelity"]["learning_rate"] == 0.5);
      CHECK(other.at(key)["train_loss"] != record["train_loss"]);
    }
  }

  TEST_CASE("with accuracy as the only objective, the final stage retrains the max_final most accurate") {
    // The front over the error alone is one network; max_final fills up from the next fronts.
    TempDir dir;
    nlohmann::json config = resume_config("random", dir.file("run"));
    for (const char* key : {"promotions", "promotion_eta"}) config["search"].erase(key);
    config["search"]["objectives"] = nlohmann::json::array();
    config["search"]["max_final"] = 3;
    const std::string run = straight_run(dir, config);
    std::map<int, double> search_accuracy;
    std::set<int> final_stage;
    for (const auto& [key, record] : comparable_history(run)) {
      if (key.second == 0) search_accuracy[key.first] = record["val_accuracy_int8"].get<double>();
      if (key.second == 1) final_stage.insert(key.first);
    }
    REQUIRE(search_accuracy.size() > 3);
    REQUIRE(final_stage.size() == 3);
    double weakest_retrained = 1.0, best_left = 0.0;
    for (const auto& [index, accuracy] : search_accuracy) {
      if (final_stage.count(index))
        weakest_retrained = std::min(weakest_retrained, accuracy);
      else
        best_left = std::max(best_left, accuracy);
    }
    CHECK(weakest_retrained >= best_left);
    // Not a tie at the top that would put three networks in the front anyway.
    CHECK(std::count_if(search_accuracy.begin(), search_accuracy.end(),
                        [&](const auto& e) { return e.second == weakest_retrained; }) < 3);
    // pareto.json: the retrained network with the best validation accuracy after the recipe.
    const auto pareto = nlohmann::json::parse(read_text(run + "/pareto.json"));
    for (const auto& target : pareto["targets"]) {
      REQUIRE(target["front"].size() >= 1);
      for (const auto& entry : target["front"]) CHECK(final_stage.count(entry["index"].get<int>()) == 1);
    }
  }

  TEST_CASE("final_seeds trains each final model several times and reports the means") {
    TempDir dir;
    nlohmann::json config = resume_config("random", dir.file("one"));
    for (const char* key : {"promotions", "promotion_eta"}) config["search"].erase(key);
    config["search"]["max_final"] = 2;
    const auto one = comparable_history(straight_run(dir, config));
    config["search"]["final_seeds"] = 3;
    config["output"]["dir"] = dir.file("three");
    const std::string run = straight_run(dir, config);
    const auto three = comparable_history(run);
    REQUIRE(one.size() == three.size());
    int finals = 0;
    for (const auto& [key, record] : three) {
      if (key.second == 0) {  // the search stage is untouched
        CHECK(record == one.at(key));
        continue;
      }
      ++finals;
      const auto& runs = record["seed_runs"];
      REQUIRE(runs.size() == 3);
      // The first training is the single-seed evaluation itself; the others differ.
      CHECK(runs[0]["seed"] == record["seed"]);
      CHECK(runs[0]["val_accuracy_int8"] == one.at(key)["val_accuracy_int8"]);
      CHECK(runs[0]["test_accuracy_int8"] == one.at(key)["test_accuracy_int8"]);
      CHECK(runs[1]["seed"] != runs[0]["seed"]);
      CHECK(runs[2]["seed"] != runs[1]["seed"]);
      for (size_t k = 0; k < 3; ++k) CHECK(runs[k]["validation_split"] == k);  // see train_command_test
      double val = 0, test = 0;
      size_t best = 0;
      for (size_t i = 0; i < 3; ++i) {
        val += runs[i]["val_accuracy_int8"].get<double>() / 3;
        test += runs[i]["test_accuracy_int8"].get<double>() / 3;
        if (runs[i]["val_accuracy_int8"].get<double>() > runs[best]["val_accuracy_int8"].get<double>()) best = i;
      }
      CHECK(record["val_accuracy_int8"].get<double>() == doctest::Approx(val));
      CHECK(record["test_accuracy_int8"].get<double>() == doctest::Approx(test));
      CHECK(record["deployed_seed_run"] == best);
    }
    CHECK(finals == 2);
    CHECK(contains(read_text(run + "/run.log"), "loading validation split 2"));
    CHECK_FALSE(one.rbegin()->second.contains("seed_runs"));
    // pareto.json ranks by the means.
    const auto pareto = nlohmann::json::parse(read_text(run + "/pareto.json"));
    for (const auto& target : pareto["targets"])
      for (const auto& entry : target["front"]) {
        const auto& record = three.at({entry["index"].get<int>(), 1});
        CHECK(entry["val_accuracy_int8"] == record["val_accuracy_int8"]);
        CHECK(entry["trainings"] == 3);
        CHECK(entry["deployed_test_accuracy_int8"] ==
              record["seed_runs"][record["deployed_seed_run"].get<size_t>()]["test_accuracy_int8"]);
        // The exported C header says which accuracy its weights have, and the mean.
        const std::string header = read_text(run + "/export/" + entry["id"].get<std::string>() + "/c/model.h");
        CHECK(header.find("(these weights; mean of 3 trainings: ") != std::string::npos);
      }
  }

  TEST_CASE("min_accuracy keeps weak candidates out of the later stages and pareto.json, max_final caps the final") {
    TempDir dir;
    nlohmann::json config = resume_config("random", dir.file("plain"));
    const std::string plain = straight_run(dir, config);
    // The floor: the 4th best int8 accuracy of the search stage, which the floored run
    // repeats exactly (the floor only acts after the search).
    std::vector<double> search_accuracies;
    for (const auto& [key, record] : comparable_history(plain))
      if (key.second == 0) search_accuracies.push_back(record["val_accuracy_int8"].get<double>());
    std::sort(search_accuracies.rbegin(), search_accuracies.rend());
    const double floor = search_accuracies.at(3);
    config["search"]["min_accuracy"] = floor;
    config["search"]["max_final"] = 1;
    config["output"]["dir"] = dir.file("floored");
    const std::string floored = straight_run(dir, config);
    std::map<int, std::set<int>> by_rung;
    std::map<int, double> search_accuracy;
    for (const auto& [key, record] : comparable_history(floored)) {
      by_rung[key.second].insert(key.first);
      if (key.second == 0) search_accuracy[key.first] = record["val_accuracy_int8"].get<double>();
    }
    REQUIRE(by_rung.size() == 3);
    const auto above_floor = std::count_if(search_accuracy.begin(), search_accuracy.end(),
                                           [&](const auto& entry) { return entry.second >= floor; });
    CHECK(by_rung[1].size() == size_t(std::ceil(double(above_floor) / 2)));  // eta 2 of those above the floor
    for (int index : by_rung[1]) CHECK(search_accuracy.at(index) >= floor);
    CHECK(by_rung[2].size() == 1);
    const auto pareto = nlohmann::json::parse(read_text(floored + "/pareto.json"));
    for (const auto& target : pareto["targets"])
      for (const auto& entry : target["front"]) {
        CHECK(entry["index"].get<int>() == *by_rung[2].begin());
        CHECK(entry["val_accuracy_int8"].get<double>() >= floor);
      }
  }
}

}  // namespace hwnas::test
