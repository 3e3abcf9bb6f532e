// The per-op converter structure (converter_ops/): the registry covers every
// InferenceOp alternative, and the repository's example models (the TFX
// MNIST MLP, the Fashion-MNIST CNN, the 4-input penguin model and the
// MobileNet-style block, as bench/make_bench_models builds them) convert
// deterministically, with every emitted operator known to some op's rule,
// and run in our interpreter as the converter's own float evaluation
// (RunLoweredGraph, the ops' EvalFloat) predicts: float within 1e-5, int8
// within a tenth of the output's range on calibrated inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "src/lite/converter.h"
#include "src/lite/converter_graph.h"
#include "src/lite/converter_ops/converter_op.h"
#include "src/lite/interpreter.h"
#include "src/lite/schema/schema_generated.h"
#include "src/lite/test_models.h"
#include "src/nn/conv.h"
#include "src/nn/model.h"
#include "src/nn/normalization.h"
#include "src/nn/pooling.h"
#include "src/nn/reshaping.h"

namespace edgepipe::lite {
namespace {

using testing::RandomTensor;

TEST(ConverterOpRegistryTest, EveryAlternativeHasItsOwnRule) {
  const auto& rules = AllRules();
  ASSERT_EQ(rules.size(), std::variant_size_v<InferenceOp>);
  std::set<const ConverterOp*> distinct(rules.begin(), rules.end());
  EXPECT_EQ(distinct.size(), rules.size());
  std::set<std::string> kinds;
  for (const ConverterOp* r : rules) EXPECT_TRUE(kinds.insert(r->kind()).second) << r->kind();
  // RuleOf dispatches on the alternative; OpKindName reads the rule.
  const InferenceOp pad = PadOp{"p", {{0, 0}, {1, 1}}};
  EXPECT_EQ(&RuleOf(pad), rules[pad.index()]);
  EXPECT_STREQ(OpKindName(pad), "Pad");
  EXPECT_STREQ(OpKindName(InferenceOp(DenseOp{"d"})), "Dense");
}

std::unique_ptr<nn::Sequential> FashionCnn() {
  auto m = std::make_unique<nn::Sequential>("fashion_cnn");
  auto add = [&](std::unique_ptr<nn::Layer> l) { EXPECT_TRUE(m->Add(std::move(l)).ok()); };
  add(std::make_unique<nn::Conv2D>(nn::Conv2DOptions{
      .filters = 32, .kernel_size = {3, 3}, .activation = nn::Activation::kRelu}));
  add(std::make_unique<nn::MaxPooling2D>());
  add(std::make_unique<nn::Conv2D>(nn::Conv2DOptions{
      .filters = 64, .kernel_size = {3, 3}, .activation = nn::Activation::kRelu}));
  add(std::make_unique<nn::MaxPooling2D>());
  add(std::make_unique<nn::Flatten>());
  add(std::make_unique<nn::Dense>(128, nn::Activation::kRelu));
  add(std::make_unique<nn::Dense>(10));
  m->set_input_name("image");
  EXPECT_TRUE(m->Build(Shape{28, 28, 1}, 42).ok());
  return m;
}

std::unique_ptr<nn::Sequential> MobileNetStyle() {
  auto m = std::make_unique<nn::Sequential>("mobilenet_style");
  auto add = [&](std::unique_ptr<nn::Layer> l) { EXPECT_TRUE(m->Add(std::move(l)).ok()); };
  add(std::make_unique<nn::Conv2D>(nn::Conv2DOptions{.filters = 16,
                                                     .kernel_size = {3, 3},
                                                     .strides = {2, 2},
                                                     .padding = "same",
                                                     .use_bias = false}));
  add(std::make_unique<nn::BatchNormalization>());
  add(std::make_unique<nn::ReLU>(6.0f));
  for (int filters : {32, 64}) {
    add(std::make_unique<nn::DepthwiseConv2D>(
        nn::DepthwiseConv2DOptions{.kernel_size = {3, 3},
                                   .strides = {filters == 32 ? 1 : 2, filters == 32 ? 1 : 2},
                                   .padding = "same",
                                   .use_bias = false}));
    add(std::make_unique<nn::BatchNormalization>());
    add(std::make_unique<nn::ReLU>(6.0f));
    add(std::make_unique<nn::Conv2D>(
        nn::Conv2DOptions{.filters = filters, .kernel_size = {1, 1}, .use_bias = false}));
    add(std::make_unique<nn::BatchNormalization>());
    add(std::make_unique<nn::ReLU>(6.0f));
  }
  add(std::make_unique<nn::GlobalAveragePooling2D>());
  add(std::make_unique<nn::Dense>(10));
  m->set_input_name("image");
  EXPECT_TRUE(m->Build(Shape{28, 28, 1}, 7).ok());
  return m;
}

// TFX's penguin model: four scalar features, Concatenate, Normalization
// (SUB mean, MUL 1/std), Dense 8 relu, Dense 8 relu, Dense 3.
InferenceGraph Penguin() {
  std::mt19937 rng(11);
  InferenceGraph g;
  g.model_name = "penguin";
  std::vector<std::string> names;
  for (const char* f :
       {"culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"}) {
    g.inputs.push_back({f, {-1, 1}});
    names.push_back(f);
  }
  g.ops.push_back(ConcatOp{"concatenate", -1, names});
  g.ops.push_back(BinaryOp{"normalization/sub", BinaryKind::kSub, RandomTensor({4}, rng, 1.0f)});
  g.ops.push_back(BinaryOp{"normalization", BinaryKind::kMul, RandomTensor({4}, rng, 1.0f)});
  int64_t in = 4;
  for (int64_t units : {8, 8, 3}) {
    DenseOp d{"dense_" + std::to_string(g.ops.size()), RandomTensor({in, units}, rng, 0.5f),
              RandomTensor({units}, rng, 0.1f),
              units == 3 ? FusedActivation::kNone : FusedActivation::kRelu};
    g.ops.push_back(std::move(d));
    in = units;
  }
  return g;
}

struct Example {
  std::string name;
  InferenceGraph graph;
};

std::vector<Example> Examples() {
  std::vector<Example> out;
  out.push_back({"mnist_mlp", testing::MakeMlpGraph({784, 64, 64, 10}, 5)});
  auto cnn = InferenceGraphFromModel(*FashionCnn());
  EXPECT_TRUE(cnn.ok()) << cnn.status().ToString();
  if (cnn.ok()) out.push_back({"fashion_cnn", *cnn});
  out.push_back({"penguin", Penguin()});
  auto mobilenet = InferenceGraphFromModel(*MobileNetStyle());
  EXPECT_TRUE(mobilenet.ok()) << mobilenet.status().ToString();
  if (mobilenet.ok()) out.push_back({"mobilenet", *mobilenet});
  return out;
}

// Seeded samples, one tensor per graph input, batch 1.
std::vector<std::vector<Tensor>> Samples(const LoweredGraph& g, int count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<Tensor>> out(static_cast<size_t>(count));
  for (auto& sample : out) {
    for (int v : g.inputs) {
      Shape s = g.values[static_cast<size_t>(v)].shape;
      s[0] = 1;
      sample.push_back(RandomTensor(s, rng, 1.0f));
    }
  }
  return out;
}

class ExampleModelTest : public ::testing::TestWithParam<QuantizationMode> {};

TEST_P(ExampleModelTest, ConvertsDeterministicallyAndRunsAsItsFloatEvaluation) {
  const QuantizationMode mode = GetParam();
  for (const Example& ex : Examples()) {
    SCOPED_TRACE(ex.name);
    auto lowered = LowerGraph(ex.graph);
    ASSERT_TRUE(lowered.ok()) << lowered.status().ToString();
    const auto calibration = Samples(*lowered, 16, 3);
    auto options = [&] {
      ConverterOptions o;
      o.quantization = mode;
      if (mode == QuantizationMode::kFullInteger) {
        auto next = std::make_shared<size_t>(0);
        o.representative_dataset =
            [next, &calibration]() -> StatusOr<std::optional<std::vector<Tensor>>> {
          if (*next == calibration.size()) return std::optional<std::vector<Tensor>>();
          return std::optional<std::vector<Tensor>>(calibration[(*next)++]);
        };
      }
      return o;
    };
    auto first = ConvertToTFLite(ex.graph, options());
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    auto second = ConvertToTFLite(ex.graph, options());
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(*first, *second) << "two conversions of one graph differ";

    // Every operator the rules wrote has a runtime-version row (the rule that
    // emits an operator also declares it), except the I/O QUANTIZE/DEQUANTIZE.
    std::set<int> declared = {schema::BuiltinOperator_QUANTIZE, schema::BuiltinOperator_DEQUANTIZE};
    for (const ConverterOp* r : AllRules()) {
      for (const RuntimeVersionRow& row : r->runtime_versions()) declared.insert(row.builtin_op);
    }
    const schema::Model* m = schema::GetModel(first->data());
    for (const auto* code : *m->operator_codes()) {
      EXPECT_TRUE(declared.count(code->builtin_code()))
          << schema::EnumNameBuiltinOperator(code->builtin_code());
    }

    auto interp = Interpreter::FromBuffer(*first, ex.name + ".tflite");
    ASSERT_TRUE(interp.ok()) << interp.status().ToString();
    // The calibration samples themselves: int8 ranges cover them, so the
    // comparison measures quantization, not clipping of unseen inputs.
    for (int n = 0; n < 4; ++n) {
      const std::vector<Tensor>& sample = calibration[static_cast<size_t>(n)];
      auto expected = RunLoweredGraph(*lowered, sample);
      ASSERT_TRUE(expected.ok()) << expected.status().ToString();
      for (size_t i = 0; i < sample.size(); ++i) {
        ASSERT_TRUE((*interp)->SetInput(static_cast<int>(i), sample[i]).ok());
      }
      ASSERT_TRUE((*interp)->Invoke().ok());
      auto got = (*interp)->CopyOutput(0);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      const Tensor& want = (*expected)[0];
      ASSERT_EQ(got->shape(), want.shape());
      float range = 0;
      for (int64_t k = 0; k < want.num_elements(); ++k) {
        range = std::max(range, std::abs(want.data<float>()[k]));
      }
      for (int64_t k = 0; k < want.num_elements(); ++k) {
        const float w = want.data<float>()[k], g = got->data<float>()[k];
        // Float: summation order only. float16 weights: 2^-11 relative per
        // weight. Dynamic range and int8: quantization of weights (and, int8,
        // activations) — a few percent of the output's range.
        const float tol = mode == QuantizationMode::kNone      ? 1e-5f * std::abs(w) + 1e-5f
                          : mode == QuantizationMode::kFloat16 ? 5e-3f * range + 1e-4f
                                                               : 0.1f * range + 1e-3f;
        EXPECT_NEAR(g, w, tol) << "output element " << k;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, ExampleModelTest,
                         ::testing::Values(QuantizationMode::kNone, QuantizationMode::kFloat16,
                                           QuantizationMode::kDynamicRange,
                                           QuantizationMode::kFullInteger),
                         [](const ::testing::TestParamInfo<QuantizationMode>& info) {
                           return std::string(QuantizationModeName(info.param));
                         });

}  // namespace
}  // namespace edgepipe::lite
