// This file implements the per-section parsers of config.json (see docs/config.md).
#include "search/config_sections.hpp"

#include <algorithm>

#include "estimators/calibration.hpp"
#include "space/arch_json.hpp"
#include "trainers/data/csv_reader.hpp"

namespace hwnas::detail {

namespace {

namespace fs = std::filesystem;

// A path written in the config: relative ones are relative to the config's folder.
fs::path resolved(const std::string& raw, const fs::path& base_dir) {
  return fs::path(raw).is_absolute() ? fs::path(raw) : base_dir / raw;
}

// A path value: resolved against the config's folder; must name an existing file.
std::string existing_file(JsonReader& r, const std::string& key, const fs::path& base_dir) {
  const std::string raw = r.get_string(key);
  const fs::path p = resolved(raw, base_dir);
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) r.fail(key, "an existing file (looked for " + p.string() + ")");
  return p.lexically_normal().string();
}

}  // namespace

namespace {

// "shape" of an npy or csv dataset: the per-sample [h, w, c] the file's samples are read as.
TensorShape sample_shape_of(JsonReader& r, const std::string& key) {
  const auto shape = r.get_int_list(key, 3, 3, 1, 1 << 20);
  const TensorShape s{int(shape[0]), int(shape[1]), int(shape[2])};
  if (s.elements() > (1 << 20)) r.fail(key, "at most 2^20 elements per sample");
  return s;
}

// "label_column" of a csv dataset: a header name, or a 0-based column index.
void parse_label_column(JsonReader& r, DatasetConfig& d) {
  if (!r.take("label_column")) return;
  const nlohmann::json& v = r.raw("label_column");
  if (v.is_string()) {
    d.csv_label_name = r.get_string("label_column");
    if (d.csv_label_name.empty()) r.fail("label_column", "a column name or a column index");
    if (!d.csv_header) r.fail("label_column", "a column index (a name needs \"header\": true)");
  } else if (v.is_number()) {
    d.csv_label_index = r.get_int("label_column", 0, int64_t(kMaxCsvFeatures));
  } else {
    r.fail("label_column", "a column name or a 0-based column index");
  }
}

void parse_dataset_files(JsonReader& r, const std::string& format, const fs::path& base_dir,
                         DatasetConfig& d) {
  if (format == "csv") {
    d.format = DatasetFormat::kCsv;
    d.train_file = existing_file(r, "train", base_dir);
    d.test_file = existing_file(r, "test", base_dir);
    d.csv_header = r.get_bool_or("header", true);
    parse_label_column(r, d);
  } else {
    d.format = format == "idx" ? DatasetFormat::kIdx : DatasetFormat::kNpy;
    d.train_images = existing_file(r, "train_images", base_dir);
    d.train_labels = existing_file(r, "train_labels", base_dir);
    d.test_images = existing_file(r, "test_images", base_dir);
    d.test_labels = existing_file(r, "test_labels", base_dir);
  }
  if (format != "idx" && r.take("shape")) d.sample_shape = sample_shape_of(r, "shape");
}

}  // namespace

DatasetConfig parse_dataset_section(JsonReader r, const fs::path& base_dir) {
  DatasetConfig d;
  const std::string format = r.get_enum("format", {"idx", "npy", "csv", "synthetic"});
  d.name = r.get_string_or("name", format);
  if (format != "synthetic") {
    parse_dataset_files(r, format, base_dir, d);
  } else {
    d.format = DatasetFormat::kSynthetic;
    const auto shape = r.get_int_list("shape", 3, 3, 1, 4096);
    d.synthetic_shape = {int(shape[0]), int(shape[1]), int(shape[2])};
    if (d.synthetic_shape.elements() > (1 << 20)) r.fail("shape", "at most 2^20 elements per sample");
    d.synthetic_classes = int(r.get_int_or("classes", 10, 2, 1000));
    d.synthetic_train_size = r.get_int_or("train_size", 1000, 10, 1000000);
    d.synthetic_test_size = r.get_int_or("test_size", 200, 10, 1000000);
  }
  d.train_limit = r.get_int_or("train_limit", 0, 0, 100000000);
  d.test_limit = r.get_int_or("test_limit", 0, 0, 100000000);
  d.validation_fraction = r.get_double_or("validation_fraction", 0.1, 0.0, 0.9);
  d.normalize = r.get_bool_or("normalize", true);
  r.finish();
  return d;
}

std::shared_ptr<const SpaceSpec> parse_space_section(JsonReader& parent, const std::string& key,
                                                     const fs::path& base_dir) {
  if (!parent.has(key)) parent.fail(key, "a search space (an object, or the path of a space file)");
  return parse_space(parent.raw(key), parent.file(), parent.pointer_of(key), base_dir);
}

McuDatabase parse_mcus_section(JsonReader& parent, const std::string& key) {
  McuDatabase db = McuDatabase::builtin();
  if (!parent.has(key)) return db;
  db.add_boards(parent.get_array(key, 0, 1024), parent.file(), parent.pointer_of(key));
  return db;
}

namespace {

TargetConfig parse_target(JsonReader& r, const McuDatabase& db, const fs::path& base_dir) {
  const std::string name = r.get_string("mcu");
  const McuSpec* mcu = db.find(name);
  if (!mcu) r.fail("mcu", "a known board (" + db.names() + ") or one added under /mcus");
  TargetConfig t;
  t.mcu = *mcu;
  const RuntimeProfile profile = resolve_runtime_profile(r.get_string_or("runtime", "tflm-cmsis-nn"),
                                                         base_dir.string(), r.file(), r.pointer_of("runtime"));
  if (r.take("calibration")) {
    const fs::path path = resolved(r.get_string("calibration"), base_dir);
    const LatencyCoefficients c = read_calibration_file(path.string(), profile, *mcu);
    t.cost = CostTarget::make(*mcu, profile, &c);
  } else {
    if (!profile.latency_for(latency_family(*mcu)))
      r.fail("runtime", "a profile with latency coefficients for " + latency_family(*mcu) + " (or a \"calibration\" file)");
    t.cost = CostTarget::make(*mcu, profile);
  }
  t.max_ram_kb = r.get_double_or("max_ram_kb", mcu->sram_kb, 0.001, mcu->sram_kb);
  t.max_flash_kb = r.get_double_or("max_flash_kb", mcu->flash_kb, 0.001, mcu->flash_kb);
  t.max_latency_ms = r.get_double_or("max_latency_ms", 0, 0, 1e9);
  t.max_energy_uj = r.get_double_or("max_energy_uj", 0, 0, 1e12);
  t.max_model_kb = r.get_double_or("max_model_kb", 0, 0, 1e9);
  if (t.max_energy_uj > 0 && mcu->active_power_mw <= 0)
    r.fail("max_energy_uj", "no energy budget for a board without active_power_mw");
  t.safety_margin = r.get_double_or("safety_margin", 0.1, 0.0, 0.9);
  if (r.has("latency_bound")) t.latency_upper_bound = r.get_enum("latency_bound", {"estimate", "upper"}) == "upper";
  r.finish();
  return t;
}

}  // namespace

std::vector<TargetConfig> parse_targets_section(JsonReader& parent, const std::string& key, const McuDatabase& db,
                                                const fs::path& base_dir) {
  const auto& list = parent.get_array(key, 1, 64);
  std::vector<TargetConfig> targets;
  for (size_t i = 0; i < list.size(); ++i) {
    JsonReader r(list[i], parent.file(), pointer_index(parent.pointer_of(key), i));
    TargetConfig t = parse_target(r, db, base_dir);
    for (const auto& other : targets)
      if (other.mcu.name == t.mcu.name) r.fail("mcu", "each board at most once");
    targets.push_back(std::move(t));
  }
  return targets;
}

namespace {

FidelitySpec parse_fidelity(JsonReader r) {
  FidelitySpec f;
  f.epochs = int(r.get_int_or("epochs", 0, 0, 10000));
  f.train_samples = r.get_int_or("train_samples", 0, 0, int64_t(1) << 40);
  f.learning_rate = r.get_double_or("learning_rate", 0, 0, 100);
  r.finish();
  return f;
}

}  // namespace

SearchConfig parse_search_section(JsonReader r, const std::filesystem::path& base_dir) {
  SearchConfig s;
  const std::vector<StrategyKind> kinds = {StrategyKind::kRandom, StrategyKind::kAgingEvolution,
                                           StrategyKind::kNsga2, StrategyKind::kLocalSearch};
  std::vector<std::string> names;
  for (StrategyKind k : kinds) names.push_back(strategy_name(k));
  const std::string strategy = r.get_enum_or("strategy", names, "random");
  s.strategy = kinds[size_t(std::find(names.begin(), names.end(), strategy) - names.begin())];
  s.evaluations = int(r.get_int_or("evaluations", 10, 1, 1000000));
  s.seed = uint64_t(r.get_int_or("seed", 1, 0, int64_t(1) << 53));
  s.max_wall_minutes = r.get_double_or("max_wall_minutes", 0, 0, 1e7);
  s.target_accuracy = r.get_double_or("target_accuracy", 0, 0, 1);
  s.max_rejections = int(r.get_int_or("max_rejections", 10000, 1, 100000000));
  if (r.take("min_budget_use")) {
    JsonReader floors = r.child("min_budget_use");
    for (size_t b = 0; b < budget_names().size(); ++b)
      if (floors.has(budget_names()[b]))
        s.min_budget_use.push_back({Budget(b), floors.get_double(budget_names()[b], 0.0, 1.0)});
    floors.finish();
  }
  s.parallel = int(r.get_int_or("parallel", s.parallel, 1, 1024));
  s.population_size = int(r.get_int_or("population_size", s.population_size, 2, 100000));
  s.sample_size = int(r.get_int_or("sample_size", s.sample_size, 1, 100000));
  if (s.sample_size > s.population_size)
    r.fail("sample_size", "at most search.population_size (" + std::to_string(s.population_size) + ")");
  s.mutation_changes = int(r.get_int_or("mutation_changes", s.mutation_changes, 1, 1000));
  if (r.take("objectives")) {
    s.objectives.clear();
    const std::vector<std::string> names = {"latency", "ram", "flash", "energy"};
    for (const auto& value : r.get_array("objectives", 0, 4)) {
      const auto it = value.is_string() ? std::find(names.begin(), names.end(), value.get<std::string>()) : names.end();
      const auto kind = CostObjective(it - names.begin());
      if (it == names.end() || std::count(s.objectives.begin(), s.objectives.end(), kind))
        r.fail("objectives", "distinct names among \"latency\", \"ram\", \"flash\", \"energy\"");
      s.objectives.push_back(kind);
    }
  }
  if (r.take("fidelity")) s.fidelity = parse_fidelity(r.child("fidelity"));
  if (r.take("promotions")) {
    const nlohmann::json& rungs = r.get_array("promotions", 0, 8);
    for (size_t i = 0; i < rungs.size(); ++i)
      s.promotions.push_back(parse_fidelity(JsonReader(rungs[i], r.file(), pointer_index(r.pointer_of("promotions"), i))));
  }
  s.promotion_eta = r.get_double_or("promotion_eta", s.promotion_eta, 1.0, 1000.0);
  s.retrain_final = r.get_bool_or("retrain_final", s.retrain_final);
  s.min_accuracy = r.get_double_or("min_accuracy", s.min_accuracy, 0.0, 1.0);
  s.max_final = int(r.get_int_or("max_final", s.max_final, 0, 100000));
  s.final_seeds = int(r.get_int_or("final_seeds", s.final_seeds, 1, 100));
  if (r.take("initial_architectures")) {
    const nlohmann::json& files = r.get_array("initial_architectures", 0, 10000);
    for (size_t i = 0; i < files.size(); ++i) {
      InitialArchitecture a;
      a.pointer = pointer_index(r.pointer_of("initial_architectures"), i);
      if (!files[i].is_string()) throw ConfigError(r.file(), a.pointer, "the path of an arch.json", files[i].dump());
      a.path = resolved(files[i].get<std::string>(), base_dir).lexically_normal().string();
      try {
        a.arch = std::make_shared<const Architecture>(load_architecture(a.path));
      } catch (const UserError& e) {
        throw ConfigError::with_message(r.file(), a.pointer, e.what());
      }
      s.initial_architectures.push_back(std::move(a));
    }
  }
  r.finish();
  return s;
}

TrainingOptions parse_training_section(JsonReader r) {
  TrainingOptions t;
  t.epochs = int(r.get_int_or("epochs", t.epochs, 1, 10000));
  t.batch_size = int(r.get_int_or("batch_size", t.batch_size, 1, 65536));
  t.optimizer = r.get_enum_or("optimizer", {"sgd", "adam"}, "sgd") == "sgd" ? OptimizerKind::kSgd
                                                                           : OptimizerKind::kAdam;
  t.learning_rate = r.get_double_or("learning_rate", t.learning_rate, 1e-8, 10.0);
  t.momentum = r.get_double_or("momentum", t.momentum, 0.0, 0.999);
  t.nesterov = r.get_bool_or("nesterov", t.nesterov);
  t.weight_decay = r.get_double_or("weight_decay", t.weight_decay, 0.0, 1.0);
  t.warmup_epochs = r.get_double_or("warmup_epochs", t.warmup_epochs, 0.0, 1000.0);
  if (t.warmup_epochs > t.epochs) r.fail("warmup_epochs", "at most training.epochs (" + std::to_string(t.epochs) + ")");
  t.label_smoothing = r.get_double_or("label_smoothing", t.label_smoothing, 0.0, 0.5);
  if (r.take("augment")) {
    JsonReader a = r.child("augment");
    t.augment.max_shift = int(a.get_int_or("shift", 0, 0, 64));
    t.augment.horizontal_flip = a.get_bool_or("flip", false);
    a.finish();
  }
  r.finish();
  return t;
}

Int8Options parse_quantization_section(JsonReader r) {
  Int8Options q;
  q.calibration_samples = r.get_int_or("calibration_samples", q.calibration_samples, 1, 1000000);
  q.qat_max_drop = r.get_double_or("qat_max_drop", q.qat_max_drop, -1.0, 1.0);
  q.qat_epochs = int(r.get_int_or("qat_epochs", q.qat_epochs, 0, 1000));
  q.qat_learning_rate = r.get_double_or("qat_learning_rate", q.qat_learning_rate, 1e-8, 10.0);
  r.finish();
  return q;
}

OutputConfig parse_output_section(JsonReader r) {
  OutputConfig o;
  const std::string dir = r.get_string("dir");
  if (dir.empty()) r.fail("dir", "a non-empty directory path");
  // A control character (a NUL ends the path early) would name a folder the user did not mean.
  if (std::any_of(dir.begin(), dir.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    r.fail("dir", "a directory path without control characters");
  // Outputs land where the user runs nas-run (unlike inputs, which travel with the config).
  o.dir = fs::absolute(fs::path(dir)).lexically_normal().string();
  o.if_exists = r.get_enum_or("if_exists", {"increment", "fail"}, "increment") == "increment"
                    ? IfExists::kIncrement
                    : IfExists::kFail;
  r.finish();
  return o;
}

}  // namespace hwnas::detail
