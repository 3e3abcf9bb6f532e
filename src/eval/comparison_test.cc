// The comparison of two models: built from an evaluation with a reference
// model and from two evaluations, rendered for the terminal, written with
// the evaluation (comparison.html, disagreements.json) and read back — and
// the page opened in Debian's headless Chromium, whose DOM must show what
// the evaluation holds.
#include "src/eval/comparison.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "src/core/files.h"
#include "src/eval/config.h"
#include "src/eval/output.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"
#include "tests/support/chromium.h"
#include "tests/support/png.h"
#include "tests/support/temp_dir.h"

namespace edgepipe::eval {
namespace {

constexpr int64_t kSide = 8;
constexpr int64_t kPixels = kSide * kSide;

// 8x8 "images" of 4 classes: the class's quadrant is bright.
std::string WriteImages(const std::string& dir, int n) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> noise(0.0f, 0.5f);
  std::vector<std::string> records;
  for (int i = 0; i < n; ++i) {
    const int label = i % 4;
    std::vector<float> image(kPixels);
    for (int64_t y = 0; y < kSide; ++y) {
      for (int64_t x = 0; x < kSide; ++x) {
        const int quadrant = (y >= kSide / 2 ? 2 : 0) + (x >= kSide / 2 ? 1 : 0);
        image[static_cast<size_t>(y * kSide + x)] = noise(rng) + (quadrant == label ? 0.6f : 0.0f);
      }
    }
    tensorflow::Example e;
    io::SetFloatFeature("pixels", image, &e);
    io::SetInt64Feature("label", {label}, &e);
    records.push_back(io::SerializeDeterministic(e));
  }
  const std::string path = JoinPath(dir, "images.tfrecord");
  EXPECT_TRUE(io::WriteAllRecords(path, records, io::Compression::kNone).ok());
  return path;
}

// Softmax of the mean brightness of each quadrant (times `sharpness`); with
// `skew`, class 3's score is raised, so some examples change their top class.
class QuadrantModel : public EvalModel {
 public:
  QuadrantModel(float sharpness, float skew) : sharpness_(sharpness), skew_(skew) {}
  const std::string& input_feature() const override { return feature_; }
  int64_t input_dim() const override { return kPixels; }
  StatusOr<Tensor> Predict(const Tensor& x) override {
    Tensor out(DType::kFloat32, {x.dim(0), 4});
    for (int64_t r = 0; r < x.dim(0); ++r) {
      float logits[4] = {0, 0, 0, 0};
      for (int64_t p = 0; p < kPixels; ++p) {
        const int64_t y = p / kSide, col = p % kSide;
        logits[(y >= kSide / 2 ? 2 : 0) + (col >= kSide / 2 ? 1 : 0)] +=
            x.data<float>()[r * kPixels + p] / 16.0f;
      }
      logits[3] += skew_;
      float sum = 0;
      for (float& l : logits) sum += (l = std::exp(sharpness_ * l));
      for (int j = 0; j < 4; ++j) out.data<float>()[r * 4 + j] = logits[j] / sum;
    }
    return out;
  }

 private:
  std::string feature_ = "pixels";
  float sharpness_, skew_;
};

constexpr char kConfig[] = R"pb(
  model_specs { name: "lite" label_key: "label" model_type: "tf_lite" }
  model_specs { name: "full" label_key: "label" }
  slicing_specs {}
  slicing_specs { feature_keys: "label" }
  metrics_specs {
    metrics { class_name: "ExampleCount" }
    metrics { class_name: "SparseCategoricalAccuracy" }
    metrics {
      class_name: "PredictionAgreement"
      threshold { value_threshold { lower_bound { value: 0.99 } } }
    }
    metrics { class_name: "MaxAbsOutputDifference" }
    metrics { class_name: "MultiClassConfusionMatrixPlot" }
    metrics { class_name: "CalibrationPlot" }
  }
)pb";

struct Evaluated {
  std::string dir;  // the evaluation folder
  EvalResult result;
};

Evaluated EvaluateQuadrants(const std::string& root, float skew) {
  Evaluated out;
  EXPECT_TRUE(CreateDirectories(root).ok());
  const std::string data = WriteImages(root, 200);
  auto config = ParseEvalConfigText(kConfig, "test");
  EXPECT_TRUE(config.ok()) << config.status().message();
  QuadrantModel lite(4.0f, skew), full(4.0f, 0.0f);
  auto r = Evaluate(*config, {data},
                    {{"lite", &lite, JoinPath(root, "model/Format-Serving/tflite")},
                     {"full", &full, JoinPath(root, "model/Format-TFMA")}});
  EXPECT_TRUE(r.ok()) << r.status().message();
  out.result = *r;
  out.dir = JoinPath(root, "evaluation");
  EXPECT_TRUE(WriteEvalResult(out.result, out.dir).ok());
  return out;
}

std::optional<double> RowValue(const Comparison& c, const std::string& slice,
                               const std::string& metric, bool left) {
  for (const Comparison::Row& r : c.rows) {
    if (r.slice == slice && r.metric == metric) return left ? r.left : r.right;
  }
  return std::nullopt;
}

TEST(ComparisonTest, SideBySideFromAReferenceModelAndReadBack) {
  const std::string root = testing::FreshTempDir("comparison");
  Evaluated e = EvaluateQuadrants(root, 0.6f);
  ASSERT_GT(e.result.num_disagreements, 0);
  ASSERT_FALSE(e.result.validation.validation_ok());  // agreement under 0.99

  // What was written reads back with the disagreements, images included.
  auto loaded = LoadEvalResult(e.dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->num_disagreements, e.result.num_disagreements);
  ASSERT_EQ(loaded->disagreements.size(), e.result.disagreements.size());
  EXPECT_EQ(loaded->disagreements[0].image, e.result.disagreements[0].image);
  EXPECT_EQ(loaded->disagreements[0].image_side, kSide);
  EXPECT_EQ(loaded->disagreements[0].candidate, e.result.disagreements[0].candidate);

  auto c = CompareWithReference(*loaded);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->left.name, "lite");
  EXPECT_EQ(c->right.name, "full");
  EXPECT_EQ(c->left.verdict, "NOT BLESSED");
  // Each side's values are the evaluation's own keys of that model.
  for (const auto& kv : loaded->metrics[0].metric_keys_and_values()) {
    if (kv.key().name() != "sparse_categorical_accuracy") continue;
    EXPECT_EQ(
        RowValue(*c, "Overall", "sparse_categorical_accuracy", kv.key().model_name() == "lite"),
        kv.value().double_value().value());
  }
  // Confusion matrices: 4x4, every example counted once.
  ASSERT_EQ(c->left.confusion.size(), 4u);
  ASSERT_EQ(c->right.confusion.size(), 4u);
  double total = 0;
  for (const auto& row : c->left.confusion) {
    for (double v : row) total += v;
  }
  EXPECT_EQ(total, 200.0);
  // The skewed lite model predicts class 3 more often than the full model.
  double lite_3 = 0, full_3 = 0;
  for (size_t a = 0; a < 4; ++a) {
    lite_3 += c->left.confusion[a][3];
    full_3 += c->right.confusion[a][3];
  }
  EXPECT_GT(lite_3, full_3);
  EXPECT_FALSE(c->left.calibration.empty());
  EXPECT_FALSE(c->failures.empty());

  const std::string text = RenderComparisonText(*c);
  EXPECT_NE(text.find("disagreements: " + std::to_string(c->num_disagreements)), std::string::npos);
  EXPECT_NE(text.find("prediction_agreement"), std::string::npos);
  EXPECT_NE(text.find("lite fails:"), std::string::npos);

  // Without a reference model there is nothing to compare with.
  EvalResult alone = *loaded;
  alone.config.mutable_model_specs()->RemoveLast();
  EXPECT_EQ(CompareWithReference(alone).status().code(), Status::Code::kFailedPrecondition);
}

TEST(ComparisonTest, TwoEvaluationsDiffSliceBySlice) {
  const std::string root = testing::FreshTempDir("comparison_diff");
  Evaluated a = EvaluateQuadrants(JoinPath(root, "a"), 0.6f);
  Evaluated b = EvaluateQuadrants(JoinPath(root, "b"), 0.0f);
  const Comparison c = CompareEvaluations(a.result, b.result);
  EXPECT_EQ(c.left.name, "A");  // both candidates are named "lite"
  EXPECT_EQ(c.right.name, "B");
  const auto left = RowValue(c, "Overall", "sparse_categorical_accuracy", true);
  const auto right = RowValue(c, "Overall", "sparse_categorical_accuracy", false);
  ASSERT_TRUE(left && right);
  // The skew towards class 3 costs accuracy.
  EXPECT_LT(*left, *right);
  EXPECT_EQ(RowValue(c, "label:1", "example_count", true), 50.0);
  for (const Comparison::Row& r : c.rows) {
    if (r.left && r.right) {
      EXPECT_EQ(*r.delta(), *r.left - *r.right);
    }
  }
  EXPECT_EQ(c.left.verdict, "NOT BLESSED");
  EXPECT_EQ(c.right.verdict, "BLESSED");
}

TEST(ComparisonTest, DamagedDisagreementsFileIsCorruptionNamingIt) {
  const std::string root = testing::FreshTempDir("comparison_damaged");
  Evaluated e = EvaluateQuadrants(root, 0.6f);
  const std::string path = JoinPath(e.dir, kDisagreementsFile);
  for (const std::string& bad :
       {std::string("not json"), std::string("{\"num_disagreements\": -1, \"examples\": []}"),
        std::string("{\"num_disagreements\": 1, \"examples\": [{\"file\": \"f\", \"record\": 0, "
                    "\"label\": 1, \"candidate\": [1], \"reference\": [1, 2], "
                    "\"image_side\": 0}]}"),
        std::string("{\"num_disagreements\": 1, \"examples\": [{\"file\": \"f\", \"record\": 0, "
                    "\"label\": 1, \"candidate\": [1], \"reference\": [2], "
                    "\"image_side\": 3, \"image\": [1, 2]}]}")}) {
    ASSERT_TRUE(WriteFileAtomic(path, bad).ok());
    auto r = LoadEvalResult(e.dir);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << bad;
    EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
  }
}

// The page in a real browser: the DOM Chromium builds holds the verdict, both
// models' metrics with their deltas, two confusion matrices, and one card
// per disagreement kept, each with its image; the screenshot is not blank.
TEST(ComparisonTest, ChromiumShowsTheComparisonPage) {
  const std::string chromium = testing::FindChromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium is not installed (scripts/install_deps.sh installs it); "
                    "comparison.html is not checked in a browser";
  }
  const std::string root = testing::FreshTempDir("comparison_browser");
  Evaluated e = EvaluateQuadrants(root, 0.6f);
  const std::string page = JoinPath(e.dir, kComparisonFile);
  ASSERT_TRUE(PathExists(page));
  testing::Chromium browser{chromium, JoinPath(root, "browser")};
  ASSERT_TRUE(browser.MakeFolders());
  int code = -1;
  const std::string dom = browser.Run("--dump-dom", "file://" + page, &code);
  ASSERT_EQ(code, 0) << browser.Log();
  EXPECT_NE(dom.find("<strong id=\"verdict\" class=\"bad\">NOT BLESSED</strong>"),
            std::string::npos);
  EXPECT_NE(
      dom.find("id=\"num-disagreements\">" + std::to_string(e.result.num_disagreements) + "<"),
      std::string::npos);
  // One card per kept disagreement, each with its picture and two classes
  // that differ.
  size_t cards = 0;
  for (size_t at = dom.find("class=\"disagreement\""); at != std::string::npos;
       at = dom.find("class=\"disagreement\"", at + 1)) {
    ++cards;
    const std::string card = dom.substr(at, dom.find("</div>", at) - at);
    EXPECT_NE(card.find("<svg class=\"digit\""), std::string::npos);
    const size_t l = card.find("data-left-class=\"");
    const size_t r = card.find("data-right-class=\"");
    ASSERT_TRUE(l != std::string::npos && r != std::string::npos);
    EXPECT_NE(card.substr(l + 17, 1), card.substr(r + 18, 1));
  }
  EXPECT_EQ(cards, e.result.disagreements.size());
  EXPECT_NE(dom.find("id=\"confusion-left\""), std::string::npos);
  EXPECT_NE(dom.find("id=\"confusion-right\""), std::string::npos);
  EXPECT_NE(dom.find("id=\"calibration\""), std::string::npos);
  // The overall accuracy row shows both values and their difference.
  auto c = CompareWithReference(e.result);
  ASSERT_TRUE(c.ok());
  const auto lite = RowValue(*c, "Overall", "sparse_categorical_accuracy", true);
  const auto full = RowValue(*c, "Overall", "sparse_categorical_accuracy", false);
  ASSERT_TRUE(lite && full);
  const size_t row =
      dom.find("<tr data-slice=\"Overall\" data-metric=\"sparse_categorical_accuracy\">");
  ASSERT_NE(row, std::string::npos);
  const std::string cells = dom.substr(row, dom.find("</tr>", row) - row);
  tfma::MetricValue v;
  v.mutable_double_value()->set_value(*lite);
  EXPECT_NE(cells.find(">" + FormatMetricValue(v) + "<"), std::string::npos) << cells;
  v.mutable_double_value()->set_value(*full);
  EXPECT_NE(cells.find(">" + FormatMetricValue(v) + "<"), std::string::npos) << cells;

  // The screenshot has ink: the page rendered.
  const std::string png_path = JoinPath(root, "page.png");
  browser.Run("--screenshot='" + png_path + "' --window-size=1000,1600", "file://" + page, &code);
  ASSERT_EQ(code, 0) << browser.Log();
  auto png = ReadFile(png_path);
  ASSERT_TRUE(png.ok()) << png.status().message();
  testing::RgbImage image;
  std::string error;
  ASSERT_TRUE(testing::DecodePng(*png, &image, &error)) << error;
  size_t dark = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const auto p = image.At(x, y);
      dark += p[0] < 100 && p[1] < 100 && p[2] < 100;
    }
  }
  EXPECT_GT(dark, 2000u);
}

}  // namespace
}  // namespace edgepipe::eval
