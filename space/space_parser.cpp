// This file implements the search-space parser (see space_spec.hpp and
// docs/search-spaces.md). Everything the decoder later trusts is checked here, with the
// JSON pointer of the offending value.
#include <algorithm>
#include <regex>
#include <set>

#include "space/block_catalog.hpp"
#include "space/space_spec.hpp"
#include "util/json_reader.hpp"

namespace hwnas {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// At most this many values per choice: a range like {"min": 0, "max": 1e9} is a typo,
/// not a search space, and must not allocate a billion values.
constexpr int64_t kMaxChoiceValues = 1024;
constexpr int kMaxDepth = 64;
constexpr size_t kMaxStages = 256;

/// A JSON value with the place it was written.
struct Located {
  const json* value = nullptr;
  std::string file;
  std::string pointer;

  Located at(const std::string& key) const { return {&(*value)[key], file, pointer + "/" + key}; }
  [[noreturn]] void fail(const std::string& expected) const {
    throw ConfigError(file, pointer, expected, describe_json(*value));
  }
};

// Rules of the values that are not block parameters.
const ParamRule kDepthRule{"depth", ParamRule::Type::kInt, 0, kMaxDepth, {}, GeneRole::kDepth};
const ParamRule kResolutionRule{"resolution", ParamRule::Type::kSize2, 1, 4096, {}, GeneRole::kResolution};
const ParamRule kWidthRule{"width_multiplier", ParamRule::Type::kNumber, 0.05, 4.0, {}, GeneRole::kOther};

ParamRule block_rule() {
  ParamRule r{"block", ParamRule::Type::kEnum, 0, 0, {}, GeneRole::kBlockKind};
  for (BlockKind k : all_block_kinds()) r.options.push_back(block_kind_name(k));
  return r;
}

/// How a choice inside a stage is shared: per block (the default) or per stage.
enum class Scope { kTopLevel, kStageOnly, kStageOrBlock };

class SpaceParser {
 public:
  explicit SpaceParser(SpaceSpec& spec) : m_spec(spec) {}

  void named_choices(const Located& at);
  void input(const Located& at);
  void width(const Located& at);
  void stages(const Located& at);
  void check_named_choices_used() const;

 private:
  std::vector<json> choice_values(const Located& at, JsonReader& r, const ParamRule& rule) const;
  ValueSlot value(const Located& at, const ParamRule& rule, Scope scope, int max_depth, const std::string& label,
                  bool allow_ref = true);
  StageSpec stage(const Located& at, size_t index, size_t count);
  int add_gene(const Located& at, const std::string& label, GeneRole role, std::vector<json> values) {
    m_spec.genes.push_back({at.file, at.pointer, label, role, std::move(values)});
    return int(m_spec.genes.size()) - 1;
  }

  SpaceSpec& m_spec;
  std::set<std::string> m_used_names;
};

// The values of a {"choice": [...]} or {"min", "max", "step"} object, each checked.
std::vector<json> SpaceParser::choice_values(const Located& at, JsonReader& r, const ParamRule& rule) const {
  std::vector<json> values;
  if (r.take("choice")) {
    const json& list = r.get_array("choice", 1, size_t(kMaxChoiceValues));
    for (size_t i = 0; i < list.size(); ++i) {
      const Located element{&list[i], at.file, pointer_index(at.pointer + "/choice", i)};
      if (auto expected = rule.check(list[i])) element.fail(*expected + " (" + rule.key + ")");
      for (const auto& earlier : values)
        if (earlier == list[i]) element.fail("distinct values (this one is listed twice)");
      values.push_back(list[i]);
    }
    return values;
  }
  if (!r.has("min") && !r.has("max"))
    r.fail("", "a fixed value, {\"choice\": [...]}, {\"min\": a, \"max\": b, \"step\": s} or {\"ref\": name}");
  if (rule.type != ParamRule::Type::kInt && rule.type != ParamRule::Type::kSize2)
    r.fail("", "{\"choice\": [...]} (" + rule.key + " takes no integer range)");
  const int64_t min = r.get_int("min", int64_t(rule.min), int64_t(rule.max));
  const int64_t max = r.get_int("max", int64_t(rule.min), int64_t(rule.max));
  if (max < min) r.fail("max", "at least min (" + std::to_string(min) + ")");
  const int64_t step = r.get_int_or("step", 1, 1, int64_t(rule.max));
  if ((max - min) % step != 0) r.fail("max", "min + a multiple of step (" + std::to_string(step) + ")");
  // Reported at the range itself: "step" is often absent, and a narrower range fixes it too.
  const int64_t count = (max - min) / step + 1;
  if (count > kMaxChoiceValues)
    throw ConfigError(at.file, at.pointer,
                      "at most " + std::to_string(kMaxChoiceValues) + " values (a narrower range or a larger step)",
                      "a range of " + std::to_string(count) + " values");
  for (int64_t v = min; v <= max; v += step) values.push_back(v);
  return values;
}

ValueSlot SpaceParser::value(const Located& at, const ParamRule& rule, Scope scope, int max_depth,
                             const std::string& label, bool allow_ref) {
  ValueSlot slot;
  slot.pointer = at.pointer;
  if (!at.value->is_object()) {
    if (auto expected = rule.check(*at.value)) at.fail(*expected + " (" + rule.key + ")");
    slot.fixed = *at.value;
    return slot;
  }
  JsonReader r(*at.value, at.file, at.pointer);
  if (r.take("ref")) {
    if (!allow_ref) r.fail("ref", "a fixed value or a choice (" + rule.key + " cannot refer to a named choice)");
    const std::string name = r.get_string("ref");
    const auto it = m_spec.named_choices.find(name);
    if (it == m_spec.named_choices.end()) {
      std::string names;
      for (const auto& [n, g] : m_spec.named_choices) names += (names.empty() ? "" : ", ") + n;
      r.fail("ref", "the name of a choice under /choices (" + (names.empty() ? "none defined" : names) + ")");
    }
    r.finish();
    Gene& gene = m_spec.genes[size_t(it->second)];
    for (const auto& v : gene.values)
      if (auto expected = rule.check(v))
        throw ConfigError(at.file, at.pointer + "/ref", *expected + " for every value of choice '" + name + "' (" +
                          rule.key + ")", describe_json(v));
    if (gene.role == GeneRole::kOther) gene.role = rule.role;
    m_used_names.insert(name);
    slot.kind = ValueSlot::Kind::kShared;
    slot.gene = it->second;
    return slot;
  }
  std::string per = "block";
  if (r.take("per")) {
    if (scope != Scope::kStageOrBlock) r.fail("per", "no \"per\" here (" + rule.key + " is chosen once)");
    per = r.get_enum("per", {"block", "stage"});
  }
  std::vector<json> values = choice_values(at, r, rule);
  r.finish();
  if (scope == Scope::kStageOrBlock && per == "block") {
    slot.kind = ValueSlot::Kind::kPerBlock;
    for (int b = 0; b < max_depth; ++b) {
      const int gene = add_gene(at, label + ", block " + std::to_string(b + 1), rule.role, values);
      if (b == 0) slot.gene = gene;
    }
    return slot;
  }
  slot.kind = ValueSlot::Kind::kShared;
  slot.gene = add_gene(at, label, rule.role, std::move(values));
  return slot;
}

void SpaceParser::named_choices(const Located& at) {
  if (!at.value->is_object()) at.fail("an object of named choices");
  // A named choice's values are checked against each parameter that refers to it; here
  // only their form: numbers, strings, booleans or [h, w] pairs.
  for (const auto& [name, spec] : at.value->items()) {
    if (is_comment_key(name)) continue;
    const Located where = at.at(name);
    if (!std::regex_match(name, std::regex("[A-Za-z_][A-Za-z0-9_]*")))
      throw ConfigError(where.file, where.pointer, "a name of letters, digits and '_'", "\"" + name + "\"");
    if (!spec.is_object()) where.fail("{\"choice\": [...]} or {\"min\": a, \"max\": b, \"step\": s}");
    JsonReader r(spec, where.file, where.pointer);
    std::vector<json> values;
    if (r.take("choice")) {
      const json& list = r.get_array("choice", 1, size_t(kMaxChoiceValues));
      for (size_t i = 0; i < list.size(); ++i) {
        const Located element{&list[i], where.file, pointer_index(where.pointer + "/choice", i)};
        if (list[i].is_object() || list[i].is_null()) element.fail("a number, string, boolean or [h, w] pair");
        for (const auto& earlier : values)
          if (earlier == list[i]) element.fail("distinct values (this one is listed twice)");
        values.push_back(list[i]);
      }
    } else {
      const ParamRule ints{"choice", ParamRule::Type::kInt, -1e9, 1e9, {}, GeneRole::kOther};
      values = choice_values(where, r, ints);
    }
    r.finish();
    m_spec.named_choices[name] = add_gene(where, "choice '" + name + "'", GeneRole::kOther, std::move(values));
  }
}

void SpaceParser::input(const Located& at) {
  JsonReader r(*at.value, at.file, at.pointer);
  if (r.take("resolution")) {
    m_spec.has_resolution = true;
    m_spec.resolution = value(at.at("resolution"), kResolutionRule, Scope::kTopLevel, 1, "input resolution");
  }
  r.finish();
}

void SpaceParser::width(const Located& at) {
  m_spec.width_multiplier = value(at, kWidthRule, Scope::kTopLevel, 1, "width_multiplier");
}

void SpaceParser::stages(const Located& at) {
  if (!at.value->is_array() || at.value->empty() || at.value->size() > kMaxStages)
    at.fail("a non-empty array of at most " + std::to_string(kMaxStages) + " stages");
  std::set<std::string> names;
  for (size_t i = 0; i < at.value->size(); ++i) {
    const Located where{&(*at.value)[i], at.file, pointer_index(at.pointer, i)};
    StageSpec s = stage(where, i, at.value->size());
    if (!names.insert(s.name).second) {
      throw ConfigError(where.file, where.pointer + "/name", "a stage name not used before", "\"" + s.name + "\"");
    }
    m_spec.stages.push_back(std::move(s));
  }
  // Layers are named <stage>_<tag>, or <stage>_b<k>_<tag> in a stage of several blocks:
  // a stage named "mb1_b2" beside a multi-block "mb1" would give two layers one name.
  std::set<std::string> multi_block;
  for (const StageSpec& s : m_spec.stages)
    if (s.max_depth > 1) multi_block.insert(s.name);
  for (size_t i = 0; i < m_spec.stages.size(); ++i) {
    const std::string& name = m_spec.stages[i].name;
    const size_t b = name.rfind("_b");
    if (b == std::string::npos || b + 2 == name.size() ||
        !std::all_of(name.begin() + long(b) + 2, name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const std::string stem = name.substr(0, b);
    if (multi_block.count(stem))
      throw ConfigError(at.file, pointer_index(at.pointer, i) + "/name",
                        "a stage name that is not a block prefix of stage '" + stem + "' (its layers are " + stem +
                            "_b1_..., " + stem + "_b2_...)",
                        "\"" + name + "\"");
  }
}

StageSpec SpaceParser::stage(const Located& at, size_t index, size_t count) {
  JsonReader r(*at.value, at.file, at.pointer);
  StageSpec s;
  s.file = at.file;
  s.pointer = at.pointer;
  s.name = r.get_string_or("name", "s" + std::to_string(index + 1));
  if (!std::regex_match(s.name, std::regex("[A-Za-z_][A-Za-z0-9_]*")))
    r.fail("name", "a name of letters, digits and '_' that starts with a letter or '_'");
  const std::string label = "stage '" + s.name + "' ";

  // Depth first: per-block choices need the largest depth.
  if (r.take("depth")) {
    s.depth = value(at.at("depth"), kDepthRule, Scope::kStageOnly, 1, label + "depth", false);
  } else {
    s.depth.fixed = 1;
  }
  if (s.depth.is_fixed()) {
    s.depth_values = {value_int(s.depth.fixed)};
  } else {
    for (const auto& v : m_spec.genes[size_t(s.depth.gene)].values) s.depth_values.push_back(value_int(v));
  }
  s.max_depth = *std::max_element(s.depth_values.begin(), s.depth_values.end());
  if (s.max_depth == 0) r.fail("depth", "a depth that can be at least 1 (a stage that is always empty is a mistake)");

  if (!r.take("block")) r.fail("block", "a block kind (" + block_kind_names() + ")");
  s.block = value(at.at("block"), block_rule(), Scope::kStageOrBlock, s.max_depth, label + "block", false);
  if (s.block.is_fixed()) {
    s.possible_kinds = {*parse_block_kind(s.block.fixed.get<std::string>())};
  } else {
    for (const auto& v : m_spec.genes[size_t(s.block.gene)].values)
      s.possible_kinds.push_back(*parse_block_kind(v.get<std::string>()));
  }
  s.scale_with_width = r.get_bool_or("scale_with_width", true);

  // The classifier ends every space, once, fixed: its width is the dataset's class count.
  const bool can_classify =
      std::find(s.possible_kinds.begin(), s.possible_kinds.end(), BlockKind::kClassifier) != s.possible_kinds.end();
  if (can_classify && (s.possible_kinds.size() > 1 || s.max_depth != 1 || !s.depth.is_fixed()))
    r.fail("block", "a classifier stage on its own, with depth 1");
  if (can_classify != (index + 1 == count))
    r.fail("block", can_classify ? "the classifier as the last stage only"
                                 : "a classifier in the last stage (every space ends with {\"block\": \"classifier\"})");

  for (const auto& [key, v] : at.value->items()) {
    if (is_comment_key(key) || key == "name" || key == "depth" || key == "block" || key == "scale_with_width")
      continue;
    const ParamRule* rule = find_param_rule(key);
    // The key, not its value, is the mistake here: say which key, as JsonReader::finish does.
    const std::string unknown = "unknown key \"" + key + "\"";
    if (!rule)
      throw ConfigError(at.file, at.pointer + "/" + key,
                        "no such key (a stage takes name, block, depth, scale_with_width and the parameters " +
                            param_keys_list() + ")",
                        unknown);
    bool used = false;
    std::string takers;
    for (BlockKind k : s.possible_kinds) {
      const auto& params = block_kind_info(k).params;
      if (std::find(params.begin(), params.end(), key) != params.end()) used = true;
    }
    for (BlockKind k : all_block_kinds()) {
      const auto& params = block_kind_info(k).params;
      if (std::find(params.begin(), params.end(), key) != params.end())
        takers += (takers.empty() ? "" : ", ") + std::string(block_kind_name(k));
    }
    if (!used)
      throw ConfigError(at.file, at.pointer + "/" + key,
                        "no such key for this stage's blocks (" + key + " is taken by " + takers + ")", unknown);
    r.take(key);
    s.params[key] = value(at.at(key), *rule, Scope::kStageOrBlock, s.max_depth, label + key);
  }
  for (BlockKind k : s.possible_kinds)
    for (const auto& key : block_kind_info(k).required)
      if (!s.params.count(key))
        r.fail("", "a value for \"" + key + "\" (" + block_kind_name(k) + " blocks need one)");
  r.finish();
  return s;
}

void SpaceParser::check_named_choices_used() const {
  for (const auto& [name, gene] : m_spec.named_choices)
    if (!m_used_names.count(name)) {
      const Gene& g = m_spec.genes[size_t(gene)];
      throw ConfigError::with_message(g.file, g.pointer, "choice '" + name + "' is never used (no {\"ref\": \"" +
                                                             name + "\"} refers to it)");
    }
}

/// The space document, with optional top-level overrides written elsewhere.
struct SpaceDocument {
  Located base;
  std::optional<Located> override_object;

  std::optional<Located> get(const std::string& key) const {
    if (override_object && override_object->value->contains(key)) return override_object->at(key);
    if (base.value->contains(key)) return base.at(key);
    return std::nullopt;
  }
};

void check_top_level_keys(const Located& at) {
  static const std::set<std::string> known = {"name", "input", "width_multiplier", "channel_divisor", "choices",
                                              "stages"};
  if (!at.value->is_object()) at.fail("a search space object");
  for (const auto& [key, v] : at.value->items())
    if (!is_comment_key(key) && !known.count(key))
      throw ConfigError(at.file, at.pointer + "/" + key,
                        "a known key (name, input, width_multiplier, channel_divisor, choices, stages)",
                        "an unknown key \"" + key + "\"");
}

std::shared_ptr<const SpaceSpec> parse_document(const SpaceDocument& doc) {
  check_top_level_keys(doc.base);
  if (doc.override_object) check_top_level_keys(*doc.override_object);
  auto spec = std::make_shared<SpaceSpec>();
  spec->file = doc.base.file;
  spec->pointer = doc.base.pointer;
  spec->name = "space";
  if (auto n = doc.get("name")) {
    if (!n->value->is_string() || n->value->get<std::string>().empty()) n->fail("a non-empty string");
    spec->name = n->value->get<std::string>();
  }
  spec->document = *doc.base.value;
  if (doc.override_object)
    for (const auto& [key, v] : doc.override_object->value->items()) spec->document[key] = v;
  SpaceParser parser(*spec);
  if (auto c = doc.get("choices")) parser.named_choices(*c);
  if (auto in = doc.get("input")) parser.input(*in);
  if (auto w = doc.get("width_multiplier")) {
    parser.width(*w);
  } else {
    spec->width_multiplier.fixed = 1.0;
  }
  if (auto d = doc.get("channel_divisor")) {
    if (!d->value->is_number_integer() || d->value->get<int64_t>() < 1 || d->value->get<int64_t>() > 64)
      d->fail("an integer in [1, 64]");
    spec->channel_divisor = int(d->value->get<int64_t>());
  }
  const auto stages = doc.get("stages");
  if (!stages) doc.base.fail("a search space with \"stages\"");
  parser.stages(*stages);
  parser.check_named_choices_used();
  return spec;
}

}  // namespace

std::shared_ptr<const SpaceSpec> parse_space(const json& value, const std::string& file, const std::string& pointer,
                                             const fs::path& base_dir) {
  const Located at{&value, file, pointer};
  auto resolve = [&](const Located& path_at) {
    if (!path_at.value->is_string() || path_at.value->get<std::string>().empty()) path_at.fail("a file path");
    const fs::path raw = path_at.value->get<std::string>();
    const fs::path p = raw.is_absolute() ? raw : base_dir / raw;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) path_at.fail("an existing space file (looked for " + p.string() + ")");
    return p.lexically_normal().string();
  };
  if (value.is_string()) return load_space_file(resolve(at));
  if (!value.is_object()) at.fail("a search space object or the path of a space file");
  if (!value.contains("file")) return parse_document({at, std::nullopt});

  JsonReader r(value, file, pointer);
  const std::string path = resolve(at.at("file"));
  r.take("file");
  std::optional<Located> override_object;
  if (r.take("override")) override_object = at.at("override");
  r.finish();
  const json doc = read_json_file(path);
  return parse_document({{&doc, path, ""}, override_object});
}

std::shared_ptr<const SpaceSpec> load_space_file(const std::string& path) {
  const json doc = read_json_file(path);
  return parse_document({{&doc, path, ""}, std::nullopt});
}

}  // namespace hwnas
