// This file implements the tests of Dataset, the synthetic generator and load_dataset:
// shapes, class-stratified limits and validation splits, determinism from the seed,
// per-channel normalisation, inconsistent files, and the real Fashion-MNIST files.
#include "trainers/data/dataset.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "tests/test_support.hpp"
#include "trainers/data/dataset_config.hpp"
#include "trainers/data/dataset_resize.hpp"
#include "trainers/data/synthetic_dataset.hpp"
#include "util/errors.hpp"

namespace {

using hwnas::Dataset;
using hwnas::DatasetConfig;
using hwnas::DatasetSplits;
using hwnas::test::TempDir;
using hwnas::test::contains;
using hwnas::test::data_error;


void write_ubyte_idx(const std::string& path, const std::vector<uint32_t>& dims,
                     const std::vector<uint8_t>& data) {
  std::string bytes{char(0), char(0), char(0x08), char(dims.size())};
  for (uint32_t d : dims) {
    bytes += {char(d >> 24), char((d >> 16) & 0xFF), char((d >> 8) & 0xFF), char(d & 0xFF)};
  }
  bytes.append(data.begin(), data.end());
  hwnas::test::write_text(path, bytes);
}

/// Class of item i: 50% class 0, 30% class 1, 20% class 2, interleaved.
uint8_t label_of(size_t i) { return i % 10 < 5 ? 0 : (i % 10 < 8 ? 1 : 2); }

/// Writes `n` items of shape `item_dims`: pixels 0 and 1 encode the item index (so a
/// sample can be traced back), the others depend on label and channel.
void write_pair(const TempDir& dir, const std::string& prefix, size_t n,
                const std::vector<uint32_t>& item_dims, size_t n_labels) {
  size_t item = 1;
  for (uint32_t d : item_dims) item *= d;
  const size_t channels = item_dims.size() == 3 ? item_dims[2] : 1;
  std::vector<uint8_t> pixels, labels;
  for (size_t i = 0; i < n; ++i) {
    for (size_t p = 0; p < item; ++p) {
      pixels.push_back(p == 0   ? uint8_t(i % 256)
                       : p == 1 ? uint8_t(i / 256)
                                : uint8_t(label_of(i) * 40 + (p % channels) * 100 + i % 3));
    }
  }
  for (size_t i = 0; i < n_labels; ++i) labels.push_back(label_of(i));
  std::vector<uint32_t> dims{uint32_t(n)};
  dims.insert(dims.end(), item_dims.begin(), item_dims.end());
  write_ubyte_idx(dir.file(prefix + "-images"), dims, pixels);
  write_ubyte_idx(dir.file(prefix + "-labels"), {uint32_t(n_labels)}, labels);
}

/// A config over 200 training and 50 test items of shape `item_dims`, not normalised.
DatasetConfig small_config(const TempDir& dir, const std::vector<uint32_t>& item_dims = {2, 2}) {
  write_pair(dir, "train", 200, item_dims, 200);
  write_pair(dir, "test", 50, item_dims, 50);
  DatasetConfig config;
  config.name = "small";
  config.train_images = dir.file("train-images");
  config.train_labels = dir.file("train-labels");
  config.test_images = dir.file("test-images");
  config.test_labels = dir.file("test-labels");
  config.validation_fraction = 0.2;
  config.normalize = false;
  return config;
}

/// The file index of row `r` of an unnormalised split of the small dataset.
size_t item_id(const Dataset& d, Eigen::Index r) {
  return size_t(std::lround(d.x(r, 0) * 255)) + 256 * size_t(std::lround(d.x(r, 1) * 255));
}

std::set<size_t> item_ids(const Dataset& d) {
  std::set<size_t> ids;
  for (Eigen::Index r = 0; r < d.x.rows(); ++r) ids.insert(item_id(d, r));
  return ids;
}

bool same_data(const Dataset& a, const Dataset& b) {
  return a.y == b.y && a.x.rows() == b.x.rows() && a.x.cols() == b.x.cols() && a.x == b.x;
}

// NOTE: plain loops instead of Eigen reductions (mean, minCoeff): GCC 12 with AVX-512
// reports -Wmaybe-uninitialized falsely inside Eigen's vectorised reductions.
/// Every value of channel `c` (NHWC rows, `channels` channels) of the split.
std::vector<double> channel(const Dataset& d, size_t c, size_t channels) {
  std::vector<double> values;
  for (size_t i = c; i < size_t(d.x.size()); i += channels) values.push_back(d.x.data()[i]);
  return values;
}

double mean(const std::vector<double>& v) {
  double sum = 0.0;
  for (double x : v) sum += x;
  return v.empty() ? 0.0 : sum / double(v.size());
}

double mean_square(const std::vector<double>& v, double center) {
  double sum = 0.0;
  for (double x : v) sum += (x - center) * (x - center);
  return v.empty() ? 0.0 : sum / double(v.size());
}

std::vector<double> all_values(const Dataset& d) { return channel(d, 0, 1); }


/// Accuracy on `test` of the nearest class mean fitted on `train`.
double nearest_mean_accuracy(const Dataset& train, const Dataset& test) {
  hwnas::RowMatrix means = hwnas::RowMatrix::Zero(train.num_classes, train.x.cols());
  const std::vector<size_t> counts = train.class_counts();
  for (size_t i = 0; i < train.size(); ++i) means.row(train.y[i]) += train.x.row(Eigen::Index(i));
  for (int k = 0; k < train.num_classes; ++k)
    means.row(k) /= float(std::max<size_t>(counts[size_t(k)], 1));
  size_t correct = 0;
  for (size_t i = 0; i < test.size(); ++i) {
    Eigen::Index best = 0;
    (means.rowwise() - test.x.row(Eigen::Index(i))).rowwise().squaredNorm().minCoeff(&best);
    correct += best == test.y[i];
  }
  return double(correct) / double(test.size());
}

}  // namespace

TEST_SUITE("dataset") {
  TEST_CASE("subset copies rows in order and class_counts counts labels") {
    Dataset d;
    d.name = "d";
    d.sample_shape = {1, 1, 2};
    d.num_classes = 3;
    d.x.resize(3, 2);
    d.x << 0, 1, 2, 3, 4, 5;
    d.y = {2, 0, 2};
    const Dataset s = d.subset({2, 0, 2});
    CHECK(s.name == "d");
    CHECK(s.sample_shape == d.sample_shape);
    CHECK(s.num_classes == 3);
    CHECK(s.y == std::vector<int32_t>{2, 2, 2});
    CHECK(s.x(0, 0) == 4);
    CHECK(s.x(1, 1) == 1);
    CHECK(d.class_counts() == std::vector<size_t>{1, 0, 2});
    CHECK(d.subset({}).size() == 0);
    CHECK(d.subset({}).x.cols() == 2);
  }

  TEST_CASE("IDX files load into stratified train and validation splits") {
    TempDir dir("data");
    const DatasetSplits s = hwnas::load_dataset(small_config(dir), 7);
    CHECK(s.train.sample_shape == hwnas::TensorShape{2, 2, 1});
    CHECK(s.test.sample_shape == hwnas::TensorShape{2, 2, 1});
    CHECK(s.train.num_classes == 3);
    CHECK(s.validation.num_classes == 3);
    CHECK(s.test.num_classes == 3);
    CHECK(s.train.class_counts() == std::vector<size_t>{80, 48, 32});
    CHECK(s.validation.class_counts() == std::vector<size_t>{20, 12, 8});
    CHECK(s.test.class_counts() == std::vector<size_t>{25, 15, 10});
    // Train and validation partition the 200 file items; labels travel with their rows.
    std::set<size_t> all = item_ids(s.train);
    const std::set<size_t> val = item_ids(s.validation);
    all.insert(val.begin(), val.end());
    CHECK(all.size() == 200);
    CHECK(*all.rbegin() == 199);
    for (Eigen::Index r = 0; r < s.train.x.rows(); ++r) {
      CHECK(s.train.y[size_t(r)] == label_of(item_id(s.train, r)));
    }
    const size_t id = item_id(s.test, 5);
    CHECK(s.test.x(5, 2) == doctest::Approx((label_of(id) * 40 + id % 3) / 255.0));
  }

  TEST_CASE("train and test limits are class-stratified") {
    TempDir dir("data");
    DatasetConfig config = small_config(dir);
    config.train_limit = 100;
    config.test_limit = 20;
    const DatasetSplits s = hwnas::load_dataset(config, 7);
    CHECK(s.train.class_counts() == std::vector<size_t>{40, 24, 16});
    CHECK(s.validation.class_counts() == std::vector<size_t>{10, 6, 4});
    CHECK(s.test.class_counts() == std::vector<size_t>{10, 6, 4});
    std::set<size_t> all = item_ids(s.train);
    for (size_t id : item_ids(s.validation)) CHECK(all.insert(id).second);
    CHECK(all.size() == 100);
    config.validation_fraction = 0.0;
    CHECK(hwnas::load_dataset(config, 7).validation.size() == 0);
    config.train_limit = 1000;  // above the file size: everything
    CHECK(hwnas::load_dataset(config, 7).train.size() == 200);
  }

  TEST_CASE("the same seed gives identical splits, another seed different ones") {
    TempDir dir("data");
    DatasetConfig config = small_config(dir);
    config.train_limit = 120;
    config.test_limit = 30;
    const DatasetSplits a = hwnas::load_dataset(config, 11);
    const DatasetSplits b = hwnas::load_dataset(config, 11);
    const DatasetSplits c = hwnas::load_dataset(config, 12);
    CHECK(same_data(a.train, b.train));
    CHECK(same_data(a.validation, b.validation));
    CHECK(same_data(a.test, b.test));
    CHECK(item_ids(a.train) != item_ids(c.train));
    CHECK(item_ids(a.validation) != item_ids(c.validation));
    CHECK(item_ids(a.test) != item_ids(c.test));
    CHECK(c.train.class_counts() == a.train.class_counts());
  }

  TEST_CASE("another validation split holds out other samples of the same limited set, with the same test set") {
    TempDir dir("data");
    DatasetConfig config = small_config(dir);
    config.train_limit = 120;
    config.test_limit = 30;
    config.normalize = false;  // compare the very values
    const DatasetSplits a = hwnas::load_dataset(config, 11);
    const DatasetSplits b = hwnas::load_dataset(config, 11, 1);
    const DatasetSplits c = hwnas::load_dataset(config, 11, 2);
    CHECK(same_data(a.test, b.test));
    CHECK(same_data(hwnas::load_dataset(config, 11, 1).validation, b.validation));
    std::set<size_t> a_all = item_ids(a.train), b_all = item_ids(b.train);
    for (size_t id : item_ids(a.validation)) a_all.insert(id);
    for (size_t id : item_ids(b.validation)) CHECK(b_all.insert(id).second);
    CHECK(a_all == b_all);  // the same train_limit subset, partitioned anew
    CHECK(item_ids(a.validation) != item_ids(b.validation));
    CHECK(item_ids(b.validation) != item_ids(c.validation));
    CHECK(b.validation.class_counts() == a.validation.class_counts());
  }

  TEST_CASE("normalize standardises each channel with the train split's statistics") {
    TempDir dir("data");
    DatasetConfig config = small_config(dir, {2, 2, 2});
    const DatasetSplits raw = hwnas::load_dataset(config, 3);
    config.normalize = true;
    const DatasetSplits norm = hwnas::load_dataset(config, 3);
    REQUIRE(norm.train.sample_shape == hwnas::TensorShape{2, 2, 2});
    CHECK(raw.input_mean == std::vector<double>{0.0, 0.0});  // taken as they are
    CHECK(raw.input_std == std::vector<double>{1.0, 1.0});
    REQUIRE(norm.input_mean.size() == 2);
    REQUIRE(norm.input_std.size() == 2);
    const DatasetSplits resized = hwnas::resize_splits(norm, 3, 3);  // a deployment prepares inputs the same way
    CHECK(resized.input_mean == norm.input_mean);
    CHECK(resized.input_std == norm.input_std);
    for (size_t c = 0; c < 2; ++c) {
      CAPTURE(c);
      const std::vector<double> r = channel(raw.train, c, 2), n = channel(norm.train, c, 2);
      const double m = mean(r);
      const double sd = std::sqrt(mean_square(r, m));
      CHECK(norm.input_mean[c] == doctest::Approx(m).epsilon(1e-6));
      CHECK(norm.input_std[c] == doctest::Approx(sd).epsilon(1e-6));
      CHECK(mean(n) == doctest::Approx(0.0).epsilon(1e-5).scale(1));
      CHECK(std::sqrt(mean_square(n, 0.0)) == doctest::Approx(1.0).epsilon(1e-4));
      const std::vector<double> rt = channel(raw.test, c, 2), nt = channel(norm.test, c, 2);
      CHECK(nt[7] == doctest::Approx((rt[7] - m) / sd).epsilon(1e-4));
      const std::vector<double> rv = channel(raw.validation, c, 2);
      const std::vector<double> nv = channel(norm.validation, c, 2);
      CHECK(nv[3] == doctest::Approx((rv[3] - m) / sd).epsilon(1e-4));
    }
  }

  TEST_CASE("inconsistent files give a DataError naming the file") {
    TempDir dir("data");
    DatasetConfig config = small_config(dir);
    write_pair(dir, "short", 200, {2, 2}, 199);
    config.train_labels = dir.file("short-labels");
    CHECK(data_error([&] { hwnas::load_dataset(config, 1); }) ==
          dir.file("short-labels") + ": has 199 labels but " + dir.file("train-images") +
              " has 200 images");
    write_ubyte_idx(dir.file("2d-labels"), {200, 1}, std::vector<uint8_t>(200, 1));
    config.train_labels = dir.file("2d-labels");
    CHECK(data_error([&] { hwnas::load_dataset(config, 1); }) ==
          dir.file("2d-labels") + ": label file must have 1 dimension (N), found 2");
    std::string wide_labels{char(0), char(0), char(0x0B), char(1), 0, 0, 0, char(200)};
    for (size_t i = 0; i < 200; ++i)
      wide_labels +=
          i == 2 ? std::string{char(1), char(44)} : std::string{char(0), char(label_of(i))};
    hwnas::test::write_text(dir.file("int16-labels"), wide_labels);
    config.train_labels = dir.file("int16-labels");
    CHECK(data_error([&] { hwnas::load_dataset(config, 1); }) ==
          dir.file("int16-labels") + ": label 2 is 300, expected 0 to 255");
    // An image header that claims millions of images fails on the label count from the
    // headers, before any image is decompressed; `nas-run validate` (probe_dataset) too.
    write_ubyte_idx(dir.file("huge-images"), {5000000, 28, 28}, std::vector<uint8_t>(100, 0));
    config = small_config(dir);
    config.train_images = dir.file("huge-images");
    const std::string mismatch =
        dir.file("train-labels") + ": has 200 labels but " + dir.file("huge-images") + " has 5000000 images";
    CHECK(data_error([&] { hwnas::load_dataset(config, 1); }) == mismatch);
    CHECK(data_error([&] { hwnas::probe_dataset(config); }) == mismatch);
    config = small_config(dir);
    write_pair(dir, "wide", 50, {2, 3}, 50);
    config.test_images = dir.file("wide-images");
    CHECK(contains(data_error([&] { hwnas::load_dataset(config, 1); }),
                   "sample shape [2, 3, 1] differs from the training images' [2, 2, 1]"));
    config = small_config(dir);
    config.train_images = dir.file("train-labels");  // 1-D
    CHECK(contains(data_error([&] { hwnas::load_dataset(config, 1); }), "found 1"));
    config.train_images = dir.file("nonexistent");
    CHECK(contains(data_error([&] { hwnas::load_dataset(config, 1); }), "cannot open"));
  }

  TEST_CASE("synthetic datasets are deterministic, balanced and learnable") {
    hwnas::SyntheticSpec spec;
    spec.size = 300;
    const Dataset a = hwnas::make_synthetic_dataset(spec);
    CHECK(a.sample_shape == hwnas::TensorShape{28, 28, 1});
    CHECK(a.x.rows() == 300);
    CHECK(a.x.cols() == 784);
    CHECK(a.num_classes == 10);
    CHECK(a.class_counts() == std::vector<size_t>(10, 30));
    const std::vector<double> values = all_values(a);
    CHECK(*std::min_element(values.begin(), values.end()) >= 0.0);
    CHECK(*std::max_element(values.begin(), values.end()) <= 1.0);
    CHECK(same_data(a, hwnas::make_synthetic_dataset(spec)));
    spec.sample_seed = 3;
    CHECK(!same_data(a, hwnas::make_synthetic_dataset(spec)));
    for (const hwnas::TensorShape shape :
         {hwnas::TensorShape{28, 28, 1}, hwnas::TensorShape{16, 16, 3},
          hwnas::TensorShape{64, 1, 3}, hwnas::TensorShape{1, 1, 16}}) {
      CAPTURE(shape.str());
      hwnas::SyntheticSpec train_spec{"s", shape, 5, 400, 21, 1, 0.2};
      hwnas::SyntheticSpec test_spec{"s", shape, 5, 200, 21, 2, 0.2};
      const double accuracy = nearest_mean_accuracy(hwnas::make_synthetic_dataset(train_spec),
                                                    hwnas::make_synthetic_dataset(test_spec));
      CHECK(accuracy > 0.8);  // chance is 0.2
    }
  }

  TEST_CASE("synthetic specs are validated") {
    hwnas::SyntheticSpec spec;
    spec.shape = {0, 28, 1};
    CHECK(contains(data_error([&] { hwnas::make_synthetic_dataset(spec); }), "must be positive"));
    spec.shape = {28, 28, 1};
    spec.num_classes = 0;
    CHECK(data_error([&] { hwnas::make_synthetic_dataset(spec); }) != "no DataError");
    spec.num_classes = 2;
    spec.size = int64_t(1) << 40;
    auto make = [&] { hwnas::make_synthetic_dataset(spec); };
    CHECK(contains(data_error(make), "exceeds 2^30 floats"));
    spec.size = 0;  // the class prototypes alone would be huge
    spec.shape = {1 << 20, 1 << 20, 1 << 20};
    CHECK(contains(data_error(make), "exceeds 2^30 floats"));
  }

  TEST_CASE("the synthetic format goes through the same split pipeline") {
    DatasetConfig config;
    config.format = hwnas::DatasetFormat::kSynthetic;
    config.name = "synth";
    config.synthetic_shape = {12, 12, 2};
    config.synthetic_classes = 4;
    config.synthetic_train_size = 400;
    config.synthetic_test_size = 80;
    const DatasetSplits a = hwnas::load_dataset(config, 5);
    CHECK(a.train.class_counts() == std::vector<size_t>(4, 90));
    CHECK(a.validation.class_counts() == std::vector<size_t>(4, 10));
    CHECK(a.test.class_counts() == std::vector<size_t>(4, 20));
    CHECK(a.train.sample_shape == config.synthetic_shape);
    CHECK(std::abs(mean(all_values(a.train))) < 1e-4);
    CHECK(!same_data(a.train.subset({0, 1, 2}), a.test.subset({0, 1, 2})));
    CHECK(same_data(a.validation, hwnas::load_dataset(config, 5).validation));
    CHECK(!same_data(a.validation, hwnas::load_dataset(config, 6).validation));
    CHECK(nearest_mean_accuracy(a.train, a.test) > 0.8);  // train and test share prototypes
  }

  TEST_CASE("Fashion-MNIST loads with limits") {
    const hwnas::DatasetConfig config = hwnas::test::fashion_mnist_config(500, 200);
    const auto start = std::chrono::steady_clock::now();
    const DatasetSplits s = hwnas::load_dataset(config, 1);
    MESSAGE("Fashion-MNIST load: "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
            << " s");
    CHECK(s.train.sample_shape == hwnas::TensorShape{28, 28, 1});
    CHECK(s.train.x.cols() == 784);
    CHECK(s.train.num_classes == 10);
    CHECK(s.test.num_classes == 10);
    // Fashion-MNIST is balanced: 6000 / 1000 per class.
    CHECK(s.train.class_counts() == std::vector<size_t>(10, 45));
    CHECK(s.validation.class_counts() == std::vector<size_t>(10, 5));
    CHECK(s.test.class_counts() == std::vector<size_t>(10, 20));
    CHECK(std::abs(mean(all_values(s.train))) < 1e-4);
    CHECK(s.train.x.allFinite());
  }
}
