// This file implements load_dataset (see dataset_config.hpp): it reads the IDX, NPY or
// CSV files or generates the synthetic data, takes the class-stratified train/test limits, carves a
// stratified validation split out of the training samples, and standardises every split
// per channel with statistics of the train split.
//
// NOTE: every random choice comes from a stream derived from (seed, purpose, index), and
// the stratified selection uses hand-written shuffles instead of std::shuffle (whose
// algorithm is implementation-defined), so the splits are the same for the same seed and
// config on every platform.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <random>
#include <utility>
#include <vector>

#include "trainers/data/csv_reader.hpp"
#include "trainers/data/dataset_config.hpp"
#include "trainers/data/idx_reader.hpp"
#include "trainers/data/npy_reader.hpp"
#include "trainers/data/synthetic_dataset.hpp"
#include "util/errors.hpp"
#include "util/seed_streams.hpp"

namespace hwnas {

namespace {

uint64_t stream_seed(uint64_t seed, seed_stream::DataDraw stream) {
  return derive_seed(seed, seed_stream::kDataDraw, stream);
}

// ---- IDX files -> Dataset -------------------------------------------------------------

TensorShape image_shape(const IdxArray& images, const std::string& path) {
  const std::vector<size_t>& d = images.shape;
  if (d.size() < 2) {
    throw DataError(path,
                    "image file must have 2 to 4 dimensions (N x D, N x H x W or "
                    "N x H x W x C), found 1");
  }
  return sample_shape_of(d, path, "image");
}

std::vector<int32_t> label_vector(const IdxArray& labels, const std::string& path) {
  if (labels.shape.size() != 1) {
    throw DataError(
        path, "label file must have 1 dimension (N), found " + std::to_string(labels.shape.size()));
  }
  return to_labels(labels, path, 255);
}

// The label file is one-dimensional and counts as many items as the image file, from the
// headers alone: an image header that claims millions of images must not make the loader
// decompress gigabytes before the mismatch shows.
void check_idx_pair_headers(const std::string& images_path, const std::string& labels_path) {
  const IdxHeaderInfo images = read_idx_header(images_path), labels = read_idx_header(labels_path);
  if (labels.dims.size() != 1)
    throw DataError(labels_path, "label file must have 1 dimension (N), found " + std::to_string(labels.dims.size()));
  if (labels.dims[0] != images.dims[0])
    throw DataError(labels_path, "has " + std::to_string(labels.dims[0]) + " labels but " + images_path + " has " +
                                     std::to_string(images.dims[0]) + " images");
}

Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path,
                      const std::string& name) {
  check_idx_pair_headers(images_path, labels_path);
  const IdxArray images = read_idx(images_path);
  std::vector<int32_t> y = label_vector(read_idx(labels_path), labels_path);
  const TensorShape sample_shape = image_shape(images, images_path);
  Dataset data = to_dataset(images, images_path, sample_shape, std::move(y), labels_path, "images");
  data.name = name;
  return data;
}

void set_num_classes(Dataset& train, Dataset& test) {
  int32_t max_label = 0;
  for (int32_t v : train.y) max_label = std::max(max_label, v);
  for (int32_t v : test.y) max_label = std::max(max_label, v);
  train.num_classes = test.num_classes = max_label + 1;
}

// ---- NPY and CSV files -----------------------------------------------------------------

CsvOptions csv_options(const DatasetConfig& config) {
  return CsvOptions{config.csv_header, config.csv_label_name, config.csv_label_index};
}

/// The shape samples of `natural` shape are read as: the configured one (same element
/// count, the data reinterpreted in NHWC order) or, when none is configured, `natural`.
TensorShape configured_shape(const TensorShape& natural, const DatasetConfig& config,
                             const std::string& path) {
  if (config.sample_shape.elements() == 0) return natural;
  if (config.sample_shape.elements() != natural.elements()) {
    throw DataError(path, "samples have " + std::to_string(natural.elements()) + " elements " +
                              natural.str() + ", but the configured shape " +
                              config.sample_shape.str() + " has " +
                              std::to_string(config.sample_shape.elements()));
  }
  return config.sample_shape;
}

/// The file that holds the train (or test) features, for messages.
const std::string& features_path(const DatasetConfig& config, bool train) {
  if (config.format == DatasetFormat::kCsv) return train ? config.train_file : config.test_file;
  return train ? config.train_images : config.test_images;
}

Dataset read_split(const DatasetConfig& config, bool train) {
  const std::string& labels = train ? config.train_labels : config.test_labels;
  switch (config.format) {
    case DatasetFormat::kIdx: return load_idx_pair(features_path(config, train), labels, config.name);
    case DatasetFormat::kNpy: return read_npy_dataset(features_path(config, train), labels);
    case DatasetFormat::kCsv: return read_csv_dataset(features_path(config, train), csv_options(config));
    case DatasetFormat::kSynthetic: break;
  }
  assert(false && "synthetic data is generated, not read");
  return {};
}

// ---- files -> train and test sets ----------------------------------------------------

std::pair<Dataset, Dataset> load_files(const DatasetConfig& config) {
  Dataset train = read_split(config, true);
  Dataset test = read_split(config, false);
  train.name = test.name = config.name;
  if (config.format != DatasetFormat::kIdx) {
    train.sample_shape = configured_shape(train.sample_shape, config, features_path(config, true));
    test.sample_shape = configured_shape(test.sample_shape, config, features_path(config, false));
  }
  if (!(train.sample_shape == test.sample_shape)) {
    const char* what = config.format == DatasetFormat::kIdx ? "images" : "samples";
    throw DataError(features_path(config, false),
                    "sample shape " + test.sample_shape.str() + " differs from the training " +
                        what + "' " + train.sample_shape.str());
  }
  set_num_classes(train, test);
  return {std::move(train), std::move(test)};
}

std::pair<Dataset, Dataset> make_synthetic_pair(const DatasetConfig& config, uint64_t seed) {
  SyntheticSpec spec;
  spec.name = config.name;
  spec.shape = config.synthetic_shape;
  spec.num_classes = config.synthetic_classes;
  spec.pattern_seed = stream_seed(seed, seed_stream::kPatterns);
  spec.size = config.synthetic_train_size;
  spec.sample_seed = stream_seed(seed, seed_stream::kTrainSamples);
  Dataset train = make_synthetic_dataset(spec);
  spec.size = config.synthetic_test_size;
  spec.sample_seed = stream_seed(seed, seed_stream::kTestSamples);
  return {std::move(train), make_synthetic_dataset(spec)};
}

// ---- stratified selection ------------------------------------------------------------

/// Largest-remainder apportionment of `count` samples over classes of sizes `sizes`.
std::vector<size_t> class_quotas(const std::vector<size_t>& sizes, size_t count) {
  size_t total = 0;
  for (size_t n : sizes) total += n;
  std::vector<size_t> quota(sizes.size(), 0), order(sizes.size());
  if (count == 0 || total == 0) return quota;
  size_t assigned = 0;
  for (size_t k = 0; k < sizes.size(); ++k) {
    quota[k] = uint64_t(count) * sizes[k] / total;
    assigned += quota[k];
    order[k] = k;
  }
  auto remainder = [&](size_t k) { return uint64_t(count) * sizes[k] % total; };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return remainder(a) > remainder(b); });
  for (size_t i = 0; assigned < count; ++i, ++assigned) ++quota[order[i]];
  return quota;
}

/// Marks `count` samples, stratified by class, chosen at random from `seed`.
std::vector<bool> stratified_mask(const Dataset& data, size_t count, uint64_t seed) {
  std::vector<std::vector<size_t>> members(size_t(data.num_classes));
  for (size_t i = 0; i < data.size(); ++i) members[size_t(data.y[i])].push_back(i);
  std::vector<size_t> sizes;
  for (const auto& m : members) sizes.push_back(m.size());
  const std::vector<size_t> quota = class_quotas(sizes, count);
  std::mt19937_64 rng(seed);
  std::vector<bool> chosen(data.size(), false);
  for (size_t k = 0; k < members.size(); ++k) {
    std::vector<size_t>& m = members[k];
    for (size_t i = 0; i < quota[k]; ++i) {  // partial Fisher-Yates: the first quota[k]
      std::swap(m[i], m[i + size_t(rng() % (m.size() - i))]);
      chosen[m[i]] = true;
    }
  }
  return chosen;
}

/// The samples whose mask entry equals `keep`, in their original order.
Dataset masked(const Dataset& data, const std::vector<bool>& mask, bool keep) {
  std::vector<size_t> indices;
  for (size_t i = 0; i < data.size(); ++i)
    if (mask[i] == keep) indices.push_back(i);
  return data.subset(indices);
}

Dataset apply_limit(Dataset data, int64_t limit, uint64_t seed) {
  if (limit <= 0 || size_t(limit) >= data.size()) return data;  // moved, not copied
  return masked(data, stratified_mask(data, size_t(limit), seed), true);
}

}  // namespace

Dataset stratified_subset(const Dataset& data, size_t count, uint64_t seed) {
  if (count == 0 || count >= data.size()) return data;
  return masked(data, stratified_mask(data, count, seed), true);
}

namespace {

size_t validation_count(size_t n, double fraction) {
  if (fraction <= 0.0 || n < 2) return 0;
  const auto count = size_t(std::llround(fraction * double(n)));
  return std::clamp<size_t>(count, 1, n - 1);
}

// ---- normalisation -------------------------------------------------------------------

struct ChannelStats {
  std::vector<double> mean, inv_std;
};

ChannelStats channel_stats(const Dataset& train) {
  const auto c = size_t(train.sample_shape.c);
  std::vector<double> sum(c, 0.0), sq(c, 0.0);
  const float* p = train.x.data();
  const size_t n = size_t(train.x.size());
  for (size_t i = 0; i < n; ++i) sum[i % c] += p[i];
  const double per_channel = double(n / c);
  ChannelStats stats{std::vector<double>(c), std::vector<double>(c)};
  for (size_t k = 0; k < c; ++k) stats.mean[k] = per_channel > 0 ? sum[k] / per_channel : 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double d = p[i] - stats.mean[i % c];
    sq[i % c] += d * d;
  }
  for (size_t k = 0; k < c; ++k) {
    const double sd = per_channel > 0 ? std::sqrt(sq[k] / per_channel) : 0.0;
    stats.inv_std[k] = sd > 1e-8 ? 1.0 / sd : 1.0;  // a constant channel is only centred
  }
  return stats;
}

void standardize(Dataset& data, const ChannelStats& stats) {
  const size_t c = stats.mean.size();
  float* p = data.x.data();
  const size_t n = size_t(data.x.size());
  for (size_t i = 0; i < n; ++i) {
    p[i] = float((p[i] - stats.mean[i % c]) * stats.inv_std[i % c]);
  }
}

}  // namespace

DatasetSplits load_dataset(const DatasetConfig& config, uint64_t seed, int validation_split) {
  auto [train_all, test_all] = config.format == DatasetFormat::kSynthetic
                                   ? make_synthetic_pair(config, seed)
                                   : load_files(config);
  const Dataset train =
      apply_limit(std::move(train_all), config.train_limit, stream_seed(seed, seed_stream::kTrainLimit));
  DatasetSplits splits;
  splits.test = apply_limit(std::move(test_all), config.test_limit, stream_seed(seed, seed_stream::kTestLimit));
  const size_t n_val = validation_count(train.size(), config.validation_fraction);
  const uint64_t val_seed0 = stream_seed(seed, seed_stream::kValidation);
  const uint64_t val_seed = validation_split == 0
                                ? val_seed0
                                : derive_seed(val_seed0, seed_stream::kOtherValidation, uint64_t(validation_split));
  const std::vector<bool> in_val = stratified_mask(train, n_val, val_seed);
  splits.train = masked(train, in_val, false);
  splits.validation = masked(train, in_val, true);
  if (splits.train.size() == 0) throw DataError(config.name, "the training split is empty");
  if (config.normalize) {
    const ChannelStats stats = channel_stats(splits.train);
    standardize(splits.train, stats);
    standardize(splits.validation, stats);
    standardize(splits.test, stats);
    splits.input_mean = stats.mean;
    for (double inv : stats.inv_std) splits.input_std.push_back(1.0 / inv);
  } else {
    splits.input_mean.assign(size_t(splits.train.sample_shape.c), 0.0);
    splits.input_std.assign(size_t(splits.train.sample_shape.c), 1.0);
  }
  return splits;
}

DatasetShape probe_dataset(const DatasetConfig& config) {
  int32_t max_label = 0;
  auto max_of = [&](const std::vector<int32_t>& labels) {
    for (int32_t v : labels) max_label = std::max(max_label, v);
  };
  switch (config.format) {
    case DatasetFormat::kSynthetic: return {config.synthetic_shape, config.synthetic_classes};
    case DatasetFormat::kIdx: {
      check_idx_pair_headers(config.train_images, config.train_labels);
      check_idx_pair_headers(config.test_images, config.test_labels);
      const IdxArray first = read_idx(config.train_images, 1);
      for (const auto& path : {config.train_labels, config.test_labels}) max_of(label_vector(read_idx(path), path));
      return {image_shape(first, config.train_images), max_label + 1};
    }
    case DatasetFormat::kNpy: {  // the features' header only; the labels are small
      const TensorShape natural = npy_sample_shape(read_npy_header(config.train_images).shape, config.train_images);
      for (const auto& path : {config.train_labels, config.test_labels}) max_of(read_npy_labels(path));
      return {configured_shape(natural, config, config.train_images), max_label + 1};
    }
    case DatasetFormat::kCsv: {  // the labels are parsed, the features only counted
      const CsvLabelScan train = scan_csv_labels(config.train_file, csv_options(config));
      max_of(train.labels);
      max_of(scan_csv_labels(config.test_file, csv_options(config)).labels);
      const TensorShape natural{1, 1, int(train.features)};
      return {configured_shape(natural, config, config.train_file), max_label + 1};
    }
  }
  return {};
}

}  // namespace hwnas
