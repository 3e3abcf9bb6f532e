// Seeds of tflite_loader_fuzzer (`fuzz_corpus tflite_loader OUT_DIR`),
// all made here from our own converter and model builder (nothing binary is
// committed): small MLPs and a small CNN-like DAG in float32, dynamic-range,
// float16 and full-integer int8 (float and int8 I/O), plus hand-built
// single-op models for the paths the converter never writes (a RESHAPE shape
// tensor, int8 SOFTMAX, float16 DEQUANTIZE, two-input ADD) and ones wide
// enough for the AVX2 kernels' vector blocks (VectorKernelModels).
//
// Models are kept small (a few KB): libFuzzer mutates faster, and every op
// and quantization path is still present. Every seed must load and run (a
// refused seed would test only the loader); the first that does not is the
// error returned.
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "fuzz/corpus.h"
#include "src/core/files.h"
#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/lite/converter.h"
#include "src/lite/interpreter.h"
#include "src/lite/test_models.h"
#include "src/lite/testing/model_builder.h"

namespace edgepipe::lite {
namespace {

using testing::MakeMlpGraph;
using testing::ModelBuilder;
using testing::PerTensor;
using testing::RandomTensor;

// Input [-1, 6, 6, 2] -> 3 logits, touching every converter op kind:
// Pad, Conv2D (+BatchNorm folded, relu), DepthwiseConv2D (relu6), max and
// average pooling, Mean, Reshape, Add, Concat, Activation, Dense, Mul by a
// constant, Softmax.
InferenceGraph MakeSmallCnnGraph(uint32_t seed) {
  std::mt19937 rng(seed);
  InferenceGraph g;
  g.input_name = "image";
  g.input_shape = {-1, 6, 6, 2};
  g.ops.push_back(PadOp{"pad", {{0, 0}, {1, 1}, {1, 1}, {0, 0}}});  // 8x8x2
  g.ops.push_back(Conv2DOp{.name = "conv",
                           .kernel = RandomTensor({3, 3, 2, 4}, rng, 0.5f),
                           .bias = RandomTensor({4}, rng, 0.1f),
                           .padding = Padding::kValid});  // 6x6x4
  g.ops.push_back(BatchNormOp{"bn", RandomTensor({4}, rng, 1.0f), RandomTensor({4}, rng, 0.1f),
                              RandomTensor({4}, rng, 0.1f), RandomTensor({4}, rng, 0.5f)});
  // variance must be positive
  auto& bn = std::get<BatchNormOp>(g.ops.back());
  for (int64_t i = 0; i < 4; ++i) bn.variance.data<float>()[i] += 1.0f;
  g.ops.push_back(ActivationOp{"relu", ActivationKind::kRelu});
  g.ops.push_back(DepthwiseConv2DOp{.name = "dw",
                                    .kernel = RandomTensor({3, 3, 4, 1}, rng, 0.5f),
                                    .bias = RandomTensor({4}, rng, 0.1f),
                                    .padding = Padding::kSame,
                                    .activation = FusedActivation::kRelu6});  // 6x6x4
  g.ops.push_back(Pool2DOp{"maxpool", PoolKind::kMax, 2, 2, 2, 2});           // 3x3x4
  g.ops.push_back(MeanOp{.name = "gap", .inputs = {"maxpool"}});              // [4]
  g.ops.push_back(Pool2DOp{.name = "avgpool",
                           .kind = PoolKind::kAverage,
                           .filter_h = 3,
                           .filter_w = 3,
                           .stride_h = 3,
                           .stride_w = 3,
                           .inputs = {"maxpool"}});                                  // 1x1x4
  g.ops.push_back(ReshapeOp{.name = "flat", .shape = {-1}, .inputs = {"avgpool"}});  // [4]
  g.ops.push_back(BinaryOp{.name = "sum", .kind = BinaryKind::kAdd, .inputs = {"gap", "flat"}});
  g.ops.push_back(ConcatOp{.name = "cat", .axis = -1, .inputs = {"sum", "gap"}});  // [8]
  g.ops.push_back(ActivationOp{"act", ActivationKind::kHardSwish});
  g.ops.push_back(DenseOp{"dense", RandomTensor({8, 3}, rng, 0.5f), RandomTensor({3}, rng, 0.1f)});
  g.ops.push_back(BinaryOp{
      .name = "scale", .kind = BinaryKind::kMul, .constant = RandomTensor({3}, rng, 1.0f)});
  g.ops.push_back(ActivationOp{"tanh", ActivationKind::kTanh});
  g.ops.push_back(SoftmaxOp{"softmax", 1.0f});
  return g;
}

// Random [1, ...shape] float samples in [-2, 2].
RepresentativeDataset RandomSamples(Shape sample_shape, int count, uint32_t seed) {
  auto rng = std::make_shared<std::mt19937>(seed);
  auto left = std::make_shared<int>(count);
  sample_shape.insert(sample_shape.begin(), 1);
  return [rng, left, sample_shape]() -> StatusOr<std::optional<std::vector<Tensor>>> {
    if (*left == 0) return std::optional<std::vector<Tensor>>();
    --*left;
    return std::optional<std::vector<Tensor>>(
        std::vector<Tensor>{RandomTensor(sample_shape, *rng, 2.0f)});
  };
}

schema::BuiltinOptionsUnion Options(auto table) {
  schema::BuiltinOptionsUnion u;
  u.Set(std::move(table));
  return u;
}

// Symmetric int8 values in [-127, 127] (weights; TFLite never uses -128).
std::vector<int8_t> RandomInt8(size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> dist(-127, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(dist(rng));
  return v;
}

std::vector<int32_t> RandomBias(size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int32_t> dist(-2000, 2000);
  std::vector<int32_t> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Per-channel symmetric quantization along `dim`, scales around 0.01.
testing::Quant PerChannel(int channels, int dim, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(0.005f, 0.02f);
  testing::Quant q;
  for (int c = 0; c < channels; ++c) q.scales.push_back(dist(rng));
  q.zero_points.assign(static_cast<size_t>(channels), 0);
  q.quantized_dimension = dim;
  return q;
}

// Single-op models sized for the AVX2 paths (optimized/int8_gemm.cc,
// depthwise.cc, pooling.cc): the converter's small models have 4 channels and
// batch 1, so they only reach the scalar tails. Each has a full vector block
// plus a tail, and the GEMMs an odd depth (the pad element of a k pair) and
// more rows than one 6-row tile.
std::vector<std::pair<std::string, std::string>> VectorKernelModels() {
  std::vector<std::pair<std::string, std::string>> out;
  std::mt19937 rng(11);
  {
    // CONV_2D int8, 20 output channels (16-channel panel + 4), k = 3·3·3 = 27,
    // SAME padding (zero columns of Im2ColWidened), 4x4 = 16 pixel rows.
    ModelBuilder b;
    const int x = b.AddInput("x", schema::TensorType_INT8, {1, 7, 7, 3}, PerTensor(0.03f, 5));
    const auto wq = PerChannel(20, 0, rng);
    const int w =
        b.AddConstant("w", schema::TensorType_INT8, {20, 3, 3, 3}, RandomInt8(20 * 27, rng), wq);
    const int bias = b.AddConstant("b", schema::TensorType_INT32, {20}, RandomBias(20, rng),
                                   PerChannel(20, 0, rng));
    const int y = b.AddOutput("y", schema::TensorType_INT8, {1, 4, 4, 20}, PerTensor(0.025f, -60));
    schema::Conv2DOptionsT o;
    o.padding = schema::Padding_SAME;
    o.stride_h = o.stride_w = 2;
    o.fused_activation_function = schema::ActivationFunctionType_RELU6;
    b.AddOperator(schema::BuiltinOperator_CONV_2D, {x, w, bias}, {y}, Options(o));
    out.emplace_back("op_conv_int8_20ch", b.Finish());
  }
  {
    // CONV_2D int8 1x1 (the pointwise WidenRows path), per-tensor filter,
    // 33 channels (two full panels + 1), depth 5, no bias, 5x5 pixel rows.
    ModelBuilder b;
    const int x = b.AddInput("x", schema::TensorType_INT8, {1, 5, 5, 5}, PerTensor(0.05f, -3));
    const int w = b.AddConstant("w", schema::TensorType_INT8, {33, 1, 1, 5},
                                RandomInt8(33 * 5, rng), PerTensor(0.01f, 0));
    const int y = b.AddOutput("y", schema::TensorType_INT8, {1, 5, 5, 33}, PerTensor(0.04f, 10));
    schema::Conv2DOptionsT o;
    o.padding = schema::Padding_VALID;
    o.stride_h = o.stride_w = 1;
    b.AddOperator(schema::BuiltinOperator_CONV_2D, {x, w}, {y}, Options(o));
    out.emplace_back("op_conv_int8_pointwise_33ch", b.Finish());
  }
  {
    // DEPTHWISE_CONV_2D int8, 20 channels (16-channel block + 4), 3x3 = 9
    // taps (odd: the last tap pair has a zero partner), SAME, dilation 2.
    ModelBuilder b;
    const int x = b.AddInput("x", schema::TensorType_INT8, {1, 6, 6, 20}, PerTensor(0.03f, 5));
    const int w = b.AddConstant("w", schema::TensorType_INT8, {1, 3, 3, 20},
                                RandomInt8(9 * 20, rng), PerChannel(20, 3, rng));
    const int bias = b.AddConstant("b", schema::TensorType_INT32, {20}, RandomBias(20, rng),
                                   PerChannel(20, 0, rng));
    const int y = b.AddOutput("y", schema::TensorType_INT8, {1, 6, 6, 20}, PerTensor(0.02f, 3));
    schema::DepthwiseConv2DOptionsT o;
    o.padding = schema::Padding_SAME;
    o.stride_h = o.stride_w = 1;
    o.dilation_h_factor = o.dilation_w_factor = 2;
    o.depth_multiplier = 1;
    o.fused_activation_function = schema::ActivationFunctionType_RELU;
    b.AddOperator(schema::BuiltinOperator_DEPTHWISE_CONV_2D, {x, w, bias}, {y}, Options(o));
    out.emplace_back("op_depthwise_int8_20ch", b.Finish());
  }
  {
    // DEPTHWISE_CONV_2D float, 20 channels (8-lane vectors + 4).
    ModelBuilder b;
    const int x = b.AddInput("x", schema::TensorType_FLOAT32, {1, 5, 5, 20});
    std::vector<float> wf(9 * 20), bf(20);
    std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
    for (auto& v : wf) v = dist(rng);
    for (auto& v : bf) v = dist(rng);
    const int w = b.AddConstant("w", schema::TensorType_FLOAT32, {1, 3, 3, 20}, wf);
    const int bias = b.AddConstant("b", schema::TensorType_FLOAT32, {20}, bf);
    const int y = b.AddOutput("y", schema::TensorType_FLOAT32, {1, 3, 3, 20});
    schema::DepthwiseConv2DOptionsT o;
    o.padding = schema::Padding_SAME;
    o.stride_h = o.stride_w = 2;
    o.depth_multiplier = 1;
    b.AddOperator(schema::BuiltinOperator_DEPTHWISE_CONV_2D, {x, w, bias}, {y}, Options(o));
    out.emplace_back("op_depthwise_float_20ch", b.Finish());
  }
  for (const bool is_int8 : {true, false}) {
    // MAX_POOL_2D, 35 channels: a 32-lane int8 block (8-lane float) + tail.
    ModelBuilder b;
    const auto type = is_int8 ? schema::TensorType_INT8 : schema::TensorType_FLOAT32;
    const testing::Quant q = is_int8 ? PerTensor(0.03f, 5) : testing::Quant{};
    const int x = b.AddInput("x", type, {1, 5, 5, 35}, q);
    const int y = b.AddOutput("y", type, {1, 3, 3, 35}, q);
    schema::Pool2DOptionsT o;
    o.padding = schema::Padding_SAME;
    o.stride_h = o.stride_w = 2;
    o.filter_height = o.filter_width = 3;
    o.fused_activation_function = schema::ActivationFunctionType_RELU6;
    b.AddOperator(schema::BuiltinOperator_MAX_POOL_2D, {x}, {y}, Options(o));
    out.emplace_back(is_int8 ? "op_max_pool_int8_35ch" : "op_max_pool_float_35ch", b.Finish());
  }
  {
    // FULLY_CONNECTED int8, 8 rows (a 6-row tile + 2), 13 features (odd),
    // 18 units (panel + 2), per-channel weights.
    ModelBuilder b;
    const int x = b.AddInput("x", schema::TensorType_INT8, {8, 13}, PerTensor(0.03f, -7));
    const int w = b.AddConstant("w", schema::TensorType_INT8, {18, 13}, RandomInt8(18 * 13, rng),
                                PerChannel(18, 0, rng));
    const int bias = b.AddConstant("b", schema::TensorType_INT32, {18}, RandomBias(18, rng),
                                   PerChannel(18, 0, rng));
    const int y = b.AddOutput("y", schema::TensorType_INT8, {8, 18}, PerTensor(0.05f, 4));
    schema::FullyConnectedOptionsT o;
    o.fused_activation_function = schema::ActivationFunctionType_RELU;
    b.AddOperator(schema::BuiltinOperator_FULLY_CONNECTED, {x, w, bias}, {y}, Options(o));
    out.emplace_back("op_fully_connected_int8_8rows", b.Finish());
  }
  for (const bool asymmetric : {false, true}) {
    // Hybrid FULLY_CONNECTED (float input, int8 weights), 7 rows, 11
    // features, 17 units; symmetric and asymmetric input quantization.
    ModelBuilder b;
    const int x = b.AddInput("x", schema::TensorType_FLOAT32, {7, 11});
    const int w = b.AddConstant("w", schema::TensorType_INT8, {17, 11}, RandomInt8(17 * 11, rng),
                                asymmetric ? PerChannel(17, 0, rng) : PerTensor(0.01f, 0));
    const int bias =
        b.AddConstant("b", schema::TensorType_FLOAT32, {17}, std::vector<float>(17, 0.25f));
    const int y = b.AddOutput("y", schema::TensorType_FLOAT32, {7, 17});
    schema::FullyConnectedOptionsT o;
    o.asymmetric_quantize_inputs = asymmetric;
    b.AddOperator(schema::BuiltinOperator_FULLY_CONNECTED, {x, w, bias}, {y}, Options(o));
    out.emplace_back(
        asymmetric ? "op_fully_connected_hybrid_asymmetric" : "op_fully_connected_hybrid",
        b.Finish());
  }
  return out;
}

// Hand-built single-op models (paths the converter does not write).
std::vector<std::pair<std::string, std::string>> HandBuiltModels() {
  std::vector<std::pair<std::string, std::string>> out;
  {
    ModelBuilder b;
    const int x = b.AddInput("x", schema::TensorType_FLOAT32, {2, 12});
    const int shape =
        b.AddConstant("shape", schema::TensorType_INT32, {3}, std::vector<int32_t>{2, 3, 4});
    const int y = b.AddOutput("y", schema::TensorType_FLOAT32, {2, 3, 4});
    schema::ReshapeOptionsT o;
    o.new_shape = {2, 3, 4};
    b.AddOperator(schema::BuiltinOperator_RESHAPE, {x, shape}, {y}, Options(o));
    out.emplace_back("op_reshape_shape_tensor", b.Finish());
  }
  {
    ModelBuilder b;
    const int x = b.AddInput("x", schema::TensorType_INT8, {2, 16}, PerTensor(0.04f, 3));
    const int y = b.AddOutput("y", schema::TensorType_INT8, {2, 16}, PerTensor(1.0f / 256, -128));
    schema::SoftmaxOptionsT o;
    o.beta = 1.0f;
    b.AddOperator(schema::BuiltinOperator_SOFTMAX, {x}, {y}, Options(o));
    out.emplace_back("op_softmax_int8", b.Finish());
  }
  {
    ModelBuilder b;
    const int x = b.AddInput("x", schema::TensorType_FLOAT32, {2, 4});
    // 1.0, -2.0, 0.5, 0 as IEEE half.
    const int h = b.AddConstant("w_half", schema::TensorType_FLOAT16, {4},
                                std::vector<uint16_t>{0x3c00, 0xc000, 0x3800, 0x0000});
    const int f = b.AddTensor("w_float", schema::TensorType_FLOAT32, {4});
    const int y = b.AddOutput("y", schema::TensorType_FLOAT32, {2, 4});
    b.AddOperator(schema::BuiltinOperator_DEQUANTIZE, {h}, {f});
    b.AddOperator(schema::BuiltinOperator_ADD, {x, f}, {y}, Options(schema::AddOptionsT{}));
    out.emplace_back("op_dequantize_float16_add", b.Finish());
  }
  {
    ModelBuilder b;
    const int x0 = b.AddInput("x0", schema::TensorType_INT8, {1, 3, 3, 4}, PerTensor(0.03f, 5));
    const int x1 = b.AddInput("x1", schema::TensorType_INT8, {1, 1, 1, 4}, PerTensor(0.02f, -10));
    const int y = b.AddOutput("y", schema::TensorType_INT8, {1, 3, 3, 4}, PerTensor(0.04f, 2));
    b.AddOperator(schema::BuiltinOperator_ADD, {x0, x1}, {y}, Options(schema::AddOptionsT{}));
    out.emplace_back("op_add_int8_broadcast", b.Finish());
  }
  for (auto& m : VectorKernelModels()) out.push_back(std::move(m));
  return out;
}

// Loads `bytes` and invokes it once on zeroed inputs.
Status LoadsAndRuns(const std::string& name, const std::string& bytes) {
  ASSIGN_OR_RETURN(auto interp, Interpreter::FromBuffer(bytes, name));
  std::vector<uint8_t> zeros;
  for (int i = 0; i < interp->num_inputs(); ++i) {
    zeros.assign(interp->input(i).bytes, 0);
    RETURN_IF_ERROR(interp->SetInput(i, zeros.data(), zeros.size()));
  }
  return interp->Invoke();
}

Status WriteSeeds(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> models;
  struct Variant {
    const char* suffix;
    QuantizationMode mode;
    DType io;
  };
  const Variant variants[] = {{"float", QuantizationMode::kNone, DType::kFloat32},
                              {"dynamic", QuantizationMode::kDynamicRange, DType::kFloat32},
                              {"float16", QuantizationMode::kFloat16, DType::kFloat32},
                              {"int8", QuantizationMode::kFullInteger, DType::kFloat32},
                              {"int8_io", QuantizationMode::kFullInteger, DType::kInt8}};
  struct Base {
    const char* name;
    InferenceGraph graph;
    Shape sample_shape;
  };
  const Base bases[] = {{"mlp", MakeMlpGraph({16, 8, 4}, 1, /*softmax=*/true), {16}},
                        {"mlp3", MakeMlpGraph({12, 10, 6, 3}, 2), {12}},
                        {"cnn", MakeSmallCnnGraph(3), {6, 6, 2}}};
  for (const Base& base : bases) {
    for (const Variant& v : variants) {
      ConverterOptions options;
      options.quantization = v.mode;
      options.dynamic_range_min_elements = 1;  // quantize even these small weights
      if (v.mode == QuantizationMode::kFullInteger) {
        options.representative_dataset = RandomSamples(base.sample_shape, 16, 7);
        options.inference_input_type = v.io;
        options.inference_output_type = v.io;
      }
      auto bytes = ConvertToTFLite(base.graph, options);
      if (!bytes.ok()) return bytes.status().WithContext(std::string(base.name) + "_" + v.suffix);
      models.emplace_back(std::string(base.name) + "_" + v.suffix, *bytes);
    }
  }
  for (auto& m : HandBuiltModels()) models.push_back(std::move(m));
  for (const auto& [name, bytes] : models) {
    // A seed the interpreter refuses would only cover the loader, not the
    // kernel it was written for: every seed must load and run.
    RETURN_IF_ERROR(LoadsAndRuns(name, bytes));
    RETURN_IF_ERROR(fuzz::WriteSeed(dir, name + ".tflite", bytes));
  }
  return Status::OK();
}

}  // namespace
}  // namespace edgepipe::lite

namespace edgepipe::fuzz {
Status WriteTfliteLoaderSeeds(const std::string& dir) { return lite::WriteSeeds(dir); }
}  // namespace edgepipe::fuzz
