// Functional API, losses, metrics, optimizers/schedules/clipping, callbacks,
// reproducibility and save/load of every layer type.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <memory>

#include "src/core/files.h"
#include "src/nn/conv.h"
#include "src/nn/model.h"
#include "src/nn/normalization.h"
#include "src/nn/pooling.h"
#include "src/nn/reshaping.h"
#include "src/nn/saving.h"

namespace edgepipe::nn {
namespace {

Tensor RandomTensor(Shape shape, uint64_t seed, float scale = 1.0f) {
  Tensor t(DType::kFloat32, shape);
  Rng rng(seed);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    t.data<float>()[i] = (2.0f * rng.UniformFloat() - 1.0f) * scale;
  }
  return t;
}

std::string TempDir(const std::string& name) {
  const std::string dir = std::string(EDGEPIPE_BINARY_DIR) + "/nn_functional_test/" +
                          std::to_string(::getpid()) + "/" + name;
  EXPECT_TRUE(RemoveAll(dir).ok());
  EXPECT_TRUE(CreateDirectories(dir).ok());
  return dir;
}

// Two inputs: image (6, 6, 2) → conv → BN → relu6 → residual add → GAP;
// side (3) → dense; concatenate → dense(3).
std::unique_ptr<Model> ResidualTwoInputModel(uint64_t seed) {
  auto m = std::make_unique<Model>("residual");
  auto image = m->Input({6, 6, 2}, "image").value();
  auto side = m->Input({3}, "side").value();
  auto x = m->Call(std::make_unique<Conv2D>(Conv2DOptions{.filters = 4, .padding = "same"}), image)
               .value();
  auto y = m->Call(std::make_unique<BatchNormalization>(), x).value();
  y = m->Call(std::make_unique<ReLU>(6.0f), y).value();
  y = m->Call(std::make_unique<DepthwiseConv2D>(DepthwiseConv2DOptions{.padding = "same"}), y)
          .value();
  auto sum = m->Call(std::make_unique<Add>(), {x, y}).value();
  auto pooled = m->Call(std::make_unique<GlobalAveragePooling2D>(), sum).value();
  auto s = m->Call(std::make_unique<Dense>(2, Activation::kTanh), side).value();
  auto cat = m->Call(std::make_unique<Concatenate>(), {pooled, s}).value();
  auto out = m->Call(std::make_unique<Dense>(3), cat).value();
  EXPECT_TRUE(m->Build({image, side}, {out}, seed).ok());
  return m;
}

TEST(FunctionalTest, BuildsNamesAndTrainsABranchingModel) {
  auto m = ResidualTwoInputModel(3);
  EXPECT_EQ(m->layers()[0]->name(), "conv2d");
  EXPECT_EQ(m->layers()[1]->name(), "batch_normalization");
  EXPECT_EQ(m->num_inputs(), 2u);
  EXPECT_EQ(m->output_shape(), (Shape{-1, 3}));
  ASSERT_TRUE(
      m->Compile({.optimizer = Adam({.learning_rate = 0.01f}), .metrics = {"accuracy"}}).ok());
  Tensor image = RandomTensor({32, 6, 6, 2}, 1), side = RandomTensor({32, 3}, 2);
  Tensor y(DType::kInt64, {32});
  for (int64_t i = 0; i < 32; ++i) y.data<int64_t>()[i] = side.data<float>()[i * 3] > 0 ? 1 : 2;
  auto before = m->Evaluate({&image, &side}, y);
  ASSERT_TRUE(before.ok()) << before.status().message();
  auto h = m->Fit({&image, &side}, y, {.batch_size = 8, .epochs = 20, .seed = 1, .verbose = 0});
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->history.at("accuracy").size(), 20u);
  auto after = m->Evaluate({&image, &side}, y);
  EXPECT_LT(after->loss, before->loss * 0.5);
  EXPECT_GT(after->metrics.at("accuracy"), 0.9);
}

TEST(FunctionalTest, ConstructionErrors) {
  Model m("bad");
  auto a = m.Input({4}).value();
  auto b = m.Input({5}).value();
  EXPECT_EQ(m.Call(std::make_unique<Add>(), {a, b}).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(m.Call(std::make_unique<Add>(), {a}).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(m.Call(std::make_unique<Dense>(2), SymbolicTensor{42}).status().code(),
            Status::Code::kInvalidArgument);
  auto d = m.Call(std::make_unique<Dense>(2, Activation::kLinear, "d"), a).value();
  EXPECT_EQ(m.Call(std::make_unique<Dense>(2, Activation::kLinear, "d"), a).status().code(),
            Status::Code::kInvalidArgument);
  // b is not listed as an input.
  EXPECT_EQ(m.Build({a}, {d}).code(), Status::Code::kInvalidArgument);
}

TEST(FunctionalTest, SaveLoadKeepsPredictionsAndWritesKeras2FunctionalJson) {
  auto m = ResidualTwoInputModel(5);
  ASSERT_TRUE(m->Compile({.optimizer = SGD({.learning_rate = 0.05f, .momentum = 0.9f})}).ok());
  Tensor image = RandomTensor({8, 6, 6, 2}, 3), side = RandomTensor({8, 3}, 4);
  Tensor y(DType::kInt64, {8});
  for (int64_t i = 0; i < 8; ++i) y.data<int64_t>()[i] = i % 3;
  // Training moves the BN moving statistics away from 0/1: they must be saved.
  ASSERT_TRUE(m->Fit({&image, &side}, y, {.batch_size = 4, .epochs = 2, .verbose = 0}).ok());
  const std::string dir = TempDir("residual");
  ASSERT_TRUE(SaveModel(*m, dir).ok());
  auto loaded = LoadAnyModel(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  auto p1 = m->Predict({&image, &side});
  auto p2 = (*loaded)->Predict({&image, &side});
  ASSERT_TRUE(p1.ok() && p2.ok());
  for (int64_t i = 0; i < p1->num_elements(); ++i) {
    EXPECT_EQ(p1->data<float>()[i], p2->data<float>()[i]) << i;
  }
  const auto json = nlohmann::json::parse(ReadFile(dir + "/model.json").value());
  const auto& topo = json["modelTopology"];
  EXPECT_EQ(topo["class_name"], "Functional");
  EXPECT_EQ(topo["config"]["input_layers"],
            nlohmann::json::parse(R"([["image",0,0],["side",0,0]])"));
  EXPECT_EQ(topo["config"]["output_layers"], nlohmann::json::parse(R"([["dense_1",0,0]])"));
  const auto& add = topo["config"]["layers"][6];
  EXPECT_EQ(add["name"], "add");
  EXPECT_EQ(add["inbound_nodes"],
            nlohmann::json::parse(R"([[["conv2d",0,0,{}],["depthwise_conv2d",0,0,{}]]])"));
  bool has_moving_mean = false;
  for (const auto& w : json["weightsManifest"][0]["weights"]) {
    has_moving_mean |= w["name"] == "batch_normalization/moving_mean";
  }
  EXPECT_TRUE(has_moving_mean);
  // LoadModel (Sequential only) refuses it with a clear error.
  auto seq = LoadModel(dir);
  EXPECT_EQ(seq.status().code(), Status::Code::kUnimplemented);
  EXPECT_NE(seq.status().message().find("LoadAnyModel"), std::string::npos);
}

TEST(FunctionalTest, LoaderNamesTheBadInboundNode) {
  auto m = ResidualTwoInputModel(5);
  const std::string dir = TempDir("bad_inbound");
  ASSERT_TRUE(SaveModel(*m, dir).ok());
  auto json = nlohmann::json::parse(ReadFile(dir + "/model.json").value());
  json["modelTopology"]["config"]["layers"][6]["inbound_nodes"][0][1][0] = "nowhere";
  ASSERT_TRUE(WriteFileAtomic(dir + "/model.json", json.dump()).ok());
  const Status s = LoadAnyModel(dir).status();
  EXPECT_EQ(s.message(), dir +
                             "/model.json: field "
                             "'modelTopology.config.layers[6].inbound_nodes[0][1]': expected a "
                             "layer defined earlier, got \"nowhere\"");
}

// Every layer type in a Sequential CNN: save → load → identical predictions.
TEST(SavingAllLayersTest, SequentialCnnRoundTrip) {
  Sequential m("cnn");
  ASSERT_TRUE(m.Add(std::make_unique<Rescaling>(0.5f, 0.1f)).ok());
  ASSERT_TRUE(m.Add(std::make_unique<Normalization>(std::vector<float>{0.1f, -0.2f},
                                                    std::vector<float>{2.0f, 0.5f}))
                  .ok());
  ASSERT_TRUE(m.Add(std::make_unique<ZeroPadding2D>(std::array<int64_t, 4>{1, 1, 0, 1})).ok());
  ASSERT_TRUE(m.Add(std::make_unique<Conv2D>(Conv2DOptions{
                        .filters = 3, .strides = {1, 2}, .activation = Activation::kHardSwish}))
                  .ok());
  ASSERT_TRUE(m.Add(std::make_unique<BatchNormalization>()).ok());
  ASSERT_TRUE(m.Add(std::make_unique<ActivationLayer>(Activation::kSigmoid)).ok());
  ASSERT_TRUE(m.Add(std::make_unique<DepthwiseConv2D>(
                        DepthwiseConv2DOptions{.kernel_size = {2, 2}, .depth_multiplier = 2}))
                  .ok());
  ASSERT_TRUE(m.Add(std::make_unique<MaxPooling2D>(Pooling2DOptions{.padding = "same"})).ok());
  ASSERT_TRUE(
      m.Add(std::make_unique<AveragePooling2D>(Pooling2DOptions{.pool_size = {1, 1}})).ok());
  ASSERT_TRUE(m.Add(std::make_unique<Reshape>(Shape{-1})).ok());
  ASSERT_TRUE(m.Add(std::make_unique<Dropout>(0.3f)).ok());
  ASSERT_TRUE(m.Add(std::make_unique<Dense>(4, Activation::kRelu6)).ok());
  ASSERT_TRUE(m.Add(std::make_unique<Flatten>()).ok());
  ASSERT_TRUE(m.Add(std::make_unique<Dense>(3, Activation::kSoftmax)).ok());
  ASSERT_TRUE(m.Build(Shape{7, 8, 2}, 9).ok());
  ASSERT_TRUE(m.Compile({.optimizer = AdamW(), .loss = SparseCategoricalCrossentropy(false)}).ok());
  Tensor x = RandomTensor({6, 7, 8, 2}, 7);
  Tensor y(DType::kInt32, {6});
  for (int i = 0; i < 6; ++i) y.data<int32_t>()[i] = i % 3;
  ASSERT_TRUE(m.Fit(x, y, {.batch_size = 3, .epochs = 2, .verbose = 0}).ok());
  const std::string dir = TempDir("cnn");
  ASSERT_TRUE(SaveModel(m, dir).ok());
  auto loaded = LoadModel(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ((*loaded)->layers().size(), m.layers().size());
  for (size_t i = 0; i < m.layers().size(); ++i) {
    EXPECT_EQ((*loaded)->layers()[i]->class_name(), m.layers()[i]->class_name());
  }
  auto p1 = m.Predict(x);
  auto p2 = (*loaded)->Predict(x);
  ASSERT_TRUE(p1.ok() && p2.ok());
  for (int64_t i = 0; i < p1->num_elements(); ++i)
    EXPECT_EQ(p1->data<float>()[i], p2->data<float>()[i]);
}

TEST(ReproducibilityTest, SameSeedSameWeightsWithTwoThreads) {
  auto train = [](int threads) {
    auto m = ResidualTwoInputModel(21);
    m->set_num_threads(threads);
    EXPECT_TRUE(m->Compile({.optimizer = Adam()}).ok());
    Tensor image = RandomTensor({16, 6, 6, 2}, 1), side = RandomTensor({16, 3}, 2);
    Tensor y(DType::kInt64, {16});
    for (int64_t i = 0; i < 16; ++i) y.data<int64_t>()[i] = i % 3;
    EXPECT_TRUE(
        m->Fit({&image, &side}, y, {.batch_size = 8, .epochs = 3, .seed = 4, .verbose = 0}).ok());
    return m->GetWeights();
  };
  const auto a = train(2), b = train(2);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].second.num_bytes(), b[i].second.num_bytes());
    EXPECT_EQ(std::memcmp(a[i].second.raw_data(), b[i].second.raw_data(), a[i].second.num_bytes()),
              0)
        << a[i].first;
  }
}

// ---- Losses (hand-computed) ---------------------------------------------------

double LossOf(const Loss& loss, std::vector<float> pred, std::vector<float> targets,
              std::vector<int64_t> labels, int64_t B, int64_t D) {
  std::vector<float> losses(B), probs(B * D);
  return LossForward(loss, losses.data(), probs.data(), pred.data(),
                     labels.empty() ? nullptr : labels.data(),
                     targets.empty() ? nullptr : targets.data(), B, D) /
         B;
}

TEST(LossTest, HandComputedValues) {
  // CE on probabilities (renormalised): -log(0.5 / 1.0)
  EXPECT_NEAR(LossOf(CategoricalCrossentropy(false), {0.2f, 0.5f, 0.3f}, {0, 1, 0}, {}, 1, 3),
              -std::log(0.5), 1e-6);
  // CE from logits [0, ln 3]: p = [1/4, 3/4], target class 1.
  EXPECT_NEAR(LossOf(CategoricalCrossentropy(true), {0.0f, std::log(3.0f)}, {0, 1}, {}, 1, 2),
              -std::log(0.75), 1e-6);
  EXPECT_NEAR(LossOf(SparseCategoricalCrossentropy(false), {0.25f, 0.75f}, {}, {0}, 1, 2),
              -std::log(0.25), 1e-6);
  // BCE from logits z = 0 → log 2 for either label; mean over 2 outputs.
  EXPECT_NEAR(LossOf(BinaryCrossentropy(true), {0.0f, 2.0f}, {1, 0}, {}, 1, 2),
              (std::log(2.0) + 2.0 + std::log1p(std::exp(-2.0))) / 2, 1e-6);
  EXPECT_NEAR(LossOf(BinaryCrossentropy(false), {0.8f}, {1}, {}, 1, 1), -std::log(0.8 + 1e-7),
              1e-6);
  EXPECT_NEAR(LossOf(MeanSquaredError(), {1, 2, 3, 4}, {1, 0, 3, 0}, {}, 2, 2),
              ((0 + 4) / 2.0 + (0 + 16) / 2.0) / 2, 1e-6);
  EXPECT_NEAR(LossOf(MeanAbsoluteError(), {1, -2}, {0, 0}, {}, 1, 2), 1.5, 1e-6);
  // Huber delta 1: 0.5 * 0.5^2 and 1 * (3 - 0.5).
  EXPECT_NEAR(LossOf(Huber(1.0f), {0.5f, 3.0f}, {0, 0}, {}, 1, 2), (0.125 + 2.5) / 2, 1e-6);
}

TEST(LossTest, GradientsMatchFiniteDifferences) {
  const std::vector<Loss> losses = {CategoricalCrossentropy(false),
                                    CategoricalCrossentropy(true),
                                    BinaryCrossentropy(false),
                                    BinaryCrossentropy(true),
                                    MeanSquaredError(),
                                    MeanAbsoluteError(),
                                    Huber(0.3f),
                                    SparseCategoricalCrossentropy(false)};
  const int64_t B = 2, D = 3;
  for (const Loss& loss : losses) {
    std::vector<float> pred = {0.2f, 0.5f, 0.3f, 0.6f, 0.15f, 0.25f};
    std::vector<float> targets = {0, 1, 0, 1, 0, 0};
    std::vector<int64_t> labels = {1, 0};
    const int64_t* lab = loss.sparse() ? labels.data() : nullptr;
    const float* tgt = loss.sparse() ? nullptr : targets.data();
    std::vector<float> l(B), probs(B * D), grad(B * D);
    LossForward(loss, l.data(), probs.data(), pred.data(), lab, tgt, B, D);
    LossBackward(loss, grad.data(), probs.data(), pred.data(), lab, tgt, B, D, 1.0f / B);
    for (int64_t i = 0; i < B * D; ++i) {
      const float eps = 1e-3f, saved = pred[i];
      pred[i] = saved + eps;
      const double plus =
          LossForward(loss, l.data(), probs.data(), pred.data(), lab, tgt, B, D) / B;
      pred[i] = saved - eps;
      const double minus =
          LossForward(loss, l.data(), probs.data(), pred.data(), lab, tgt, B, D) / B;
      pred[i] = saved;
      EXPECT_NEAR(grad[i], (plus - minus) / (2 * eps), 2e-3) << loss.name() << " " << i;
    }
  }
}

// ---- Metrics -------------------------------------------------------------------

TEST(MetricTest, AccuracyKindsAndAuc) {
  auto acc = MakeMetric("accuracy", CategoricalCrossentropy()).value();
  const std::vector<float> pred = {0.1f, 0.9f, 0.8f, 0.2f}, onehot = {0, 1, 0, 1};
  acc->Update(pred.data(), nullptr, onehot.data(), 2, 2);
  EXPECT_DOUBLE_EQ(acc->Result(), 0.5);
  auto bin = MakeMetric("accuracy", BinaryCrossentropy()).value();
  bin->Update(pred.data(), nullptr, onehot.data(), 1,
              4);  // 0.1→0 ok, 0.9→1 ok, 0.8→1 vs 0, 0.2→0 vs 1
  EXPECT_DOUBLE_EQ(bin->Result(), 0.5);
  // AUC: positives {0.9, 0.7}, negatives {0.8, 0.1}: 3 of 4 pairs ordered → 0.75
  // (200 thresholds separate every score here, so the trapezoid sum is exact).
  auto auc = MakeMetric("auc", BinaryCrossentropy()).value();
  const std::vector<float> scores = {0.9f, 0.7f, 0.8f, 0.1f}, y = {1, 1, 0, 0};
  auc->Update(scores.data(), nullptr, y.data(), 4, 1);
  EXPECT_NEAR(auc->Result(), 0.75, 1e-9);
  auc->Reset();
  const std::vector<float> perfect = {0.9f, 0.1f};
  const std::vector<float> py = {1, 0};
  auc->Update(perfect.data(), nullptr, py.data(), 2, 1);
  EXPECT_NEAR(auc->Result(), 1.0, 1e-9);
  EXPECT_EQ(MakeMetric("f1", BinaryCrossentropy()).status().code(), Status::Code::kUnimplemented);
  const auto t = AucThresholds();
  EXPECT_EQ(t.size(), 200u);
  EXPECT_FLOAT_EQ(t[1], 1.0f / 199);
  EXPECT_FLOAT_EQ(t.back(), 1.0f + 1e-7f);
}

// ---- Optimizers, schedules, clipping ---------------------------------------------

TEST(OptimizerExtraTest, SgdMomentumNesterovAndAdamW) {
  auto sgd = SGD({.learning_rate = 0.1f, .momentum = 0.9f});
  std::vector<float> w = {1.0f}, slot = {0.0f};
  const float g1 = 0.5f, g2 = 0.5f;
  sgd->Apply(w.data(), &g1, slot.data(), 1, 1);  // v = -0.05, w = 0.95
  sgd->Apply(w.data(), &g2, slot.data(), 1, 1);  // v = -0.045 - 0.05 = -0.095, w = 0.855
  EXPECT_NEAR(w[0], 0.855, 1e-6);
  auto nesterov = SGD({.learning_rate = 0.1f, .momentum = 0.9f, .nesterov = true});
  w = {1.0f};
  slot = {0.0f};
  nesterov->Apply(w.data(), &g1, slot.data(), 1, 1);  // v = -0.05; w += 0.9 * -0.05 - 0.05
  EXPECT_NEAR(w[0], 1.0 - 0.095, 1e-6);
  auto adamw = AdamW({.learning_rate = 0.01f, .weight_decay = 0.1f});
  w = {2.0f};
  std::vector<float> slots(2, 0.0f);
  adamw->Apply(w.data(), &g1, slots.data(), 1, 1);
  // decay: 2 * (1 - 0.001) = 1.998; Adam step 1 moves by lr * m_hat / (sqrt(v_hat) + eps) ≈ 0.01
  const double m = 0.05, v = 0.001 * 0.25;
  const double lr_t = 0.01 * std::sqrt(1 - 0.999) / (1 - 0.9);
  EXPECT_NEAR(w[0], 2.0 * (1 - 0.01 * 0.1) - lr_t * m / (std::sqrt(v) + 1e-7), 1e-6);
  EXPECT_EQ(adamw->name(), "AdamW");
}

TEST(OptimizerExtraTest, SchedulesFollowKerasFormulas) {
  const auto exp = ExponentialDecay(0.1f, 10, 0.5f);
  EXPECT_FLOAT_EQ(exp(0), 0.1f);
  EXPECT_NEAR(exp(5), 0.1 * std::pow(0.5, 0.5), 1e-7);
  const auto stair = ExponentialDecay(0.1f, 10, 0.5f, true);
  EXPECT_FLOAT_EQ(stair(19), 0.05f);
  const auto cosine = CosineDecay(1.0f, 100, 0.1f);
  EXPECT_NEAR(cosine(50), 0.9 * 0.5 + 0.1, 1e-6);
  EXPECT_NEAR(cosine(1000), 0.1, 1e-6);
  // An optimizer uses the schedule at its step counter.
  auto sgd = SGD();
  sgd->set_learning_rate_schedule(ExponentialDecay(1.0f, 1, 0.5f));
  std::vector<float> w = {0.0f};
  const float g = 1.0f;
  sgd->Apply(w.data(), &g, nullptr, 0, 1);  // lr 1
  sgd->Apply(w.data(), &g, nullptr, 0, 1);  // lr 0.5
  EXPECT_FLOAT_EQ(w[0], -1.5f);
}

TEST(OptimizerExtraTest, GradientClipping) {
  auto opt = SGD();
  std::vector<float> g = {3, 4, 0.5f, 0.5f};
  const std::vector<GradientSegment> segments = {{0, 2}, {2, 2}};
  opt->set_clipping({.clipnorm = 1.0f});
  opt->ClipGradients(g.data(), segments);  // first clipped to norm 1, second kept
  EXPECT_FLOAT_EQ(g[0], 0.6f);
  EXPECT_FLOAT_EQ(g[1], 0.8f);
  EXPECT_FLOAT_EQ(g[2], 0.5f);
  g = {3, 4, 0, 0};
  opt->set_clipping({.global_clipnorm = 2.5f});
  opt->ClipGradients(g.data(), segments);
  EXPECT_FLOAT_EQ(g[0], 1.5f);
  EXPECT_FLOAT_EQ(g[1], 2.0f);
  g = {3, -4, 0.1f, 0};
  opt->set_clipping({.clipvalue = 0.5f});
  opt->ClipGradients(g.data(), segments);
  EXPECT_EQ(g, (std::vector<float>{0.5f, -0.5f, 0.1f, 0}));
  opt->set_clipping({.clipnorm = 1.0f, .clipvalue = 1.0f});
  EXPECT_EQ(opt->ValidateAll().code(), Status::Code::kInvalidArgument);
}

// ---- Callbacks ---------------------------------------------------------------------

std::unique_ptr<Sequential> Regressor() {
  auto m = std::make_unique<Sequential>("reg");
  EXPECT_TRUE(m->Add(std::make_unique<Dense>(1)).ok());
  EXPECT_TRUE(m->Build(2, 1).ok());
  EXPECT_TRUE(
      m->Compile(
           {.optimizer = SGD({.learning_rate = 0.1f}), .loss = MeanSquaredError(), .metrics = {}})
          .ok());
  return m;
}

TEST(CallbackTest, EarlyStoppingStopsAndRestoresBestWeights) {
  auto m = Regressor();
  Tensor x = RandomTensor({16, 2}, 1), y(DType::kFloat32, {16, 1});
  for (int i = 0; i < 16; ++i)
    y.data<float>()[i] = x.data<float>()[2 * i] - x.data<float>()[2 * i + 1];
  // Validation targets the model cannot fit: val_loss gets worse as it learns.
  Tensor vy(DType::kFloat32, {16, 1});
  for (int i = 0; i < 16; ++i) vy.data<float>()[i] = -y.data<float>()[i];
  EarlyStopping stop({.monitor = "val_loss", .patience = 2, .restore_best_weights = true});
  std::vector<float> first_weights;
  struct Spy : Callback {
    std::vector<float>* out;
    Status OnEpochEnd(Model& model, int64_t epoch, const EpochLogs&) override {
      if (epoch == 0) *out = model.SnapshotWeights();
      return Status::OK();
    }
  } spy;
  spy.out = &first_weights;
  auto h = m->Fit(x, y,
                  {.batch_size = 16,
                   .epochs = 50,
                   .verbose = 0,
                   .validation_x = &x,
                   .validation_y = &vy,
                   .callbacks = {&spy, &stop}});
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->history.at("loss").size(), 3u);  // best at epoch 0, stop after 2 more
  EXPECT_EQ(stop.stopped_epoch(), 2);
  EXPECT_EQ(stop.best_epoch(), 0);
  EXPECT_EQ(m->SnapshotWeights(), first_weights);
  EarlyStopping missing({.monitor = "val_auc"});
  EXPECT_EQ(m->Fit(x, y, {.epochs = 1, .verbose = 0, .callbacks = {&missing}}).status().code(),
            Status::Code::kInvalidArgument);
}

TEST(CallbackTest, CheckpointSavesBestOnlyAndCsvLoggerWritesHistory) {
  auto m = Regressor();
  Tensor x = RandomTensor({16, 2}, 1), y(DType::kFloat32, {16, 1});
  for (int i = 0; i < 16; ++i) y.data<float>()[i] = x.data<float>()[2 * i];
  const std::string dir = TempDir("ckpt");
  ModelCheckpoint ckpt({.dir = dir + "/best", .monitor = "loss", .save_best_only = true});
  CsvLogger csv(dir + "/logs");
  auto h = m->Fit(x, y, {.batch_size = 16, .epochs = 4, .verbose = 0, .callbacks = {&ckpt, &csv}});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(ckpt.saves(), 4);  // full-batch GD on a convex loss improves every epoch
  EXPECT_TRUE(PathExists(dir + "/best/model.json"));
  const std::string text = ReadFile(dir + "/logs/history.csv").value();
  EXPECT_EQ(text.substr(0, text.find('\n')), "epoch,loss");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 5);
  auto loaded = LoadModel(dir + "/best");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)->GetWeights()[0].second.data<float>()[0],
            m->GetWeights()[0].second.data<float>()[0]);
}

}  // namespace
}  // namespace edgepipe::nn
