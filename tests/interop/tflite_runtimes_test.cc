// Checks the three third-party TFLite runtime harnesses on tiny models whose
// outputs are computed here by hand, so later interop tests can trust them.
//
// The models are written as flatbuffer JSON and compiled with `flatc -b`
// against our own schema (src/lite/schema/schema.fbs), independent of our
// converter.
#include "tests/support/tflite_runtimes.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/files.h"
#include "tests/support/subprocess.h"

namespace edgepipe::testing {
namespace {

using nlohmann::json;

// y = relu(W x + b), W: [3, 4] (out, in), as TFLite's FULLY_CONNECTED stores it.
constexpr float kW[3][4] = {{1, 0, 0, 0}, {0, 1, -1, 0}, {0.5f, 0.5f, 0.5f, 0.5f}};
constexpr float kB[3] = {0.1f, -0.2f, 0.3f};

template <typename T>
json BytesOf(const std::vector<T>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

json FullyConnectedModel(const json& x, const json& w, const json& b, const json& y, json w_data,
                         json b_data, int op_version) {
  return {
      {"version", 3},
      {"operator_codes",
       {{{"deprecated_builtin_code", 9},
         {"builtin_code", "FULLY_CONNECTED"},
         {"version", op_version}}}},
      {"subgraphs",
       {{{"tensors", {x, w, b, y}},
         {"inputs", {0}},
         {"outputs", {3}},
         {"operators",
          {{{"opcode_index", 0},
            {"inputs", {0, 1, 2}},
            {"outputs", {3}},
            {"builtin_options_type", "FullyConnectedOptions"},
            {"builtin_options", {{"fused_activation_function", "RELU"}}}}}},
         {"name", "main"}}}},
      {"description", "edgepipe tflite_runtimes_test"},
      {"buffers",
       {json::object(), json::object(), {{"data", w_data}}, {{"data", b_data}}, json::object()}}};
}

json FloatFcModel() {
  std::vector<float> w, b(kB, kB + 3);
  for (const auto& row : kW) w.insert(w.end(), row, row + 4);
  auto tensor = [](const char* name, std::vector<int> shape, int buffer) {
    return json{{"name", name}, {"shape", shape}, {"type", "FLOAT32"}, {"buffer", buffer}};
  };
  return FullyConnectedModel(tensor("x", {1, 4}, 1), tensor("w", {3, 4}, 2), tensor("b", {3}, 3),
                             tensor("y", {1, 3}, 4), BytesOf(w), BytesOf(b), 1);
}

// int8 version: x scale 0.5 zp -1, W scale 0.25 zp 0, bias int32 scale
// 0.125 (= 0.5 * 0.25) zp 0, y scale 0.1 zp -5.
constexpr float kXScale = 0.5f, kWScale = 0.25f, kYScale = 0.1f;
constexpr int kXZero = -1, kYZero = -5;

std::vector<int32_t> QuantizedBias() {
  std::vector<int32_t> b;
  for (float v : kB) b.push_back(static_cast<int32_t>(std::lround(v / (kXScale * kWScale))));
  return b;
}

json Int8FcModel() {
  std::vector<int8_t> w;
  for (const auto& row : kW) {
    for (float v : row) w.push_back(static_cast<int8_t>(std::lround(v / kWScale)));
  }
  auto tensor = [](const char* name, std::vector<int> shape, const char* type, int buffer,
                   float scale, int zero) {
    return json{{"name", name},
                {"shape", shape},
                {"type", type},
                {"buffer", buffer},
                {"quantization", {{"scale", {scale}}, {"zero_point", {zero}}}}};
  };
  return FullyConnectedModel(
      tensor("x", {1, 4}, "INT8", 1, kXScale, kXZero), tensor("w", {3, 4}, "INT8", 2, kWScale, 0),
      tensor("b", {3}, "INT32", 3, kXScale * kWScale, 0),
      tensor("y", {1, 3}, "INT8", 4, kYScale, kYZero), BytesOf(w), BytesOf(QuantizedBias()), 4);
}

class TfliteRuntimesTest : public ::testing::TestWithParam<TfliteRuntime> {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "edgepipe-rt-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  // Compiles `model` with flatc against our schema; returns the .tflite path.
  std::string Compile(const std::string& name, const json& model) {
    const std::string schema = std::string(EDGEPIPE_SOURCE_DIR) + "/src/lite/schema/schema.fbs";
    const std::string json_path = JoinPath(dir_, name + ".json");
    EXPECT_TRUE(WriteFileAtomic(json_path, model.dump()).ok());
    const CommandResult r =
        RunCommand("flatc -b -o '" + dir_ + "' '" + schema + "' '" + json_path + "' 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    const std::string path = JoinPath(dir_, name + ".tflite");
    EXPECT_TRUE(PathExists(path)) << r.out;
    return path;
  }

  std::string dir_;
};

// The float model's outputs, computed here.
std::vector<float> ExpectedFloat(const std::vector<float>& x, int rows) {
  std::vector<float> y;
  for (int r = 0; r < rows; ++r) {
    for (int o = 0; o < 3; ++o) {
      float acc = kB[o];
      for (int i = 0; i < 4; ++i) acc += kW[o][i] * x[static_cast<size_t>(r * 4 + i)];
      y.push_back(std::max(acc, 0.0f));
    }
  }
  return y;
}

TEST_P(TfliteRuntimesTest, FloatFullyConnectedMatchesHandComputedValues) {
  const std::string model = Compile("fc_float", FloatFcModel());
  const std::vector<float> x = {1, 2, 3, 4, -1, -2, -3, -4, 0, 0, 0, 1};
  auto out = RunInTfliteRuntime(GetParam(), model, {Tensor::FromVector<float>({3, 4}, x)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out.value().size(), 1u);
  const RuntimeOutput& y = out.value()[0];
  EXPECT_EQ(y.name, "y");
  EXPECT_EQ(y.dtype, "float32");
  EXPECT_EQ(y.shape, (std::vector<int64_t>{3, 3}));  // three [1, 3] invocations
  // First row by hand: 1 + 0.1, relu(2 - 3 - 0.2) = 0, 0.5 * 10 + 0.3.
  ASSERT_EQ(y.values.size(), 9u);
  EXPECT_NEAR(y.values[0], 1.1f, 1e-6);
  EXPECT_EQ(y.values[1], 0.0f);
  EXPECT_NEAR(y.values[2], 5.3f, 1e-6);
  const std::vector<float> expected = ExpectedFloat(x, 3);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(y.values[i], expected[i], 1e-5 * std::abs(expected[i]) + 1e-6) << "value " << i;
  }
}

TEST_P(TfliteRuntimesTest, OneInvocationAsGiven) {
  const std::string model = Compile("fc_float", FloatFcModel());
  RuntimeRunOptions options;
  options.rows_per_invocation = 0;
  auto out = RunInTfliteRuntime(GetParam(), model,
                                {Tensor::FromVector<float>({1, 4}, {0, 0, 0, 1})}, options);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out.value().size(), 1u);
  EXPECT_EQ(out.value()[0].shape, (std::vector<int64_t>{1, 3}));
  ASSERT_EQ(out.value()[0].values.size(), 3u);
  EXPECT_NEAR(out.value()[0].values[0], 0.1f, 1e-6);
  EXPECT_EQ(out.value()[0].values[1], 0.0f);
  EXPECT_NEAR(out.value()[0].values[2], 0.8f, 1e-6);
}

TEST_P(TfliteRuntimesTest, CorruptModelIsAnError) {
  const std::string good = Compile("fc_float", FloatFcModel());
  StatusOr<std::string> bytes = ReadFile(good);
  ASSERT_TRUE(bytes.ok());
  const std::string truncated = JoinPath(dir_, "truncated.tflite");
  ASSERT_TRUE(WriteFileAtomic(truncated, bytes.value().substr(0, bytes.value().size() / 2)).ok());
  const std::string garbage = JoinPath(dir_, "garbage.tflite");
  ASSERT_TRUE(WriteFileAtomic(garbage, "this is not a flatbuffer").ok());
  for (const std::string& path : {truncated, garbage}) {
    auto out =
        RunInTfliteRuntime(GetParam(), path, {Tensor::FromVector<float>({1, 4}, {1, 2, 3, 4})});
    ASSERT_FALSE(out.ok()) << path;
    EXPECT_NE(out.status().message().find(TfliteRuntimeName(GetParam())), std::string::npos)
        << out.status().message();
    EXPECT_NE(out.status().message().find(path), std::string::npos) << out.status().message();
  }
}

TEST_P(TfliteRuntimesTest, MissingModelIsNotFound) {
  auto out = RunInTfliteRuntime(GetParam(), JoinPath(dir_, "none.tflite"),
                                {Tensor::FromVector<float>({1, 4}, {1, 2, 3, 4})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kNotFound);
}

TEST_P(TfliteRuntimesTest, WrongInputSizeIsAnError) {
  const std::string model = Compile("fc_float", FloatFcModel());
  auto out =
      RunInTfliteRuntime(GetParam(), model, {Tensor::FromVector<float>({1, 5}, {1, 2, 3, 4, 5})});
  EXPECT_FALSE(out.ok());
}

TEST_P(TfliteRuntimesTest, Int8FullyConnectedWithinOneOrRefused) {
  const std::string model = Compile("fc_int8", Int8FcModel());
  const std::vector<int8_t> xq = {1, 3, 5, 7, -3, -5, -7, -9, -1, -1, -1, 1};
  auto out = RunInTfliteRuntime(GetParam(), model, {Tensor::FromVector<int8_t>({3, 4}, xq)});
  if (GetParam() == TfliteRuntime::kLiteRtJs) {
    // Its JS API has no int8 tensors: LiteRT.js refuses a model with int8
    // inputs or outputs when loading it ("Element type INT8 is not supported").
    ASSERT_FALSE(out.ok());
    std::string message = out.status().message();
    std::transform(message.begin(), message.end(), message.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    EXPECT_NE(message.find("int8 is not supported"), std::string::npos) << message;
    return;
  }
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out.value().size(), 1u);
  const RuntimeOutput& y = out.value()[0];
  EXPECT_EQ(y.dtype, "int8");
  EXPECT_EQ(y.shape, (std::vector<int64_t>{3, 3}));
  ASSERT_EQ(y.values.size(), 9u);
  // Integer reference: acc = sum((xq - zx) * wq) + bq, rescaled by
  // sx * sw / sy, plus zy, RELU clamps at zy.
  const std::vector<int32_t> bq = QuantizedBias();
  for (int r = 0; r < 3; ++r) {
    for (int o = 0; o < 3; ++o) {
      int32_t acc = bq[static_cast<size_t>(o)];
      for (int i = 0; i < 4; ++i) {
        acc += (xq[static_cast<size_t>(r * 4 + i)] - kXZero) *
               static_cast<int32_t>(std::lround(kW[o][i] / kWScale));
      }
      const double scaled = acc * (double{kXScale} * kWScale / kYScale);
      const long q = std::clamp<long>(std::lround(scaled) + kYZero, kYZero, 127);
      EXPECT_NEAR(y.values[static_cast<size_t>(r * 3 + o)], static_cast<float>(q), 1.0)
          << "row " << r << " output " << o;
    }
  }
  // Row 0 by hand: x = (1, 2, 3, 4) -> y = (1.1, 0, 5.3) -> q = (6, -5, 48).
  EXPECT_NEAR(y.values[0], 6, 1);
  EXPECT_EQ(y.values[1], -5);
  EXPECT_NEAR(y.values[2], 48, 1);
}

INSTANTIATE_TEST_SUITE_P(AllRuntimes, TfliteRuntimesTest,
                         ::testing::Values(TfliteRuntime::kLiteRtJs, TfliteRuntime::kTfjsTflite,
                                           TfliteRuntime::kArmNN),
                         [](const ::testing::TestParamInfo<TfliteRuntime>& info) {
                           switch (info.param) {
                             case TfliteRuntime::kLiteRtJs:
                               return std::string("LiteRtJs");
                             case TfliteRuntime::kTfjsTflite:
                               return std::string("TfjsTflite");
                             case TfliteRuntime::kArmNN:
                               return std::string("ArmNN");
                           }
                           return std::string("Unknown");
                         });

}  // namespace
}  // namespace edgepipe::testing
