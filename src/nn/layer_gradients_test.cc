// Finite-difference gradient checks through the layer CLASSES (shape
// inference, weight binding, cache/scratch sizes, Forward/Backward over the
// kernels), one or more per layer type, including BatchNormalization in
// training mode and the multi-input Add / Concatenate.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "src/nn/conv.h"
#include "src/nn/dense.h"
#include "src/nn/dropout.h"
#include "src/nn/normalization.h"
#include "src/nn/pooling.h"
#include "src/nn/relu.h"
#include "src/nn/reshaping.h"

namespace edgepipe::nn {
namespace {

std::vector<float> RandomVector(int64_t n, Rng& rng, float scale = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = (2.0f * rng.UniformFloat() - 1.0f) * scale;
  return v;
}

// Drives one layer outside a model: owns its inputs, weights, gradients,
// cache and scratch. Objective: L = sum(out * r).
class Harness {
 public:
  Harness(std::unique_ptr<Layer> layer, std::vector<Shape> in_shapes, int64_t batch,
          ThreadPool* pool = nullptr)
      : layer_(std::move(layer)), batch_(batch), pool_(pool ? pool : &DefaultThreadPool()) {
    Status s = layer_->Build(in_shapes);
    EXPECT_TRUE(s.ok()) << s.message();
    Rng rng(11);
    for (const Shape& shape : in_shapes)
      inputs_.push_back(RandomVector(batch * NumElements(shape), rng));
    const auto specs = layer_->WeightSpecs();
    for (size_t i = 0; i < specs.size(); ++i) {
      const int64_t n = NumElements(specs[i].shape);
      weights_.push_back(RandomVector(n, rng, 0.5f));
      if (specs[i].suffix == "moving_variance" || specs[i].suffix == "variance") {
        for (float& v : weights_.back()) v = 0.5f + std::fabs(v);
      }
      if (specs[i].suffix == "gamma") {
        for (float& v : weights_.back()) v += 1.0f;
      }
      grads_.emplace_back(static_cast<size_t>(n), 0.0f);
      trainable_.push_back(specs[i].trainable);
    }
    for (size_t i = 0; i < specs.size(); ++i) {
      layer_->BindWeight(i, weights_[i].data(), trainable_[i] ? grads_[i].data() : nullptr);
    }
    out_elems_ = batch * NumElements(layer_->output_shape());
    cache_.assign(static_cast<size_t>(layer_->CacheFloats(batch, true)) + 1, 0.0f);
    scratch_.assign(
        static_cast<size_t>(layer_->ScratchFloats(batch, true, pool_->num_threads())) + 1, 0.0f);
    r_ = RandomVector(out_elems_, rng);
  }

  std::vector<float> Forward(bool training) {
    std::vector<float> out(static_cast<size_t>(out_elems_));
    std::vector<const float*> in;
    for (auto& v : inputs_) in.push_back(v.data());
    Rng rng(99);  // same dropout mask every call
    LayerContext ctx{.batch = batch_,
                     .training = training,
                     .rng = &rng,
                     .cache = cache_.data(),
                     .scratch = scratch_.data(),
                     .pool = pool_};
    layer_->Forward(out.data(), in, ctx);
    return out;
  }

  double Objective() {
    const std::vector<float> out = Forward(/*training=*/true);
    double s = 0;
    for (size_t i = 0; i < out.size(); ++i) s += double{out[i]} * r_[i];
    return s;
  }

  // Analytic gradients of the objective: dins (one per input) and grads_.
  std::vector<std::vector<float>> Backward() {
    const std::vector<float> out = Forward(true);
    std::vector<std::vector<float>> dins;
    for (auto& v : inputs_) dins.emplace_back(v.size(), 0.0f);
    std::vector<float*> din_ptrs;
    for (auto& d : dins) din_ptrs.push_back(d.data());
    std::vector<const float*> in;
    for (auto& v : inputs_) in.push_back(v.data());
    for (auto& g : grads_) std::fill(g.begin(), g.end(), 0.0f);
    std::vector<float> dout = r_;
    LayerContext ctx{.batch = batch_,
                     .training = true,
                     .cache = cache_.data(),
                     .scratch = scratch_.data(),
                     .pool = pool_};
    layer_->Backward(din_ptrs, dout.data(), in, out.data(), ctx);
    return dins;
  }

  // Central differences over every input and trainable weight; returns the
  // fraction of coordinates that agree (kinks of relu-like functions may
  // make a few disagree; smooth layers must agree everywhere).
  double CheckAll(float eps = 1e-2f) {
    const std::vector<std::vector<float>> dins = Backward();
    int total = 0, good = 0;
    auto check = [&](std::vector<float>& x, const std::vector<float>& g) {
      for (size_t i = 0; i < x.size(); ++i) {
        const float saved = x[i];
        x[i] = saved + eps;
        const double plus = Objective();
        x[i] = saved - eps;
        const double minus = Objective();
        x[i] = saved;
        const double numeric = (plus - minus) / (2.0 * eps);
        ++total;
        if (std::fabs(g[i] - numeric) <= 3e-3 + 3e-3 * std::fabs(numeric)) {
          ++good;
        } else if (bad_printed_++ < 5) {
          ADD_FAILURE() << layer_->class_name() << ": gradient " << g[i] << " vs numeric "
                        << numeric << " at " << i << " (reported, counted)";
        }
      }
    };
    for (size_t k = 0; k < inputs_.size(); ++k) check(inputs_[k], dins[k]);
    for (size_t w = 0; w < weights_.size(); ++w) {
      if (trainable_[w]) check(weights_[w], grads_[w]);
    }
    return total == 0 ? 0.0 : static_cast<double>(good) / total;
  }

  // Allows up to `allowed` kink mismatches without failing the test.
  void ExpectGradientsMatch(double min_fraction = 1.0) {
    bad_printed_ = min_fraction < 1.0 ? 1000 : 0;  // kinked layers: count only
    EXPECT_GE(CheckAll(), min_fraction) << layer_->class_name();
  }

  Layer& layer() { return *layer_; }
  std::vector<std::vector<float>>& inputs() { return inputs_; }
  std::vector<std::vector<float>>& weights() { return weights_; }

 private:
  std::unique_ptr<Layer> layer_;
  int64_t batch_;
  ThreadPool* pool_;
  std::vector<std::vector<float>> inputs_, weights_, grads_;
  std::vector<bool> trainable_;
  std::vector<float> cache_, scratch_, r_;
  int64_t out_elems_ = 0;
  int bad_printed_ = 0;
};

TEST(LayerGradientTest, DenseWithEveryActivation) {
  for (Activation act :
       {Activation::kLinear, Activation::kSigmoid, Activation::kTanh, Activation::kSoftmax}) {
    Harness h(std::make_unique<Dense>(4, act), {{5}}, 3);
    h.ExpectGradientsMatch();
  }
  for (Activation act : {Activation::kRelu, Activation::kRelu6, Activation::kHardSwish}) {
    Harness h(std::make_unique<Dense>(4, act), {{5}}, 3);
    h.ExpectGradientsMatch(0.9);
  }
}

TEST(LayerGradientTest, DenseOnRank3InputWithoutBias) {
  Harness h(std::make_unique<Dense>(DenseOptions{.units = 3, .use_bias = false}), {{2, 4}}, 2);
  EXPECT_EQ(h.layer().output_shape(), (Shape{2, 3}));
  EXPECT_EQ(h.layer().WeightSpecs().size(), 1u);
  h.ExpectGradientsMatch();
}

TEST(LayerGradientTest, Conv2DValidSameStridedDilated) {
  Harness valid(std::make_unique<Conv2D>(Conv2DOptions{.filters = 3, .kernel_size = {3, 3}}),
                {{6, 5, 2}}, 2);
  EXPECT_EQ(valid.layer().output_shape(), (Shape{4, 3, 3}));
  valid.ExpectGradientsMatch();
  Harness same(std::make_unique<Conv2D>(Conv2DOptions{.filters = 2,
                                                      .kernel_size = {3, 2},
                                                      .strides = {2, 2},
                                                      .padding = "same",
                                                      .activation = Activation::kTanh}),
               {{5, 6, 3}}, 2);
  EXPECT_EQ(same.layer().output_shape(), (Shape{3, 3, 2}));
  same.ExpectGradientsMatch();
  Harness dilated(std::make_unique<Conv2D>(Conv2DOptions{.filters = 2,
                                                         .kernel_size = {2, 2},
                                                         .dilation_rate = {2, 2},
                                                         .activation = Activation::kHardSwish}),
                  {{5, 5, 2}}, 2);
  dilated.ExpectGradientsMatch(0.95);
}

TEST(LayerGradientTest, DepthwiseConv2D) {
  Harness h(std::make_unique<DepthwiseConv2D>(DepthwiseConv2DOptions{
                .kernel_size = {3, 3}, .padding = "same", .depth_multiplier = 2}),
            {{4, 5, 3}}, 2);
  EXPECT_EQ(h.layer().output_shape(), (Shape{4, 5, 6}));
  EXPECT_EQ(h.layer().WeightSpecs()[0].suffix, "depthwise_kernel");
  EXPECT_EQ(h.layer().WeightSpecs()[0].shape, (Shape{3, 3, 3, 2}));
  h.ExpectGradientsMatch();
}

TEST(LayerGradientTest, Pooling) {
  Harness max(std::make_unique<MaxPooling2D>(), {{4, 6, 2}}, 2);
  EXPECT_EQ(max.layer().output_shape(), (Shape{2, 3, 2}));
  max.ExpectGradientsMatch(0.97);
  Harness avg(std::make_unique<AveragePooling2D>(
                  Pooling2DOptions{.pool_size = {3, 3}, .strides = {2, 2}, .padding = "same"}),
              {{5, 5, 2}}, 2);
  EXPECT_EQ(avg.layer().output_shape(), (Shape{3, 3, 2}));
  avg.ExpectGradientsMatch();
  Harness gap(std::make_unique<GlobalAveragePooling2D>(), {{3, 4, 5}}, 2);
  EXPECT_EQ(gap.layer().output_shape(), (Shape{5}));
  gap.ExpectGradientsMatch();
}

TEST(LayerGradientTest, BatchNormalizationTrainingMode) {
  Harness h(std::make_unique<BatchNormalization>(), {{2, 3, 4}}, 3);
  const auto specs = h.layer().WeightSpecs();
  ASSERT_EQ(specs.size(), 4u);
  EXPECT_EQ(specs[2].suffix, "moving_mean");
  EXPECT_FALSE(specs[2].trainable);
  EXPECT_FALSE(specs[3].trainable);
  h.ExpectGradientsMatch();
}

TEST(LayerGradientTest, BatchNormalizationInferenceUsesMovingStatistics) {
  Harness h(std::make_unique<BatchNormalization>(), {{3}}, 2);
  // gamma, beta, moving_mean, moving_variance
  h.weights()[0] = {1, 2, 3};
  h.weights()[1] = {0, 1, 0};
  h.weights()[2] = {1, 1, 1};
  h.weights()[3] = {4, 1, 0.25};
  h.inputs()[0] = {3, 3, 3, 1, 1, 1};
  const std::vector<float> out = h.Forward(false);
  const float e = 1e-3f;
  EXPECT_NEAR(out[0], 1 * 2 / std::sqrt(4 + e), 1e-6);
  EXPECT_NEAR(out[1], 2 * 2 / std::sqrt(1 + e) + 1, 1e-6);
  EXPECT_NEAR(out[2], 3 * 2 / std::sqrt(0.25f + e), 1e-5);
  EXPECT_NEAR(out[3], 0.0f, 1e-6);
}

TEST(LayerGradientTest, ShapeLayers) {
  Harness flat(std::make_unique<Flatten>(), {{2, 3, 2}}, 2);
  EXPECT_EQ(flat.layer().output_shape(), (Shape{12}));
  flat.ExpectGradientsMatch();
  Harness reshape(std::make_unique<Reshape>(Shape{-1, 4}), {{2, 6}}, 2);
  EXPECT_EQ(reshape.layer().output_shape(), (Shape{3, 4}));
  reshape.ExpectGradientsMatch();
  Harness pad(std::make_unique<ZeroPadding2D>(std::array<int64_t, 4>{1, 0, 2, 1}), {{2, 3, 2}}, 2);
  EXPECT_EQ(pad.layer().output_shape(), (Shape{3, 6, 2}));
  pad.ExpectGradientsMatch();
}

TEST(LayerGradientTest, RescalingNormalizationActivationDropout) {
  Harness rescale(std::make_unique<Rescaling>(1.0f / 255, -0.5f), {{4}}, 2);
  rescale.ExpectGradientsMatch();
  Harness norm(std::make_unique<Normalization>(), {{2, 3}}, 2);
  norm.ExpectGradientsMatch();
  for (Activation act : {Activation::kSigmoid, Activation::kTanh, Activation::kSoftmax}) {
    Harness a(std::make_unique<ActivationLayer>(act), {{2, 5}}, 2);
    a.ExpectGradientsMatch();
  }
  Harness relu6(std::make_unique<ReLU>(6.0f), {{10}}, 3);
  relu6.ExpectGradientsMatch(0.9);
  Harness dropout(std::make_unique<Dropout>(0.5f), {{10}}, 3);
  dropout.ExpectGradientsMatch();
}

TEST(LayerGradientTest, AddAndConcatenateBranches) {
  Harness add(std::make_unique<Add>(), {{2, 3}, {2, 3}, {2, 3}}, 2);
  add.ExpectGradientsMatch();
  Harness cat(std::make_unique<Concatenate>(), {{2, 3}, {2, 1}}, 2);
  EXPECT_EQ(cat.layer().output_shape(), (Shape{2, 4}));
  cat.ExpectGradientsMatch();
}

TEST(LayerShapeTest, MismatchesAreInvalidArgument) {
  Add add;
  EXPECT_EQ(add.Build({{2, 3}, {3, 2}}).code(), Status::Code::kInvalidArgument);
  Conv2D conv(Conv2DOptions{.filters = 2, .kernel_size = {5, 5}});
  const Status s = conv.Build({{3, 3, 1}});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  Conv2D flat_input(Conv2DOptions{.filters = 2});
  EXPECT_EQ(flat_input.Build({{9}}).code(), Status::Code::kInvalidArgument);
  Reshape reshape(Shape{5});
  EXPECT_EQ(reshape.Build({{2, 3}}).code(), Status::Code::kInvalidArgument);
  ReLU bad(3.0f);
  EXPECT_EQ(bad.Build({{2}}).code(), Status::Code::kInvalidArgument);
}

TEST(InitializerTest, GlorotUniformLimitAndKerasFans) {
  Rng rng(5);
  std::vector<float> w(784 * 64);
  Initialize(w.data(), {784, 64}, Initializer{}, rng);
  const float limit = std::sqrt(6.0f / (784 + 64));
  double sum_sq = 0;
  for (float v : w) {
    ASSERT_LE(std::fabs(v), limit);
    sum_sq += double{v} * v;
  }
  EXPECT_NEAR(sum_sq / w.size(), limit * limit / 3.0, 0.05 * limit * limit / 3.0);
  // he_normal on a conv kernel: fan_in = 3*3*16, truncated at 2 stddev.
  std::vector<float> k(3 * 3 * 16 * 32);
  Initialize(k.data(), {3, 3, 16, 32}, Initializer{Initializer::Kind::kHeNormal}, rng);
  const double stddev = std::sqrt(2.0 / (3 * 3 * 16));
  double var = 0;
  for (float v : k) {
    ASSERT_LE(std::fabs(v), 2 * stddev / 0.87962566103423978 + 1e-6);
    var += double{v} * v;
  }
  EXPECT_NEAR(std::sqrt(var / k.size()), stddev, 0.05 * stddev);
  std::vector<float> ones(4), zeros(4, 9.0f);
  Initialize(ones.data(), {4}, Initializer::Ones(), rng);
  Initialize(zeros.data(), {4}, Initializer::Zeros(), rng);
  EXPECT_EQ(ones, std::vector<float>(4, 1.0f));
  EXPECT_EQ(zeros, std::vector<float>(4, 0.0f));
}

}  // namespace
}  // namespace edgepipe::nn
