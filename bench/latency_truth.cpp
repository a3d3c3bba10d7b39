// This file implements bench/latency_truth: how well the latency model predicts published
// measurements of real networks on real boards (bench/calibration/published_measurements.csv),
// per runtime profile and core family, three ways:
//  - shipped: the profile's coefficients as shipped (fitted on every row: in sample);
//  - honest: the profile refitted from its first-principles prior without the network
//    (leave-one-network-out), i.e. what a user gets for a network nobody measured;
//  - calibrated: that honest profile calibrated (as nas-run calibrate does) on the other
//    networks measured on the same board, then predicting the held-out one.
// It prints per core the rows, the shares within +/-10 % and +/-25 %, and the signed median
// error. With --write-profile it rewrites the profile's fitted coefficients, sources and
// 90 % intervals from the same fit, so the shipped numbers are this command's output.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "estimators/calibration.hpp"
#include "util/errors.hpp"
#include "util/json_reader.hpp"

namespace {

using namespace hwnas;

// How strongly the profile fit and a user's calibration are pulled towards one common factor.
constexpr double kProfilePriorWeight = 0.3;
constexpr double kCalibrationPriorWeight = 1.0;  // nas-run calibrate's default

// Cores without published rows take the group factors of the cores whose kernels they share.
const std::map<std::string, std::vector<std::string>> kBorrowFrom = {
    {"cortex-m4", {"cortex-m33"}},
    {"cortex-m3", {"cortex-m33", "cortex-m0plus"}},
    {"cortex-m55", {"cortex-m7", "cortex-m33"}},
    {"cortex-m85", {"cortex-m7", "cortex-m33"}}};

struct CoreData {
  std::string core;
  const LatencyCoefficients* coefficients = nullptr;
  std::vector<CalibrationSample> samples;
  LatencyFit fit;
  bool borrowed = false;
};

struct Prediction {
  const CalibrationSample* sample = nullptr;
  double shipped = 0, honest = 0, calibrated = -1;  // cycles; calibrated < 0: no other network on the board
};

// A board of the core (it only selects the rows: every row names its own board).
McuSpec board_of_core(const std::string& core) {
  for (const auto& m : McuDatabase::builtin().all())
    if (latency_family(m) == core) return m;
  McuSpec none;
  none.name = "(no " + core + " board)";
  none.core = core;
  none.clock_mhz = 1;
  return none;
}

std::vector<size_t> rows_of_other_networks(const std::vector<CalibrationSample>& samples, const std::string& network) {
  std::vector<size_t> rows;
  for (size_t i = 0; i < samples.size(); ++i)
    if (samples[i].network != network) rows.push_back(i);
  return rows;
}

LatencyFit fit_core(const CoreData& c, const std::vector<size_t>& rows) {
  return fit_latency_groups(c.samples, rows, c.coefficients->first_principles, kProfilePriorWeight,
                            c.coefficients->min_cycles_per_mac);
}

std::vector<CoreData> load_cores(const std::string& csv, const RuntimeProfile& profile) {
  std::vector<CoreData> cores;
  for (const auto& [core, coefficients] : profile.latency) {
    CoreData c{core, &coefficients, read_measurements_csv(csv, board_of_core(core), profile).samples, {}, false};
    c.fit = fit_latency_groups(c.samples, coefficients.first_principles, kProfilePriorWeight,
                               coefficients.min_cycles_per_mac);
    cores.push_back(std::move(c));
  }
  // Borrowed factors: the geometric mean of the sources' group factors.
  for (auto& c : cores) {
    auto it = kBorrowFrom.find(c.core);
    if (!c.samples.empty() || it == kBorrowFrom.end()) continue;
    GroupScales scale;
    scale.fill(1.0);
    int n = 0;
    for (const auto& from : it->second)
      for (const auto& other : cores)
        if (other.core == from && !other.samples.empty()) {
          for (int g = 0; g < kLatencyGroupCount; ++g) scale[size_t(g)] *= other.fit.scale[size_t(g)];
          ++n;
        }
    if (n == 0) continue;
    for (double& s : scale) s = std::pow(s, 1.0 / n);
    c.fit.scale = scale;
    c.fit.cycles = scaled_by_group(c.coefficients->first_principles, scale);
    c.borrowed = true;
  }
  return cores;
}

std::vector<Prediction> predict(const CoreData& c) {
  std::vector<Prediction> out;
  std::set<std::string> networks;
  for (const auto& s : c.samples) networks.insert(s.network);
  for (const auto& network : networks) {
    const auto others = rows_of_other_networks(c.samples, network);
    const LatencyFit honest = fit_core(c, others);
    for (const auto& s : c.samples) {
      if (s.network != network) continue;
      // Calibrate on the other networks measured on this row's board.
      std::vector<size_t> same_board;
      for (size_t i : others)
        if (c.samples[i].mcu == s.mcu) same_board.push_back(i);
      Prediction p{&s, dot(s.features, c.coefficients->cycles), dot(s.features, honest.cycles), -1};
      if (!same_board.empty())
        p.calibrated = dot(s.features, fit_latency_groups(c.samples, same_board, honest.cycles, kCalibrationPriorWeight,
                                                          c.coefficients->min_cycles_per_mac)
                                           .cycles);
      out.push_back(p);
    }
  }
  return out;
}

struct Score {
  int rows = 0, within10 = 0, within25 = 0;
  std::vector<double> signed_errors;  // percent
  void add(double predicted, double measured) {
    const double e = 100 * (predicted - measured) / measured;
    ++rows;
    within10 += std::abs(e) <= 10;
    within25 += std::abs(e) <= 25;
    signed_errors.push_back(e);
  }
  double median() const {
    if (signed_errors.empty()) return 0;
    std::vector<double> v = signed_errors;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  }
  std::string str() const {
    if (rows == 0) return "-";
    char b[96];
    std::snprintf(b, sizeof b, "%3d rows, %3.0f%% <=10%%, %3.0f%% <=25%%, median %+6.1f%%", rows, 100.0 * within10 / rows,
                  100.0 * within25 / rows, median());
    return b;
  }
};

// ln(measured / predicted) per network (layer rows summed): what the interval describes.
std::vector<std::pair<double, double>> network_totals(const std::vector<Prediction>& preds) {
  std::map<std::string, std::pair<double, double>> by_key;  // network@board -> (measured, honest)
  for (const auto& p : preds) {
    auto& t = by_key[p.sample->network + "@" + p.sample->mcu + "#" + (p.sample->layer.empty() ? p.sample->row_id : "")];
    t.first += p.sample->cycles;
    t.second += p.honest;
  }
  std::vector<std::pair<double, double>> out;
  for (const auto& [key, t] : by_key) out.push_back(t);
  return out;
}

// JSON in the profiles' style: objects of scalars on one line (wrapped every six members).
std::string format_json(const nlohmann::ordered_json& v, int indent) {
  if (!v.is_object()) return v.dump();
  bool flat = true;
  for (const auto& [k, x] : v.items()) flat = flat && !x.is_object() && !(x.is_array() && !x.empty() && x[0].is_object());
  const std::string pad(size_t(indent), ' ');
  std::string out = "{";
  int n = 0;
  for (const auto& [k, x] : v.items()) {
    if (flat) out += (n == 0 ? "" : n % 6 == 0 ? ",\n" + pad + "  " : ", ") + nlohmann::json(k).dump() + ": " + x.dump();
    else out += (n == 0 ? "\n" : ",\n") + pad + "  " + nlohmann::json(k).dump() + ": " + format_json(x, indent + 2);
    ++n;
  }
  return out + (flat ? "}" : "\n" + pad + "}");
}

std::string fit_source(const CoreData& c) {
  if (c.borrowed) {
    std::string from;
    for (const auto& f : kBorrowFrom.at(c.core)) from += (from.empty() ? "" : " and ") + f;
    return "first principles x the group factors fitted on " + from +
           " (no published measurement of a network we can reconstruct on this core); bench/latency_truth";
  }
  if (c.samples.empty()) return "first principles (no published measurement on this core)";
  std::set<std::string> networks, boards;
  for (const auto& s : c.samples) networks.insert(s.network), boards.insert(s.mcu);
  std::string nets, brds;
  for (const auto& n : networks) nets += (nets.empty() ? "" : ", ") + n;
  for (const auto& b : boards) brds += (brds.empty() ? "" : ", ") + b;
  return "first principles scaled per group by bench/latency_truth (prior weight 0.3) to " +
         std::to_string(c.samples.size()) + " published rows (bench/calibration/published_measurements.csv) of " +
         std::to_string(networks.size()) + " networks (" + nets + ") on " + brds;
}

void write_fitted_profile(const std::string& path, const std::string& name, const std::vector<CoreData>& cores,
                          const std::vector<std::pair<std::string, std::vector<std::pair<double, double>>>>& totals) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(std::ifstream(path));
  if (doc.at("name") != name) return;
  double sum_sq = 0;
  int n = 0;
  for (const auto& [core, t] : totals)
    for (const auto& [measured, predicted] : t) sum_sq += std::pow(std::log(measured / predicted), 2), ++n;
  const double pooled = n > 0 ? std::sqrt(sum_sq / n) : 0.5;
  for (size_t i = 0; i < cores.size(); ++i) {
    const CoreData& c = cores[i];
    auto& entry = doc["latency"][c.core];
    std::vector<double> measured, predicted;
    for (const auto& [m, p] : totals[i].second) measured.push_back(m), predicted.push_back(p);
    LatencyInterval interval = measured.empty() ? interval_from_errors({}, {}, 1.5 * pooled, 1)
                                                : interval_from_errors(measured, predicted, pooled, kIntervalPriorRows);
    interval.basis = measured.empty()
                         ? "no network measured on this core: 1.5 x the pooled leave-one-network-out error of all cores"
                         : "leave-one-network-out errors of " + std::to_string(measured.size()) +
                               " measured networks on this core, shrunk towards the pooled error of all cores";
    nlohmann::ordered_json cycles = nlohmann::ordered_json::object();
    for (int j = 0; j < kLatencyFeatureCount; ++j)
      cycles[latency_feature_names()[size_t(j)]] = std::round(c.fit.cycles[size_t(j)] * 1e4) / 1e4;
    entry["source"] = fit_source(c);
    entry["interval"] = {{"lower", std::round(interval.lower * 1e3) / 1e3},
                         {"upper", std::round(interval.upper * 1e3) / 1e3},
                         {"basis", interval.basis}};
    entry.erase("cycles");
    entry["cycles"] = cycles;
  }
  std::ofstream(path) << format_json(doc, 0) << "\n";
  std::printf("  wrote the fitted coefficients and intervals to %s\n", path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace hwnas;
  try {
    std::string csv = std::string(HWNAS_SOURCE_DIR) + "/bench/calibration/published_measurements.csv";
    std::string write_profile;
    bool rows = false;
    std::vector<std::string> profiles = {"tflm-cmsis-nn", "tflm-cmsis-nn@2021"};
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--rows") rows = true;
      else if (a == "--write-profile" && i + 1 < argc) write_profile = argv[++i];
      else if (a == "--profile" && i + 1 < argc) profiles = {argv[++i]};
      else if (a == "--csv" && i + 1 < argc) csv = argv[++i];
      else throw UserError("usage: latency-truth [--csv FILE] [--profile NAME] [--rows] [--write-profile PROFILE.json]");
    }
    Score all_shipped, all_honest, all_calibrated;
    for (const auto& name : profiles) {
      const RuntimeProfile* profile = RuntimeProfiles::builtin().find(name);
      if (!profile) throw UserError("unknown profile " + name);
      std::printf("profile %s (%s)\n", name.c_str(), csv.c_str());
      std::printf("  %-14s %-50s %-50s %s\n", "core", "shipped (uncalibrated, in sample)",
                  "honest (profile refitted without the network)", "calibrated on the board's other networks");
      std::vector<CoreData> cores = load_cores(csv, *profile);
      nlohmann::json fitted = nlohmann::json::object();
      std::vector<std::pair<std::string, std::vector<std::pair<double, double>>>> totals;
      for (const auto& c : cores) {
        const std::vector<Prediction> preds = predict(c);
        Score shipped, honest, calibrated;
        for (const auto& p : preds) {
          shipped.add(p.shipped, p.sample->cycles), all_shipped.add(p.shipped, p.sample->cycles);
          honest.add(p.honest, p.sample->cycles), all_honest.add(p.honest, p.sample->cycles);
          if (p.calibrated > 0) calibrated.add(p.calibrated, p.sample->cycles), all_calibrated.add(p.calibrated, p.sample->cycles);
          if (rows)
            std::printf("    %-8s %-22s %-12s %-10s measured %12.0f  shipped %+7.1f%%  honest %+7.1f%%  calibrated %s\n",
                        p.sample->row_id.c_str(), p.sample->network.c_str(), p.sample->layer.c_str(), p.sample->mcu.c_str(),
                        p.sample->cycles, 100 * (p.shipped / p.sample->cycles - 1), 100 * (p.honest / p.sample->cycles - 1),
                        p.calibrated > 0 ? std::to_string(100 * (p.calibrated / p.sample->cycles - 1)).c_str() : "-");
        }
        std::printf("  %-14s %-50s %-50s %s\n", c.core.c_str(), shipped.str().c_str(), honest.str().c_str(),
                    calibrated.str().c_str());
        totals.emplace_back(c.core, network_totals(preds));
      }
      if (!write_profile.empty()) write_fitted_profile(write_profile, name, cores, totals);
    }
    std::printf("all profiles: shipped %s\n              honest  %s\n              calibrated %s\n",
                all_shipped.str().c_str(), all_honest.str().c_str(), all_calibrated.str().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "latency-truth: %s\n", e.what());
    return 2;
  }
}
