// This file implements the tests of the reference networks in configs/archs/: each file
// loads, infers the published shapes, and has exactly the parameter and MAC counts worked
// out by hand below. The expected numbers are literals on purpose: they are an independent
// check of layer_stats, so nothing here computes them with our code. Each shipped file is
// also the canonical writer's output, byte for byte.
//
// Conventions (space/layer_stats.hpp): params = weights + biases + 4 per batch_norm channel
// (Keras' "Total params"); MACs = conv2d, depthwise_conv2d and dense only.
#include <doctest/doctest.h>

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "space/arch_json.hpp"
#include "tests/test_support.hpp"

namespace hwnas {

// For doctest's failure messages; internal linkage so that it cannot clash with another
// test file's helper.
[[maybe_unused]] static std::ostream& operator<<(std::ostream& out, const TensorShape& s) {
  return out << s.str();
}

namespace test {

namespace {

const std::vector<std::string> kReferenceFiles = {"mobilenet_v2.json", "ds_cnn.json",
                                                  "resnet8.json", "fc_autoencoder.json"};

std::string reference_path(const std::string& file) {
  return source_path("configs/archs/" + file);
}

Architecture load_reference(const std::string& file) {
  return load_architecture(reference_path(file));
}

size_t index_of(const Architecture& arch, const std::string& name) {
  for (size_t i = 0; i < arch.size(); ++i)
    if (arch.layer(i).name == name) return i;
  FAIL("no layer named '" << name << "' in " << arch.name());
  return 0;
}

TensorShape shape_of(const Architecture& arch, const std::string& name) {
  return arch.layer(index_of(arch, name)).output_shape;
}

std::map<OpKind, int> count_ops(const Architecture& arch) {
  std::map<OpKind, int> counts;
  for (const auto& l : arch.layers()) ++counts[l.op];
  return counts;
}

// Sum of the stats of every layer whose name starts with `prefix`.
LayerStats sum_with_prefix(const Architecture& arch, const std::string& prefix) {
  LayerStats sum;
  for (size_t i = 0; i < arch.size(); ++i) {
    if (arch.layer(i).name.rfind(prefix, 0) != 0) continue;
    sum.params += arch.stats(i).params;
    sum.macs += arch.stats(i).macs;
  }
  return sum;
}

}  // namespace

TEST_SUITE("reference_archs") {
  TEST_CASE("mobilenet_v2: Keras MobileNetV2 (alpha 1.0, 224x224x3, 1000 classes)") {
    const Architecture a = load_reference("mobilenet_v2.json");
    CHECK(a.name() == "mobilenet_v2");
    CHECK(a.input_shape() == TensorShape{224, 224, 3});
    CHECK(a.size() == 152);
    CHECK(a.output_shape() == TensorShape{1, 1, 1000});
    CHECK(a.layers().back().op == OpKind::kSoftmax);

    // 35 conv2d (stem, 16 expand, 17 project, Conv_1), 17 depthwise, one BN after each,
    // residual adds in blocks 2, 4-5, 7-9, 11-12, 14-15.
    auto ops = count_ops(a);
    CHECK(ops[OpKind::kConv2D] == 35);
    CHECK(ops[OpKind::kDepthwiseConv2D] == 17);
    CHECK(ops[OpKind::kBatchNorm] == 52);
    CHECK(ops[OpKind::kReLU6] == 35);
    CHECK(ops[OpKind::kAdd] == 10);
    for (const auto& l : a.layers()) {
      if (l.op == OpKind::kConv2D || l.op == OpKind::kDepthwiseConv2D) CHECK_FALSE(l.use_bias);
      if (l.op == OpKind::kBatchNorm) CHECK(l.epsilon == 1e-3);
    }

    // Spatial sizes halve at Conv1 and blocks 1, 3, 6, 13 (stride 2, same padding).
    CHECK(shape_of(a, "Conv1") == TensorShape{112, 112, 32});
    CHECK(shape_of(a, "expanded_conv_project_BN") == TensorShape{112, 112, 16});
    CHECK(shape_of(a, "block_1_expand") == TensorShape{112, 112, 96});
    CHECK(shape_of(a, "block_1_depthwise") == TensorShape{56, 56, 96});
    CHECK(shape_of(a, "block_2_add") == TensorShape{56, 56, 24});
    CHECK(shape_of(a, "block_3_depthwise") == TensorShape{28, 28, 144});
    CHECK(shape_of(a, "block_6_depthwise") == TensorShape{14, 14, 192});
    CHECK(shape_of(a, "block_12_add") == TensorShape{14, 14, 96});
    CHECK(shape_of(a, "block_13_depthwise") == TensorShape{7, 7, 576});
    CHECK(shape_of(a, "block_16_project_BN") == TensorShape{7, 7, 320});
    CHECK(shape_of(a, "out_relu") == TensorShape{7, 7, 1280});
    CHECK(shape_of(a, "global_average_pooling2d") == TensorShape{1, 1, 1280});

    // Per inverted-residual block, cin -> cout, expansion e = t*cin, input HxH -> output hxh:
    //   params = cin*e + 4e (expand + BN) + 9e + 4e (depthwise + BN) + e*cout + 4*cout
    //          = e*(cin + 17 + cout) + 4*cout
    //   MACs   = H^2*e*cin (expand) + h^2*e*9 (depthwise) + h^2*cout*e (project)
    // Block 0 (t = 1) has no expand: params = 13e + e*cout + 4*cout, MACs = h^2*e*(9 + cout).
    //  block cin->cout    e   H -> h   params
    //    0   32-> 16    32  112->112  13*32 + 32*16 + 4*16          = 992
    //    1   16-> 24    96  112-> 56  96*(16+17+24) + 4*24          = 5568
    //    2   24-> 24   144   56-> 56  144*(24+17+24) + 4*24         = 9456
    //    3   24-> 32   144   56-> 28  144*(24+17+32) + 4*32         = 10640
    //  4,5   32-> 32   192   28-> 28  192*(32+17+32) + 4*32         = 15680
    //    6   32-> 64   192   28-> 14  192*(32+17+64) + 4*64         = 21952
    //  7-9   64-> 64   384   14-> 14  384*(64+17+64) + 4*64         = 55936
    //   10   64-> 96   384   14-> 14  384*(64+17+96) + 4*96         = 68352
    //11,12   96-> 96   576   14-> 14  576*(96+17+96) + 4*96         = 120768
    //   13   96->160   576   14->  7  576*(96+17+160) + 4*160       = 157888
    //14,15  160->160   960    7->  7  960*(160+17+160) + 4*160      = 324160
    //   16  160->320   960    7->  7  960*(160+17+320) + 4*320      = 478400
    //  block  MACs
    //    0    112^2*32*(9+16)                     = 10035200
    //    1    112^2*96*16 + 56^2*96*(9+24)        = 19267584 + 9934848 = 29202432
    //    2    56^2*144*24 + 56^2*144*(9+24)       = 10838016 + 14902272 = 25740288
    //    3    56^2*144*24 + 28^2*144*(9+32)       = 10838016 + 4628736 = 15466752
    //  4,5    28^2*192*32 + 28^2*192*(9+32)       = 4816896 + 6171648 = 10988544
    //    6    28^2*192*32 + 14^2*192*(9+64)       = 4816896 + 2747136 = 7564032
    //  7-9    14^2*384*64 + 14^2*384*(9+64)       = 4816896 + 5494272 = 10311168
    //   10    14^2*384*64 + 14^2*384*(9+96)       = 4816896 + 7902720 = 12719616
    //11,12    14^2*576*96 + 14^2*576*(9+96)       = 10838016 + 11854080 = 22692096
    //   13    14^2*576*96 + 7^2*576*(9+160)       = 10838016 + 4769856 = 15607872
    //14,15    7^2*960*160 + 7^2*960*(9+160)       = 7526400 + 7949760 = 15476160
    //   16    7^2*960*160 + 7^2*960*(9+320)       = 7526400 + 15476160 = 23002560
    const std::vector<int64_t> block_params = {992,    5568,   9456,   10640,  15680,  15680,
                                               21952,  55936,  55936,  55936,  68352,  120768,
                                               120768, 157888, 324160, 324160, 478400};
    const std::vector<int64_t> block_macs = {
        10035200, 29202432, 25740288, 15466752, 10988544, 10988544, 7564032, 10311168, 10311168,
        10311168, 12719616, 22692096, 22692096, 15607872, 15476160, 15476160, 23002560};
    for (size_t b = 0; b < block_params.size(); ++b) {
      CAPTURE(b);
      const LayerStats s =
          sum_with_prefix(a, b == 0 ? "expanded_conv_" : "block_" + std::to_string(b) + "_");
      CHECK(s.params == block_params[b]);
      CHECK(s.macs == block_macs[b]);
    }
    // Blocks sum to 1842272 params and 268585856 MACs. The rest:
    //   Conv1 + BN:   3*3*3*32 + 4*32 = 864 + 128 = 992;   MACs 112^2*32*27 = 10838016
    //   Conv_1 + BN:  320*1280 + 4*1280 = 409600 + 5120 = 414720;  MACs 7^2*1280*320 = 20070400
    //   predictions:  1280*1000 + 1000 = 1281000;   MACs 1280*1000 = 1280000
    CHECK(a.stats(index_of(a, "Conv1")).macs == 10838016);
    CHECK(a.stats(index_of(a, "Conv_1")).params == 409600);
    CHECK(a.stats(index_of(a, "predictions")).params == 1281000);
    // params: 992 + 1842272 + 414720 + 1281000 = 3538984 (Keras' published "Total params").
    CHECK(a.total_params() == 3'538'984);
    // MACs: 10838016 + 268585856 + 20070400 + 1280000 = 300774272 (the paper's "300M").
    CHECK(a.total_macs() == 300774272);
  }

  TEST_CASE("ds_cnn: MLPerf Tiny keyword spotting DS-CNN") {
    // Source: mlcommons/tiny benchmark/training/keyword_spotting keras_model.py, 'ds_cnn'.
    // - Its Conv2D and DepthwiseConv2D leave use_bias at the Keras default (True), so every
    //   convolution here has a bias although a BN follows (ARM's Hello Edge TF-slim original
    //   has none; we follow the MLPerf Tiny code, which is the benchmark's reference model).
    // - Dropout (0.2 after the stem, 0.4 before pooling) is omitted: the IR has no dropout.
    // - The pool is AveragePooling2D(pool_size=(int(49/2), int(10/2))) = (24, 5) with Keras'
    //   default strides = pool_size and valid padding: on the 25x5 map it yields 1x1 (the
    //   25th row is dropped). We keep the published (24, 5) window; shapes, params and MACs
    //   are the same as for a 25x5 window.
    const Architecture a = load_reference("ds_cnn.json");
    CHECK(a.input_shape() == TensorShape{49, 10, 1});
    CHECK(a.output_shape() == TensorShape{1, 1, 12});
    CHECK(a.size() == 31);
    // conv 10x4 stride 2, same: ceil(49/2) = 25, ceil(10/2) = 5.
    CHECK(shape_of(a, "conv1") == TensorShape{25, 5, 64});
    CHECK(shape_of(a, "dw1") == TensorShape{25, 5, 64});
    CHECK(shape_of(a, "pw4_relu") == TensorShape{25, 5, 64});
    CHECK(shape_of(a, "avg_pool") == TensorShape{1, 1, 64});
    CHECK(shape_of(a, "flatten") == TensorShape{1, 1, 64});
    auto ops = count_ops(a);
    CHECK(ops[OpKind::kDepthwiseConv2D] == 4);
    CHECK(ops[OpKind::kConv2D] == 5);
    CHECK(ops[OpKind::kBatchNorm] == 9);

    // params:
    //   conv1 + BN:        10*4*1*64 + 64 + 4*64 = 2560 + 64 + 256 = 2880
    //   4 x (dw 3x3 + BN:  9*64 + 64 + 256 = 896;  pw 1x1 + BN: 64*64 + 64 + 256 = 4416)
    //                      = 4 * 5312 = 21248
    //   dense:             64*12 + 12 = 780
    //   total:             2880 + 21248 + 780 = 24908
    CHECK(a.total_params() == 24908);
    // MACs:
    //   conv1:  25*5*64 * 10*4*1 = 320000
    //   4 x (dw: 25*5*64*9 = 72000;  pw: 25*5*64*64 = 512000) = 4 * 584000 = 2336000
    //   dense:  64*12 = 768
    //   total:  320000 + 2336000 + 768 = 2656768
    CHECK(a.total_macs() == 2656768);
    CHECK(a.stats(index_of(a, "conv1")).params == 2624);
    CHECK(a.stats(index_of(a, "dw3")).params == 640);
  }

  TEST_CASE("resnet8: MLPerf Tiny image classification ResNet-8 (CIFAR-10)") {
    // Source: mlcommons/tiny v0.5 training/image_classification keras_model.py,
    // resnet_v1_eembc() with 16/32/64 filters. All Conv2D keep Keras' default use_bias=True.
    const Architecture a = load_reference("resnet8.json");
    CHECK(a.input_shape() == TensorShape{32, 32, 3});
    CHECK(a.output_shape() == TensorShape{1, 1, 10});
    CHECK(shape_of(a, "conv1_relu") == TensorShape{32, 32, 16});
    CHECK(shape_of(a, "stack1_add") == TensorShape{32, 32, 16});
    CHECK(shape_of(a, "stack2_conv1") == TensorShape{16, 16, 32});
    CHECK(shape_of(a, "stack2_shortcut") == TensorShape{16, 16, 32});
    CHECK(shape_of(a, "stack3_relu") == TensorShape{8, 8, 64});
    CHECK(shape_of(a, "avg_pool") == TensorShape{1, 1, 64});
    auto ops = count_ops(a);
    CHECK(ops[OpKind::kConv2D] == 9);
    CHECK(ops[OpKind::kAdd] == 3);
    // Stack 1 adds the stack input itself; stacks 2 and 3 add the 1x1 shortcut.
    const auto& add1 = a.layer(index_of(a, "stack1_add"));
    CHECK(add1.inputs == std::vector<std::string>{"conv1_relu", "stack1_bn2"});
    const auto& sc3 = a.layer(index_of(a, "stack3_shortcut"));
    CHECK(sc3.inputs == std::vector<std::string>{"stack2_relu"});

    // params:
    //   conv1 + BN:   3*3*3*16 + 16 + 4*16 = 432 + 16 + 64 = 512
    //   stack 1:      2 x (3*3*16*16 + 16 + 64) = 2 * 2384 = 4768
    //   stack 2:      3*3*16*32 + 32 + 128 = 4768;  3*3*32*32 + 32 + 128 = 9376;
    //                 shortcut 16*32 + 32 = 544;    sum 14688
    //   stack 3:      3*3*32*64 + 64 + 256 = 18752; 3*3*64*64 + 64 + 256 = 37184;
    //                 shortcut 32*64 + 64 = 2112;   sum 58048
    //   dense:        64*10 + 10 = 650
    //   total:        512 + 4768 + 14688 + 58048 + 650 = 78666 (the reference's Keras summary)
    CHECK(a.total_params() == 78666);
    CHECK(sum_with_prefix(a, "stack2_").params == 14688);
    CHECK(sum_with_prefix(a, "stack3_").params == 58048);
    // MACs:
    //   conv1:    32*32*16 * 27 = 442368
    //   stack 1:  2 x 32*32*16 * 144 = 2 * 2359296 = 4718592
    //   stack 2:  16*16*32 * 144 = 1179648; 16*16*32 * 288 = 2359296; 16*16*32 * 16 = 131072
    //             sum 3670016
    //   stack 3:  8*8*64 * 288 = 1179648;   8*8*64 * 576 = 2359296;   8*8*64 * 32 = 131072
    //             sum 3670016
    //   dense:    64*10 = 640
    //   total:    442368 + 4718592 + 3670016 + 3670016 + 640 = 12501632
    CHECK(a.total_macs() == 12501632);
    CHECK(sum_with_prefix(a, "stack1_").macs == 4718592);
    CHECK(sum_with_prefix(a, "stack3_").macs == 3670016);
  }

  TEST_CASE("fc_autoencoder: MLPerf Tiny anomaly detection FC autoencoder") {
    // Source: mlcommons/tiny anomaly_detection keras_model.py get_model(640): Dense layers
    // with Keras' default bias, each hidden one followed by BN and ReLU; linear output.
    const Architecture a = load_reference("fc_autoencoder.json");
    CHECK(a.input_shape() == TensorShape{1, 1, 640});
    CHECK(a.output_shape() == TensorShape{1, 1, 640});
    CHECK(a.size() == 28);
    CHECK(shape_of(a, "dense1") == TensorShape{1, 1, 128});
    CHECK(shape_of(a, "dense5_relu") == TensorShape{1, 1, 8});
    CHECK(shape_of(a, "dense6") == TensorShape{1, 1, 128});
    CHECK(a.layers().back().op == OpKind::kDense);
    // params:
    //   dense1 + BN:          640*128 + 128 + 4*128 = 81920 + 128 + 512 = 82560
    //   dense2..4 + BN:       3 x (128*128 + 128 + 512) = 3 * 17024 = 51072
    //   dense5 (8) + BN:      128*8 + 8 + 4*8 = 1064
    //   dense6 + BN:          8*128 + 128 + 512 = 1664
    //   dense7..9 + BN:       3 * 17024 = 51072
    //   dense10 (640):        128*640 + 640 = 82560
    //   total:                82560 + 51072 + 1064 + 1664 + 51072 + 82560 = 269992
    CHECK(a.total_params() == 269992);
    // MACs: 640*128 + 6*128*128 + 128*8 + 8*128 + 128*640
    //     = 81920 + 98304 + 1024 + 1024 + 81920 = 264192
    CHECK(a.total_macs() == 264192);
  }

  TEST_CASE("every reference network survives save -> load exactly") {
    for (const auto& file : kReferenceFiles) {
      CAPTURE(file);
      const Architecture a = load_reference(file);
      TempDir dir("reference-archs");
      const std::string path = dir.file(file);
      save_architecture(a, path);
      const Architecture b = load_architecture(path);
      CHECK(b.same_definition(a));
      CHECK(b.total_params() == a.total_params());
      CHECK(b.total_macs() == a.total_macs());
      CHECK(architecture_to_json(b).dump(2) == architecture_to_json(a).dump(2));
      CHECK(read_text(path) == read_text(reference_path(file)));
    }
  }

  TEST_CASE("the shipped files are byte-identical to the canonical writer's output") {
    for (const auto& file : kReferenceFiles) {
      CAPTURE(file);
      const Architecture a = load_reference(file);
      CHECK(read_text(reference_path(file)) == architecture_to_json(a).dump(2) + "\n");
      // The file name is the network's name.
      CHECK(a.name() + ".json" == file);
    }
  }

  TEST_CASE("same_definition notices a changed attribute of a reference network") {
    const Architecture a = load_reference("resnet8.json");
    auto json = architecture_to_json(a);
    json["layers"][0]["use_bias"] = false;
    const Architecture b = architecture_from_json(json, "mem");
    CHECK_FALSE(b.same_definition(a));
    CHECK(b.total_params() == 78666 - 16);
  }
}

}  // namespace test
}  // namespace hwnas
