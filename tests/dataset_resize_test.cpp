// This file implements the tests of bilinear dataset resizing (the data side of a
// search space's resolution choice): half-pixel-centre values checked by hand against
// PyTorch's interpolate(mode="bilinear", align_corners=False), block averages when
// halving, channels and labels kept, and probe_dataset's shape without loading.
#include "trainers/data/dataset_resize.hpp"

#include <doctest/doctest.h>

#include "tests/test_support.hpp"
#include "trainers/data/dataset_config.hpp"

namespace hwnas::test {

namespace {

Dataset one_sample(TensorShape shape, std::vector<float> values) {
  Dataset d;
  d.name = "t";
  d.sample_shape = shape;
  d.num_classes = 2;
  d.y = {1};
  d.x.resize(1, Eigen::Index(values.size()));
  for (size_t i = 0; i < values.size(); ++i) d.x(0, Eigen::Index(i)) = values[i];
  return d;
}

}  // namespace

TEST_SUITE("dataset_resize") {
  TEST_CASE("upsampling 2x2 to 4x4 matches PyTorch's half-pixel bilinear") {
    const Dataset out = resize_dataset(one_sample({2, 2, 1}, {0, 1, 2, 3}), 4, 4);
    CHECK(out.sample_shape == TensorShape{4, 4, 1});
    // torch.nn.functional.interpolate(x, size=4, mode="bilinear", align_corners=False)
    const std::vector<float> expected = {0.0f, 0.25f, 0.75f, 1.0f, 0.5f, 0.75f, 1.25f, 1.5f,
                                         1.5f, 1.75f, 2.25f, 2.5f, 2.0f, 2.25f, 2.75f, 3.0f};
    for (size_t i = 0; i < expected.size(); ++i) CHECK(out.x(0, Eigen::Index(i)) == doctest::Approx(expected[i]));
  }

  TEST_CASE("halving averages each 2x2 block, per channel") {
    std::vector<float> v(4 * 4 * 2);
    for (int h = 0; h < 4; ++h)
      for (int w = 0; w < 4; ++w) {
        v[size_t((h * 4 + w) * 2)] = float(h * 4 + w);
        v[size_t((h * 4 + w) * 2 + 1)] = -float(h * 4 + w);
      }
    const Dataset out = resize_dataset(one_sample({4, 4, 2}, v), 2, 2);
    CHECK(out.sample_shape == TensorShape{2, 2, 2});
    const float top_left = (0 + 1 + 4 + 5) / 4.0f, bottom_right = (10 + 11 + 14 + 15) / 4.0f;
    CHECK(out.x(0, 0) == doctest::Approx(top_left));
    CHECK(out.x(0, 1) == doctest::Approx(-top_left));
    CHECK(out.x(0, 6) == doctest::Approx(bottom_right));
    CHECK(out.x(0, 7) == doctest::Approx(-bottom_right));
    CHECK(out.y == std::vector<int32_t>{1});
    CHECK(out.num_classes == 2);
  }

  TEST_CASE("non-square targets resize height and width independently") {
    // A 1-D signal along height stays untouched when only the width grows.
    const Dataset out = resize_dataset(one_sample({3, 1, 1}, {1, 2, 3}), 3, 2);
    CHECK(out.sample_shape == TensorShape{3, 2, 1});
    const std::vector<float> expected = {1, 1, 2, 2, 3, 3};
    for (size_t i = 0; i < expected.size(); ++i) CHECK(out.x(0, Eigen::Index(i)) == doctest::Approx(expected[i]));
  }

  TEST_CASE("the same size is a copy") {
    const Dataset in = one_sample({2, 2, 1}, {0, 1, 2, 3});
    const Dataset out = resize_dataset(in, 2, 2);
    CHECK(out.x == in.x);
  }

  TEST_CASE("probe_dataset reads the shape and class count of the real Fashion-MNIST files") {
    DatasetConfig c;
    c.train_images = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
    c.train_labels = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz";
    c.test_images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    c.test_labels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    const DatasetShape s = probe_dataset(c);
    CHECK(s.sample_shape == TensorShape{28, 28, 1});
    CHECK(s.num_classes == 10);
  }

  TEST_CASE("probe_dataset of a synthetic config is its declared shape") {
    DatasetConfig c;
    c.format = DatasetFormat::kSynthetic;
    c.synthetic_shape = {49, 10, 1};
    c.synthetic_classes = 12;
    const DatasetShape s = probe_dataset(c);
    CHECK(s.sample_shape == TensorShape{49, 10, 1});
    CHECK(s.num_classes == 12);
  }
}

}  // namespace hwnas::test
