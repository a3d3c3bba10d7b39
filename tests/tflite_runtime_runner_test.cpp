// This file implements the tests of the .tflite runtime runners (tests/tflite_runtime_runner.hpp):
// a one-op int8 FULLY_CONNECTED model, written here with the FlatBuffers builder's table API
// (no schema or generated code in the repository), runs in TF Lite 2.2 and in Arm NN 20.08;
// both describe its tensors as written and give the outputs computed here by hand within 1 LSB
// (the runtimes requantise differently: fixed-point multiplier vs. float). A model Arm NN
// asserts on (per-channel FULLY_CONNECTED weights) must come back as an exception naming the
// abort, not kill the test binary.
#include "tests/tflite_runtime_runner.hpp"

#include <doctest/doctest.h>
#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "tests/test_support.hpp"

namespace hwnas::test {
namespace {

// The TF Lite schema's field ids (schema.fbs); a table's field `id` sits in vtable slot 4 + 2 * id.
constexpr flatbuffers::voffset_t slot(int id) { return static_cast<flatbuffers::voffset_t>(4 + 2 * id); }
constexpr int8_t kTypeInt32 = 2;
constexpr int8_t kTypeInt8 = 9;
constexpr int8_t kOpFullyConnected = 9;
constexpr uint8_t kOptionsFullyConnected = 8;

/// The test layer: y = requantise(W (x - zp_in) + b), x int8 [1, 4], W int8 [3, 4], b int32 [3].
struct DenseModel {
  float input_scale = 0.5f;
  int64_t input_zero_point = -1;
  std::vector<int8_t> weights = {1, 2, 3, 4, -1, -2, -3, -4, 10, -10, 5, -5};  // W (3 x 4), row-major
  std::vector<float> weight_scales = {0.25f};  // one: per tensor; three: per output channel
  std::vector<int32_t> bias = {4, -8, 0};      // at scale input_scale * weight_scale
  float output_scale = 0.3f;
  int64_t output_zero_point = 2;
};

using Table = flatbuffers::Offset<void>;

Table quantization(flatbuffers::FlatBufferBuilder& fbb, const std::vector<float>& scales,
                   const std::vector<int64_t>& zero_points) {
  const auto s = fbb.CreateVector(scales);
  const auto z = fbb.CreateVector(zero_points);
  const auto start = fbb.StartTable();
  fbb.AddOffset(slot(2), s);
  fbb.AddOffset(slot(3), z);
  fbb.AddElement<int32_t>(slot(6), 0, 0);  // quantized_dimension: output channels
  return Table(fbb.EndTable(start));
}

Table tensor(flatbuffers::FlatBufferBuilder& fbb, const std::vector<int32_t>& shape, int8_t type, uint32_t buffer,
             const std::string& name, Table quant) {
  const auto sh = fbb.CreateVector(shape);
  const auto nm = fbb.CreateString(name);
  const auto start = fbb.StartTable();
  fbb.AddOffset(slot(0), sh);
  fbb.AddElement<int8_t>(slot(1), type, 0);
  fbb.AddElement<uint32_t>(slot(2), buffer, 0);
  fbb.AddOffset(slot(3), nm);
  fbb.AddOffset(slot(4), quant);
  return Table(fbb.EndTable(start));
}

Table buffer(flatbuffers::FlatBufferBuilder& fbb, const void* data, size_t bytes) {
  const auto d = bytes ? fbb.CreateVector(static_cast<const uint8_t*>(data), bytes) : flatbuffers::Offset<flatbuffers::Vector<uint8_t>>();
  const auto start = fbb.StartTable();
  if (bytes) fbb.AddOffset(slot(0), d);
  return Table(fbb.EndTable(start));
}

/// The .tflite bytes of `m`: one FULLY_CONNECTED op; buffer 0 is the empty buffer that tensors
/// without data (input, output) point to.
std::string dense_tflite(const DenseModel& m) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<float> bias_scales;
  for (const float s : m.weight_scales) bias_scales.push_back(m.input_scale * s);
  const std::vector<int64_t> zeros(m.weight_scales.size(), 0);

  const std::vector<Table> buffers = {buffer(fbb, nullptr, 0), buffer(fbb, m.weights.data(), m.weights.size()),
                                      buffer(fbb, m.bias.data(), m.bias.size() * sizeof(int32_t))};
  const std::vector<Table> tensors = {
      tensor(fbb, {1, 4}, kTypeInt8, 0, "input", quantization(fbb, {m.input_scale}, {m.input_zero_point})),
      tensor(fbb, {3, 4}, kTypeInt8, 1, "weights", quantization(fbb, m.weight_scales, zeros)),
      tensor(fbb, {3}, kTypeInt32, 2, "bias", quantization(fbb, bias_scales, zeros)),
      tensor(fbb, {1, 3}, kTypeInt8, 0, "output", quantization(fbb, {m.output_scale}, {m.output_zero_point}))};

  auto start = fbb.StartTable();  // FullyConnectedOptions: all defaults (no fused activation)
  const Table options(fbb.EndTable(start));
  const auto op_inputs = fbb.CreateVector(std::vector<int32_t>{0, 1, 2});
  const auto op_outputs = fbb.CreateVector(std::vector<int32_t>{3});
  start = fbb.StartTable();
  fbb.AddOffset(slot(1), op_inputs);
  fbb.AddOffset(slot(2), op_outputs);
  fbb.AddElement<uint8_t>(slot(3), kOptionsFullyConnected, 0);
  fbb.AddOffset(slot(4), options);
  const Table op(fbb.EndTable(start));

  const auto tensors_vec = fbb.CreateVector(tensors);
  const auto sg_inputs = fbb.CreateVector(std::vector<int32_t>{0});
  const auto sg_outputs = fbb.CreateVector(std::vector<int32_t>{3});
  const auto ops_vec = fbb.CreateVector(std::vector<Table>{op});
  const auto sg_name = fbb.CreateString("main");
  start = fbb.StartTable();
  fbb.AddOffset(slot(0), tensors_vec);
  fbb.AddOffset(slot(1), sg_inputs);
  fbb.AddOffset(slot(2), sg_outputs);
  fbb.AddOffset(slot(3), ops_vec);
  fbb.AddOffset(slot(4), sg_name);
  const Table subgraph(fbb.EndTable(start));

  // Readers of either schema generation: the byte code (field 0) and the int32 code (field 3).
  start = fbb.StartTable();
  fbb.AddElement<int8_t>(slot(0), kOpFullyConnected, 0);
  fbb.AddElement<int32_t>(slot(2), 4, 1);  // version 4: int8 kernels
  fbb.AddElement<int32_t>(slot(3), kOpFullyConnected, 0);
  const Table opcode(fbb.EndTable(start));

  const auto opcodes_vec = fbb.CreateVector(std::vector<Table>{opcode});
  const auto subgraphs_vec = fbb.CreateVector(std::vector<Table>{subgraph});
  const auto description = fbb.CreateString("hwnas tflite_runtime_runner_test");
  const auto buffers_vec = fbb.CreateVector(buffers);
  start = fbb.StartTable();
  fbb.AddElement<uint32_t>(slot(0), 3, 0);
  fbb.AddOffset(slot(1), opcodes_vec);
  fbb.AddOffset(slot(2), subgraphs_vec);
  fbb.AddOffset(slot(3), description);
  fbb.AddOffset(slot(4), buffers_vec);
  fbb.Finish(Table(fbb.EndTable(start)), "TFL3");
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

/// The outputs computed here: integer accumulation, then the real rescale rounded half away
/// from zero, plus the output zero point, clamped to int8. Per-tensor weights only.
std::vector<int8_t> dense_by_hand(const DenseModel& m, const std::vector<int8_t>& inputs) {
  const double multiplier = double(m.input_scale) * m.weight_scales[0] / m.output_scale;
  std::vector<int8_t> out;
  for (size_t s = 0; s < inputs.size() / 4; ++s) {
    for (size_t o = 0; o < 3; ++o) {
      int64_t acc = m.bias[o];
      for (size_t i = 0; i < 4; ++i) acc += (inputs[s * 4 + i] - m.input_zero_point) * m.weights[o * 4 + i];
      const double q = std::round(double(acc) * multiplier) + double(m.output_zero_point);
      out.push_back(static_cast<int8_t>(std::clamp(q, -128.0, 127.0)));
    }
  }
  return out;
}

std::string bytes_of(const std::vector<int8_t>& v) { return std::string(reinterpret_cast<const char*>(v.data()), v.size()); }

const TfliteRuntime kRuntimes[] = {TfliteRuntime::kTfLite22, TfliteRuntime::kArmNN};

}  // namespace

TEST_CASE("tflite runtimes: both describe a hand-built int8 dense model as written") {
  TempDir dir("hwnas-tflite-test");
  const DenseModel m;
  const std::string path = dir.file("dense.tflite");
  write_text(path, dense_tflite(m));
  for (const TfliteRuntime runtime : kRuntimes) {
    const std::string runtime_name = tflite_runtime_name(runtime);
    CAPTURE(runtime_name);
    const TfliteModelInfo info = describe_tflite_model(runtime, path);
    CHECK(info.input.name == "input");
    CHECK(info.input.shape == std::vector<int64_t>{1, 4});
    CHECK(info.input.type == "int8");
    CHECK(info.input.scale == doctest::Approx(0.5));
    CHECK(info.input.zero_point == -1);
    CHECK(info.input.bytes == 4);
    CHECK(info.output.name == "output");
    CHECK(info.output.shape == std::vector<int64_t>{1, 3});
    CHECK(info.output.type == "int8");
    CHECK(float(info.output.scale) == 0.3f);
    CHECK(info.output.zero_point == 2);
    CHECK(info.output.bytes == 3);
  }
}

TEST_CASE("tflite runtimes: both run a hand-built int8 dense model as computed by hand, within 1 LSB") {
  TempDir dir("hwnas-tflite-test");
  const DenseModel m;
  const std::string path = dir.file("dense.tflite");
  write_text(path, dense_tflite(m));
  // The first sample by hand: x - zp = (4, 0, 8, 1); W row 0 gives 4 + 24 + 4 + bias 4 = 36,
  // 36 * 0.5 * 0.25 / 0.3 = 15, + 2 = 17. The others sweep the int8 range (and saturate).
  const std::vector<int8_t> inputs = {3, -1, 7, 0, -128, 127, -128, 127, 127, 127, 127, 127, 0, 0, 0, 0,
                                      -5, 9, 33, -70, 100, -100, 50, -50, 1, 2, 3, 4, -1, -2, -3, -4};
  const std::vector<int8_t> expected = dense_by_hand(m, inputs);
  REQUIRE(expected[0] == 17);
  for (const TfliteRuntime runtime : kRuntimes) {
    const std::string runtime_name = tflite_runtime_name(runtime);
    CAPTURE(runtime_name);
    const std::string out = run_tflite_model(runtime, path, bytes_of(inputs), int64_t(inputs.size() / 4));
    REQUIRE(out.size() == expected.size());
    CHECK(static_cast<int8_t>(out[0]) == 17);
    for (size_t i = 0; i < expected.size(); ++i) {
      CAPTURE(i);
      CHECK(std::abs(static_cast<int8_t>(out[i]) - expected[i]) <= 1);
    }
    CHECK(run_tflite_model(runtime, path, "", 0).empty());
  }
}

TEST_CASE("tflite runtimes: a runner's failure is an exception with its message and exit status") {
  TempDir dir("hwnas-tflite-test");
  DenseModel m;
  const std::string path = dir.file("dense.tflite");
  write_text(path, dense_tflite(m));
  for (const TfliteRuntime runtime : kRuntimes) {
    const std::string runtime_name = tflite_runtime_name(runtime);
    CAPTURE(runtime_name);
    // Five bytes are not two 4-byte inputs.
    CHECK_THROWS_WITH_AS(run_tflite_model(runtime, path, "12345", 2), doctest::Contains("exit status 1"),
                         std::runtime_error);
    CHECK_THROWS_WITH_AS(run_tflite_model(runtime, dir.file("missing.tflite"), "1234", 1),
                         doctest::Contains("missing.tflite"), std::runtime_error);
  }
  // Per-channel dense weights: Arm NN 20.08 asserts (SIGABRT) while building the network.
  m.weight_scales = {0.25f, 0.5f, 0.125f};
  const std::string per_channel = dir.file("dense_per_channel.tflite");
  write_text(per_channel, dense_tflite(m));
  CHECK_THROWS_WITH_AS(run_tflite_model(TfliteRuntime::kArmNN, per_channel, "1234", 1),
                       doctest::Contains("exit status 134 (aborted)"), std::runtime_error);
  // The message carries the runner's stderr: here glibc's report of the failed assertion.
  CHECK_THROWS_WITH_AS(run_tflite_model(TfliteRuntime::kArmNN, per_channel, "1234", 1),
                       doctest::Contains("Assertion"), std::runtime_error);
}

}  // namespace hwnas::test
