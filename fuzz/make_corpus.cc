// tflite_fuzz_corpus OUT_DIR: writes the seed corpus of tflite_loader_fuzzer,
// all made here from our own converter and model builder (nothing binary is
// committed): small MLPs and a small CNN-like DAG in float32, dynamic-range,
// float16 and full-integer int8 (float and int8 I/O), plus hand-built
// single-op models for the paths the converter never writes (a RESHAPE shape
// tensor, int8 SOFTMAX, float16 DEQUANTIZE, two-input ADD).
//
// Models are kept small (a few KB): libFuzzer mutates faster, and every op
// and quantization path is still present. Exit code 1 with a message on the
// first failure.
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "src/core/files.h"
#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/lite/converter.h"
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
  return out;
}

Status WriteCorpus(const std::string& dir) {
  RETURN_IF_ERROR(CreateDirectories(dir));
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
    const std::string path = JoinPath(dir, name + ".tflite");
    RETURN_IF_ERROR(WriteFileAtomic(path, bytes));
    std::printf("%s: %zu bytes\n", path.c_str(), bytes.size());
  }
  return Status::OK();
}

}  // namespace
}  // namespace edgepipe::lite

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const edgepipe::Status st = edgepipe::lite::WriteCorpus(argv[1]);
  if (!st.ok()) {
    std::fprintf(stderr, "tflite_fuzz_corpus: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
