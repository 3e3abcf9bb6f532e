// RandomTranslation: the sampling against Keras's documented fill-mode
// patterns and plain index arithmetic, Backward as the exact transpose of
// Forward, identity at inference, reproducible draws, and its place in a
// model (Fit, Predict, and SaveModel, which leaves it out).
#include "src/nn/augmentation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "src/nn/dense.h"
#include "src/nn/model.h"
#include "src/nn/reshaping.h"
#include "src/nn/saving.h"

namespace edgepipe::nn {
namespace {

std::vector<float> RandomVector(int64_t n, Rng& rng) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = 2.0f * rng.UniformFloat() - 1.0f;
  return v;
}

// One row (H = 1, C = 1) of four pixels a b c d = 1 2 3 4, moved by dx.
std::vector<float> ShiftRow(float dx, FillMode mode, Interpolation interp = Interpolation::kNearest,
                            float fill_value = 0.0f) {
  const std::vector<float> row = {1, 2, 3, 4};
  const float shifts[2] = {0.0f, dx};
  std::vector<float> out(4);
  TranslateImagesForward(out.data(), row.data(), shifts, 1, 1, 4, 1,
                         {.fill_mode = mode, .interpolation = interp, .fill_value = fill_value});
  return out;
}

using V = std::vector<float>;

// Keras's documentation of fill_mode, "abcd" read beyond its left edge
// (dx = 4: output x reads source x - 4, i.e. -4..-1).
TEST(TranslateImagesTest, FillModesReadBeyondTheEdgeAsKerasDocuments) {
  EXPECT_EQ(ShiftRow(4, FillMode::kReflect), (V{4, 3, 2, 1}));  // d c b a | a b c d
  EXPECT_EQ(ShiftRow(4, FillMode::kWrap), (V{1, 2, 3, 4}));     // a b c d | a b c d
  EXPECT_EQ(ShiftRow(4, FillMode::kNearest), (V{1, 1, 1, 1}));  // a a a a | a b c d
  EXPECT_EQ(ShiftRow(4, FillMode::kConstant, Interpolation::kNearest, 9.0f), (V{9, 9, 9, 9}));
  // dx = -2: sources 2..5, past the right edge.
  EXPECT_EQ(ShiftRow(-2, FillMode::kReflect), (V{3, 4, 4, 3}));
  EXPECT_EQ(ShiftRow(-2, FillMode::kWrap), (V{3, 4, 1, 2}));
  EXPECT_EQ(ShiftRow(-2, FillMode::kNearest), (V{3, 4, 4, 4}));
  EXPECT_EQ(ShiftRow(-2, FillMode::kConstant, Interpolation::kNearest, -1.0f), (V{3, 4, -1, -1}));
  // Far beyond one period the pattern repeats (reflect: period 8, wrap: 4).
  EXPECT_EQ(ShiftRow(4 + 8, FillMode::kReflect), ShiftRow(4, FillMode::kReflect));
  EXPECT_EQ(ShiftRow(-2 - 8, FillMode::kReflect), ShiftRow(-2, FillMode::kReflect));
  EXPECT_EQ(ShiftRow(-2 - 4, FillMode::kWrap), ShiftRow(-2, FillMode::kWrap));
}

TEST(TranslateImagesTest, HalfPixelBilinearShiftAveragesNeighbours) {
  // dx = 0.5: output x reads x - 0.5, half of x - 1 and half of x; x = -1 is
  // the constant 10.
  EXPECT_EQ(ShiftRow(0.5f, FillMode::kConstant, Interpolation::kBilinear, 10.0f),
            (V{0.5f * 10 + 0.5f * 1, 1.5f, 2.5f, 3.5f}));
  // A whole-pixel shift under bilinear interpolation is an exact copy.
  EXPECT_EQ(ShiftRow(1, FillMode::kConstant, Interpolation::kBilinear),
            ShiftRow(1, FillMode::kConstant, Interpolation::kNearest));
}

// Whole-pixel shifts of a multi-channel batch against index arithmetic:
// out(b, y, x, c) = in(b, y - dy, x - dx, c), or fill_value outside.
TEST(TranslateImagesTest, IntegerShiftsMoveEveryChannelOfEveryImage) {
  const int64_t B = 2, H = 5, W = 6, C = 3;
  Rng rng(3);
  const std::vector<float> in = RandomVector(B * H * W * C, rng);
  const float shifts[4] = {2.0f, -1.0f, -3.0f, 4.0f};
  std::vector<float> out(in.size());
  const float fill = 0.25f;
  TranslateImagesForward(out.data(), in.data(), shifts, B, H, W, C,
                         {.fill_mode = FillMode::kConstant, .fill_value = fill});
  for (int64_t b = 0; b < B; ++b) {
    const int64_t dy = static_cast<int64_t>(shifts[2 * b]);
    const int64_t dx = static_cast<int64_t>(shifts[2 * b + 1]);
    for (int64_t y = 0; y < H; ++y) {
      for (int64_t x = 0; x < W; ++x) {
        for (int64_t c = 0; c < C; ++c) {
          const int64_t sy = y - dy, sx = x - dx;
          const bool inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
          const float want =
              inside ? in[static_cast<size_t>(((b * H + sy) * W + sx) * C + c)] : fill;
          ASSERT_FLOAT_EQ(out[static_cast<size_t>(((b * H + y) * W + x) * C + c)], want)
              << "b=" << b << " y=" << y << " x=" << x << " c=" << c;
        }
      }
    }
  }
}

// The map is linear in the input (fill_value 0), so Backward must be its
// adjoint: <dout, F(in)> == <B(dout), in> for any in and dout, for every
// fill mode and interpolation and fractional shifts of either sign.
TEST(TranslateImagesTest, BackwardIsTheTransposeOfForward) {
  const int64_t B = 3, H = 7, W = 5, C = 2, N = B * H * W * C;
  const float shifts[6] = {1.37f, -2.61f, -6.2f, 0.49f, 9.3f, 12.75f};
  for (FillMode mode :
       {FillMode::kReflect, FillMode::kWrap, FillMode::kNearest, FillMode::kConstant}) {
    for (Interpolation interp : {Interpolation::kBilinear, Interpolation::kNearest}) {
      Rng rng(11);
      const std::vector<float> in = RandomVector(N, rng), dout = RandomVector(N, rng);
      const TranslateParams p{.fill_mode = mode, .interpolation = interp};
      std::vector<float> out(N), din(N, 0.5f);  // Backward accumulates: start non-zero
      TranslateImagesForward(out.data(), in.data(), shifts, B, H, W, C, p);
      TranslateImagesBackward(din.data(), dout.data(), shifts, B, H, W, C, p);
      double lhs = 0, rhs = 0;
      for (int64_t i = 0; i < N; ++i) {
        lhs += static_cast<double>(dout[i]) * out[i];
        rhs += static_cast<double>(din[i] - 0.5f) * in[i];
      }
      EXPECT_NEAR(lhs, rhs, 1e-4 * (1 + std::abs(lhs)))
          << FillModeName(mode) << " " << InterpolationName(interp);
      EXPECT_GT(std::abs(lhs), 1e-3);  // the check is not vacuous
    }
  }
}

TEST(SampleTranslationsTest, DrawsStayInTheFactorRangeAndRepeatWithTheSeed) {
  const int64_t B = 500;
  std::vector<float> a(2 * B), b(2 * B), c(2 * B);
  Rng r1(42), r2(42), r3(43);
  SampleTranslations(a.data(), B, 28, 20, {-0.1f, 0.2f}, {0.0f, 0.5f}, r1);
  SampleTranslations(b.data(), B, 28, 20, {-0.1f, 0.2f}, {0.0f, 0.5f}, r2);
  SampleTranslations(c.data(), B, 28, 20, {-0.1f, 0.2f}, {0.0f, 0.5f}, r3);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  float min_dy = 1e9f, max_dy = -1e9f, min_dx = 1e9f, max_dx = -1e9f;
  for (int64_t i = 0; i < B; ++i) {
    min_dy = std::min(min_dy, a[2 * i]);
    max_dy = std::max(max_dy, a[2 * i]);
    min_dx = std::min(min_dx, a[2 * i + 1]);
    max_dx = std::max(max_dx, a[2 * i + 1]);
  }
  // [-0.1, 0.2) * 28 and [0, 0.5) * 20, and 500 draws come near both ends.
  EXPECT_GE(min_dy, -2.8f);
  EXPECT_LT(max_dy, 5.6f);
  EXPECT_LT(min_dy, -2.5f);
  EXPECT_GT(max_dy, 5.3f);
  EXPECT_GE(min_dx, 0.0f);
  EXPECT_LT(max_dx, 10.0f);
  EXPECT_GT(max_dx, 9.5f);
}

TEST(RandomTranslationTest, BuildChecksTheInputRankAndTheFactors) {
  RandomTranslation ok(0.1f, 0.2f);
  ASSERT_TRUE(ok.Build({{28, 28, 1}}).ok());
  EXPECT_EQ(ok.output_shape(), (Shape{28, 28, 1}));
  EXPECT_EQ(ok.class_name(), "RandomTranslation");

  RandomTranslation flat(0.1f, 0.1f);
  const Status s = flat.Build({{784}});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("(H, W, C)"), std::string::npos) << s.message();

  for (auto [lo, hi] : {std::pair{0.2f, 0.1f}, std::pair{-1.5f, 0.0f}, std::pair{0.0f, NAN}}) {
    RandomTranslation bad(RandomTranslationOptions{.height_factor = {lo, hi}});
    const Status b = bad.Build({{8, 8, 1}});
    EXPECT_EQ(b.code(), Status::Code::kInvalidArgument) << lo << " " << hi;
    EXPECT_NE(b.message().find("height_factor"), std::string::npos) << b.message();
  }
  EXPECT_TRUE(ParseFillMode("wrap").ok());
  EXPECT_EQ(ParseFillMode("mirror").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ParseInterpolation("bicubic").status().code(), Status::Code::kInvalidArgument);
}

// Runs the layer's Forward on a batch of (6, 6, 2) images.
std::vector<float> LayerForward(RandomTranslation& layer, const std::vector<float>& in,
                                int64_t batch, bool training, Rng* rng) {
  std::vector<float> out(in.size()), cache(static_cast<size_t>(2 * batch));
  const float* inputs[1] = {in.data()};
  layer.Forward(out.data(), inputs,
                {.batch = batch, .training = training, .rng = rng, .cache = cache.data()});
  return out;
}

TEST(RandomTranslationTest, IdentityAtInferenceAndRandomPerImageInTraining) {
  RandomTranslation layer(0.3f, 0.3f);
  ASSERT_TRUE(layer.Build({{6, 6, 2}}).ok());
  const int64_t B = 4;
  Rng data_rng(5);
  const std::vector<float> in = RandomVector(B * 72, data_rng);
  EXPECT_EQ(layer.CacheFloats(B, /*training=*/false), 0);
  EXPECT_EQ(LayerForward(layer, in, B, /*training=*/false, nullptr), in);

  Rng r1(9), r2(9), r3(10);
  const std::vector<float> a = LayerForward(layer, in, B, true, &r1);
  EXPECT_EQ(LayerForward(layer, in, B, true, &r2), a);  // same stream, same images
  EXPECT_NE(LayerForward(layer, in, B, true, &r3), a);
  // Each image moved by its own draw: no image is left as it was (a draw of
  // exactly (0, 0) has probability 0) and the images are not moved alike.
  int unchanged = 0;
  for (int64_t b = 0; b < B; ++b) {
    unchanged += std::equal(a.begin() + b * 72, a.begin() + (b + 1) * 72, in.begin() + b * 72);
  }
  EXPECT_EQ(unchanged, 0);
}

// A model whose first layer is RandomTranslation, and the same model without.
std::unique_ptr<Sequential> ImageModel(bool augment, uint64_t seed) {
  auto model = std::make_unique<Sequential>("digits");
  if (augment) {
    EXPECT_TRUE(model->Add(std::make_unique<RandomTranslation>(0.2f, 0.2f)).ok());
  }
  EXPECT_TRUE(model->Add(std::make_unique<Flatten>()).ok());
  EXPECT_TRUE(model->Add(std::make_unique<Dense>(3, Activation::kLinear, "out")).ok());
  EXPECT_TRUE(model->Build(Shape{6, 6, 1}, seed).ok());
  EXPECT_TRUE(model->Compile({.optimizer = Adam({.learning_rate = 0.05f})}).ok());
  return model;
}

Tensor RandomImages(int64_t n, uint64_t seed) {
  Tensor x(DType::kFloat32, {n, 6, 6, 1});
  Rng rng(seed);
  for (int64_t i = 0; i < n * 36; ++i) x.data<float>()[i] = rng.UniformFloat();
  return x;
}

Tensor Labels(int64_t n) {
  Tensor y(DType::kInt64, {n});
  for (int64_t i = 0; i < n; ++i) y.data<int64_t>()[i] = i % 3;
  return y;
}

std::vector<float> Kernel(const Model& model) {
  for (const auto& [name, t] : model.GetWeights()) {
    if (name == "out/kernel") return {t.data<float>(), t.data<float>() + t.num_elements()};
  }
  ADD_FAILURE() << "no out/kernel";
  return {};
}

TEST(RandomTranslationTest, PredictIgnoresItAndFitDrawsFromTheFitSeed) {
  const Tensor x = RandomImages(64, 1), y = Labels(64);
  auto plain = ImageModel(false, 7), augmented = ImageModel(true, 7);
  auto p0 = plain->Predict(x), p1 = augmented->Predict(x);
  ASSERT_TRUE(p0.ok() && p1.ok());
  ASSERT_EQ(p0->num_elements(), p1->num_elements());
  EXPECT_TRUE(
      std::equal(p0->data<float>(), p0->data<float>() + p0->num_elements(), p1->data<float>()));

  // No shuffling, so the Fit seed reaches the weights only through the
  // translations: the same seed trains the same weights, another seed other
  // weights, and training without the layer differs from both.
  auto fit = [&](Sequential& m, uint64_t seed) {
    ASSERT_TRUE(
        m.Fit(x, y, {.batch_size = 16, .epochs = 2, .seed = seed, .shuffle = false, .verbose = 0})
            .ok());
  };
  auto a = ImageModel(true, 7), b = ImageModel(true, 7), c = ImageModel(true, 7);
  fit(*a, 1);
  fit(*b, 1);
  fit(*c, 2);
  fit(*plain, 1);
  EXPECT_EQ(Kernel(*a), Kernel(*b));
  EXPECT_NE(Kernel(*a), Kernel(*c));
  EXPECT_NE(Kernel(*a), Kernel(*plain));
}

// The gradient reaches layers before it: a Dense → Reshape → RandomTranslation
// → Flatten → Dense chain trains its first Dense as well (its kernel moves
// and the training loss falls).
TEST(RandomTranslationTest, GradientFlowsThroughToEarlierLayers) {
  Sequential model("chain");
  ASSERT_TRUE(model.Add(std::make_unique<Dense>(36, Activation::kLinear, "first")).ok());
  ASSERT_TRUE(model.Add(std::make_unique<Reshape>(Shape{6, 6, 1})).ok());
  ASSERT_TRUE(model.Add(std::make_unique<RandomTranslation>(0.1f, 0.1f)).ok());
  ASSERT_TRUE(model.Add(std::make_unique<Flatten>()).ok());
  ASSERT_TRUE(model.Add(std::make_unique<Dense>(3)).ok());
  ASSERT_TRUE(model.Build(8, 3).ok());
  ASSERT_TRUE(model.Compile({.optimizer = Adam({.learning_rate = 0.01f})}).ok());
  Tensor x(DType::kFloat32, {60, 8});
  Rng rng(4);
  for (int64_t i = 0; i < 60 * 8; ++i) x.data<float>()[i] = rng.UniformFloat();
  const Tensor y = Labels(60);
  auto first_kernel = [&] {
    for (const auto& [name, t] : model.GetWeights()) {
      if (name == "first/kernel")
        return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements());
    }
    return std::vector<float>();
  };
  const std::vector<float> before = first_kernel();
  auto h = model.Fit(x, y, {.batch_size = 20, .epochs = 30, .seed = 1, .verbose = 0});
  ASSERT_TRUE(h.ok()) << h.status().message();
  const std::vector<float> after = first_kernel();
  ASSERT_EQ(before.size(), after.size());
  EXPECT_NE(before, after);
  EXPECT_LT(h->history.at("loss").back(), h->history.at("loss").front());
}

std::string TempDir(const std::string& name) {
  const std::string dir = std::string(EDGEPIPE_BINARY_DIR) + "/augmentation_test_" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

// TF.js's layers format has no RandomTranslation: SaveModel writes the
// inference model without it (the next layer takes batch_input_shape) and
// LoadModel reads back a model that predicts the same.
TEST(RandomTranslationTest, SaveModelLeavesItOutOfTheTfjsModel) {
  auto model = ImageModel(true, 7);
  const std::string dir = TempDir("sequential");
  ASSERT_TRUE(SaveModel(*model, dir).ok());
  const nlohmann::json layers = ReadJson(dir + "/model.json")["modelTopology"]["config"]["layers"];
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0]["class_name"], "Flatten");
  EXPECT_EQ(layers[0]["config"]["batch_input_shape"], nlohmann::json::parse("[null, 6, 6, 1]"));
  EXPECT_EQ(layers[1]["class_name"], "Dense");

  auto loaded = LoadModel(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ((*loaded)->layers().size(), 2u);
  const Tensor x = RandomImages(5, 2);
  auto want = model->Predict(x), got = (*loaded)->Predict(x);
  ASSERT_TRUE(want.ok() && got.ok());
  EXPECT_TRUE(std::equal(want->data<float>(), want->data<float>() + want->num_elements(),
                         got->data<float>()));

  // A model with nothing but training-only layers has nothing to save.
  Sequential only("only");
  ASSERT_TRUE(only.Add(std::make_unique<RandomTranslation>(0.1f, 0.1f)).ok());
  ASSERT_TRUE(only.Build(Shape{4, 4, 1}).ok());
  const Status s = SaveModel(only, TempDir("only"));
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("RandomTranslation"), std::string::npos) << s.message();
}

// Functional form: the layer after it reads the layer's input instead.
TEST(RandomTranslationTest, SaveModelRewiresAFunctionalModelAroundIt) {
  Model model("functional");
  auto image = model.Input({6, 6, 1}, "image").value();
  auto moved = model.Call(std::make_unique<RandomTranslation>(0.1f, 0.1f), image).value();
  auto flat = model.Call(std::make_unique<Flatten>(), moved).value();
  auto out = model.Call(std::make_unique<Dense>(2), flat).value();
  ASSERT_TRUE(model.Build({image}, {out}, 3).ok());
  const std::string dir = TempDir("functional");
  ASSERT_TRUE(SaveModel(model, dir).ok());
  const nlohmann::json layers = ReadJson(dir + "/model.json")["modelTopology"]["config"]["layers"];
  ASSERT_EQ(layers.size(), 3u);  // InputLayer, Flatten, Dense
  EXPECT_EQ(layers[1]["class_name"], "Flatten");
  EXPECT_EQ(layers[1]["inbound_nodes"][0][0][0], "image");

  auto loaded = LoadAnyModel(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const Tensor x = RandomImages(5, 2);
  auto want = model.Predict(x), got = (*loaded)->Predict(x);
  ASSERT_TRUE(want.ok() && got.ok());
  EXPECT_TRUE(std::equal(want->data<float>(), want->data<float>() + want->num_elements(),
                         got->data<float>()));
}

}  // namespace
}  // namespace edgepipe::nn
