// This file implements SpaceSpec, a parsed search space (docs/search-spaces.md): a list of
// stages, each a block template repeated `depth` times, whose values are fixed or chosen.
// Every choice becomes one or more genes; a genome is one value index per gene.
//
// A SpaceSpec is independent of the dataset. SearchSpace (search_space.hpp) binds it to
// an input shape and a class count, decodes genomes and checks that it decodes to valid
// networks.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hwnas {

/// What a gene controls, so the space check can build the worst case for shapes.
enum class GeneRole { kOther, kDepth, kStride, kWindow, kResolution, kBlockKind };

/// One decision: a choice among `values` (already validated for every place that uses it).
struct Gene {
  std::string file;     ///< where the choice is written
  std::string pointer;  ///< its JSON pointer in that file
  std::string label;    ///< for people: "stage 'mb2' kernel, block 3"
  GeneRole role = GeneRole::kOther;
  std::vector<nlohmann::json> values;
};

/// A value of a block template: fixed, one gene for the whole stage (or a named choice
/// shared across the space), or one gene per block of the stage (genes first_gene ..
/// first_gene + max_depth - 1; block b reads gene first_gene + b).
struct ValueSlot {
  enum class Kind { kFixed, kShared, kPerBlock };
  Kind kind = Kind::kFixed;
  nlohmann::json fixed;
  int gene = -1;
  std::string pointer;  ///< where the value is written (for errors)

  bool is_fixed() const { return kind == Kind::kFixed; }
};

/// The kinds of block a stage can repeat.
enum class BlockKind { kConv, kSeparable, kInvertedResidual, kPool, kGlobalPool, kFlatten, kDense, kClassifier };

const char* block_kind_name(BlockKind kind);
/// All kinds, in declaration order.
const std::vector<BlockKind>& all_block_kinds();

struct StageSpec {
  std::string name;     ///< prefix of its layers' names
  std::string file;
  std::string pointer;  ///< e.g. "/stages/3"
  ValueSlot depth;      ///< how many blocks (may be 0)
  int max_depth = 1;
  std::vector<int> depth_values;  ///< every possible depth
  ValueSlot block;                ///< BlockKind by name
  std::vector<BlockKind> possible_kinds;
  bool scale_with_width = true;   ///< width_multiplier applies to this stage's filters
  std::map<std::string, ValueSlot> params;  ///< block parameters by key
};

struct SpaceSpec {
  std::string name;
  std::string file;     ///< where the space is written
  std::string pointer;  ///< its pointer in that file ("" for a space file)
  bool has_resolution = false;
  ValueSlot resolution;        ///< int (square) or [h, w]
  ValueSlot width_multiplier;  ///< scales conv/separable/inverted_residual filters
  int channel_divisor = 8;     ///< scaled filters round to a multiple of this
  std::vector<StageSpec> stages;
  std::vector<Gene> genes;
  std::map<std::string, int> named_choices;  ///< name -> gene
  /// The space as one self-contained document (a file's content with any override
  /// applied), kept in the run directory so a run never depends on files edited later.
  nlohmann::json document;
};

/// Parses a space. `value` is either a path to a space file (a string, resolved against
/// `base_dir`), an object {"file": path, "override": {...}} whose override replaces
/// top-level keys of the file, or the space itself. @throws ConfigError naming the
/// JSON pointer of the first problem.
std::shared_ptr<const SpaceSpec> parse_space(const nlohmann::json& value, const std::string& file,
                                             const std::string& pointer, const std::filesystem::path& base_dir);

/// Reads a space file on its own (pointers are relative to it).
std::shared_ptr<const SpaceSpec> load_space_file(const std::string& path);

}  // namespace hwnas
