// This file implements the tests of multi-fidelity selection (search/rung_selection.hpp),
// without an evaluator: promotions keep the best 1/eta, the final retraining takes the
// Pareto set within max_final and fills it from the next fronts, the accuracy floor.
#include <doctest/doctest.h>

#include <vector>

#include "search/rung_selection.hpp"
#include "tests/test_support.hpp"

namespace hwnas::test {

namespace {

// A trained candidate with int8 validation accuracy `accuracy` and latency `latency_ms` on
// one target it fits.
Candidate trained(int index, double accuracy, double latency_ms) {
  Architecture arch("c" + std::to_string(index), {4, 4, 1}, {make_test_layer("relu", OpKind::kReLU, {"input"})});
  CostEstimate costs;
  costs.latency_ms = latency_ms;
  Candidate c{index, {}, "id" + std::to_string(index), 0, std::move(arch), {{"MCU", "rt", costs, true}}, {}, {}, 0,
              "search", std::nullopt, ""};
  c.scores.status = EvaluationStatus::kOk;
  c.scores.train.ok = true;
  c.scores.int8.ok = true;
  c.scores.int8.val_int8 = accuracy;
  return c;
}

std::vector<int> indices(const RungSelection& s) {
  std::vector<int> out;
  for (const Candidate* c : s.chosen) out.push_back(c->index);
  return out;
}

SearchConfig search_config() {
  SearchConfig s;
  s.objectives = {CostObjective::kLatency};
  s.promotions = {FidelitySpec{3, 0, 0}};
  s.promotion_eta = 3;
  return s;
}

}  // namespace

TEST_CASE("rung selection: a promotion keeps the best third, front first and the most accurate first") {
  // Accuracy against latency: 0, 2 and 4 are the front (4 the most accurate).
  const std::vector<Candidate> rung0 = {trained(0, 0.70, 1.0), trained(1, 0.60, 2.0), trained(2, 0.80, 3.0),
                                        trained(3, 0.75, 4.0), trained(4, 0.90, 5.0), trained(5, 0.50, 6.0)};
  const RungSelection s = select_for_rung(rung0, 1, search_config(), 1);
  CHECK(s.pool == 6);
  // 4 has the lowest error; then 0 adds more dominated volume to it than 2 does.
  CHECK(indices(s) == std::vector<int>{4, 0});
}

TEST_CASE("rung selection: the final retraining takes the front within max_final, then the next fronts") {
  const std::vector<Candidate> rung1 = {trained(0, 0.70, 1.0), trained(1, 0.60, 2.0), trained(2, 0.80, 3.0),
                                        trained(3, 0.75, 4.0), trained(4, 0.90, 5.0)};
  SearchConfig s = search_config();
  s.max_final = 2;
  const RungSelection capped = select_for_rung(rung1, 2, s, 1);
  REQUIRE(capped.chosen.size() == 2);
  CHECK(capped.chosen[0]->index == 4);  // the most accurate of the front first
  s.max_final = 4;
  const RungSelection filled = select_for_rung(rung1, 2, s, 1);
  CHECK(indices(filled) == std::vector<int>{0, 2, 4, 3});  // the front in pool order, then the best of the rest
}

TEST_CASE("rung selection: candidates under search.min_accuracy or failed are never promoted") {
  std::vector<Candidate> rung0 = {trained(0, 0.30, 1.0), trained(1, 0.60, 2.0), trained(2, 0.90, 3.0)};
  rung0[2].scores.status = EvaluationStatus::kFailed;
  SearchConfig s = search_config();
  s.min_accuracy = 0.5;
  s.promotion_eta = 1;
  const RungSelection selection = select_for_rung(rung0, 1, s, 1);
  CHECK(selection.pool == 1);
  CHECK(indices(selection) == std::vector<int>{1});
}

}  // namespace hwnas::test
