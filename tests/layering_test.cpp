// This file implements the layering check of the source tree (docs/architecture.md): no
// #include points up the layers util <- space <- {estimators, trainers} <- exporters <-
// search <- apps, nor between the siblings estimators and trainers; inside trainers/,
// {data, kernels, model} <- {training, deploy} <- qat. The CMake libraries enforce the
// same order at link time for calls; this check also catches header-only uses.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace hwnas::test {

namespace {

namespace fs = std::filesystem;

// Each layer and the layers it may include (itself included).
const std::map<std::string, std::set<std::string>>& allowed_includes() {
  static const std::map<std::string, std::set<std::string>> allowed = [] {
    const std::set<std::string> trainers = {"trainers/data", "trainers/kernels", "trainers/model",
                                            "trainers/training", "trainers/deploy", "trainers/qat"};
    std::map<std::string, std::set<std::string>> a;
    a["util"] = {"util"};
    a["space"] = {"util", "space"};
    a["estimators"] = {"util", "space", "estimators"};
    for (const char* leaf : {"trainers/data", "trainers/kernels", "trainers/model"}) a[leaf] = {"util", "space", leaf};
    a["trainers/training"] = {"util", "space", "trainers/data", "trainers/kernels", "trainers/model", "trainers/training"};
    a["trainers/deploy"] = {"util", "space", "trainers/data", "trainers/kernels", "trainers/model", "trainers/deploy"};
    a["trainers/qat"] = a["trainers/training"];
    a["trainers/qat"].insert({"trainers/deploy", "trainers/qat"});
    a["exporters"] = {"util", "space", "estimators", "exporters"};
    a["exporters"].insert(trainers.begin(), trainers.end());
    a["search"] = a["exporters"];
    a["search"].insert("search");
    a["search/mpi"] = a["search"];
    a["search/mpi"].insert("search/mpi");
    a["search"].insert("search/mpi");  // behind #ifdef HWNAS_HAVE_MPI
    a["apps"] = a["search"];
    a["apps"].insert({"search/mpi", "apps"});
    return a;
  }();
  return allowed;
}

// The layer of a path relative to the source root ("trainers/deploy/quantize.hpp" ->
// "trainers/deploy"); "" for files outside the layers (tests, bench, generated code).
std::string layer_of(const std::string& path) {
  for (const auto& [layer, _] : allowed_includes())
    if (path.rfind(layer + "/", 0) == 0 && path.find('/', layer.size() + 1) == std::string::npos) return layer;
  return "";
}

bool may_include(const std::string& from_layer, const std::string& to_layer) {
  return allowed_includes().at(from_layer).count(to_layer) > 0;
}

// "file: #include "x"" for every project include of `relative` that points up the layers.
std::vector<std::string> violations_in(const fs::path& root, const std::string& relative) {
  std::vector<std::string> out;
  const std::string from = layer_of(relative);
  std::ifstream in(root / relative);
  static const std::regex include(R"(^\s*#\s*include\s*"([^"]+)\")");
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (!std::regex_search(line, m, include)) continue;
    const std::string target = m[1].str();
    const std::string to = layer_of(target);
    if (to.empty() && target.find('/') != std::string::npos && fs::exists(root / target))
      out.push_back(relative + ": includes " + target + ", which is in no layer");
    else if (!to.empty() && !may_include(from, to))
      out.push_back(relative + " (" + from + ") includes " + target + " (" + to + ")");
  }
  return out;
}

}  // namespace

TEST_CASE("layering: the rule refuses includes up the layers and between siblings") {
  CHECK(layer_of("trainers/deploy/quantize.hpp") == "trainers/deploy");
  CHECK(layer_of("search/history.hpp") == "search");
  CHECK(layer_of("tests/test_support.hpp").empty());
  CHECK(may_include("search", "exporters"));
  CHECK(may_include("trainers/qat", "trainers/training"));
  CHECK_FALSE(may_include("exporters", "search"));
  CHECK_FALSE(may_include("estimators", "trainers/data"));
  CHECK_FALSE(may_include("trainers/training", "estimators"));
  CHECK_FALSE(may_include("trainers/deploy", "trainers/training"));
  CHECK_FALSE(may_include("util", "space"));
}

TEST_CASE("layering: no source file includes a header of a layer above it") {
  const fs::path root = HWNAS_SOURCE_DIR;
  std::vector<std::string> violations;
  int files = 0;
  for (const auto& [layer, _] : allowed_includes()) {
    if (!fs::is_directory(root / layer)) continue;
    for (const auto& entry : fs::directory_iterator(root / layer)) {
      const std::string ext = entry.path().extension().string();
      if (ext != ".cpp" && ext != ".hpp") continue;
      ++files;
      for (std::string& v : violations_in(root, fs::relative(entry.path(), root).string())) violations.push_back(std::move(v));
    }
  }
  CHECK(files > 200);  // the whole engine was read
  std::string listing;
  for (const std::string& v : violations) listing += "\n  " + v;
  INFO("includes against the layering (docs/architecture.md):" << listing);
  CHECK(violations.empty());
  // Every folder with sources is a layer: a new folder must be placed in the order.
  for (const char* top : {"util", "space", "estimators", "trainers", "exporters", "search", "apps"})
    for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
      const std::string ext = entry.path().extension().string();
      if (ext != ".cpp" && ext != ".hpp") continue;
      const std::string relative = fs::relative(entry.path(), root).string();
      INFO(relative);
      CHECK(!layer_of(relative).empty());
    }
}

}  // namespace hwnas::test
