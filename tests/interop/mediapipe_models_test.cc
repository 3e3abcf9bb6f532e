// Google's MediaPipe models (the .tflite files the npm packages
// @mediapipe/face_detection, hands, pose and selfie_segmentation ship) run in
// our interpreter and in LiteRT.js on the same seeded inputs; every output
// must agree within 1e-4 relative to its own scale:
//   max |ours - theirs| <= 1e-4 · max(max |theirs|, 1e-3)   (per output)
// The 1e-3 floor is for probability outputs that are all but zero on random
// inputs (a pose-presence sigmoid of 1e-12): there 1e-7 absolute is exact
// enough. Element-wise relative error is printed but not asserted.
//
// Known exception (kLooserOutputs): the pose models' segmentation logits
// ('Identity_2', 256x256) differ by 1.5e-4 to 3e-4 of their range. That is
// summation order, not semantics: LiteRT.js (XNNPACK) and our GEMMs (oneDNN)
// add in different orders, and this decoder amplifies it — our own two code
// paths (oneDNN vs the reference loops) already differ by 6.6e-5 of the
// range on pose_landmark_lite's Identity_2, and every op of the models
// matches LiteRT.js within 1e-5 in the conformance test. Those outputs are
// held to 1e-3 of their range.
//
// The models are not in the repository: tests/mediapipe/fetch_models.sh DIR
// fetches them. The test looks in $EDGEPIPE_MEDIAPIPE_DIR, else in
// <build>/mediapipe_models, and skips (saying so) each model it cannot find.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "src/lite/interpreter.h"
#include "tests/support/tflite_runtimes.h"

namespace edgepipe::testing {
namespace {

std::string ModelDir() {
  if (const char* env = std::getenv("EDGEPIPE_MEDIAPIPE_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return std::string(EDGEPIPE_BINARY_DIR) + "/mediapipe_models";
}

// (model, output) pairs held to 1e-3 of their range; see the header comment.
bool LooserOutput(const std::string& model, const std::string& output) {
  return model.starts_with("pose_landmark_") && output == "Identity_2";
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

class MediaPipeModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(MediaPipeModelTest, MatchesLiteRtJs) {
  const std::string path = ModelDir() + "/" + GetParam() + ".tflite";
  if (!FileExists(path)) {
    GTEST_SKIP() << path << " not found: fetch the models with "
                 << "tests/mediapipe/fetch_models.sh DIR and set EDGEPIPE_MEDIAPIPE_DIR=DIR "
                 << "(or use " << EDGEPIPE_BINARY_DIR << "/mediapipe_models)";
  }
  auto interp = lite::Interpreter::FromFile(path);
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  lite::Interpreter& ours = **interp;

  // Seeded image-like inputs in [0, 1).
  std::mt19937 rng(20261206);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<Tensor> inputs;
  for (int i = 0; i < ours.num_inputs(); ++i) {
    const lite::TensorInfo info = ours.input_info(i);
    ASSERT_EQ(info.type, lite::schema::TensorType_FLOAT32) << "input " << i;
    Tensor t(DType::kFloat32, Shape(info.shape.begin(), info.shape.end()));
    for (int64_t k = 0; k < t.num_elements(); ++k) t.data<float>()[k] = uniform(rng);
    ASSERT_TRUE(ours.SetInput(i, t).ok());
    inputs.push_back(std::move(t));
  }
  ASSERT_TRUE(ours.Invoke().ok());
  // Informational latency (no assertion): the best of a few Invokes.
  double best_ms = 1e30;
  for (int run = 0; run < 3; ++run) {
    // Inputs stay live through Invoke (the arena plan keeps them), so they are set once.
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(ours.Invoke().ok());
    best_ms = std::min(
        best_ms, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }

  RuntimeRunOptions options;
  options.rows_per_invocation = 0;
  auto theirs = RunInLiteRtJs(path, inputs, options);
  ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
  ASSERT_EQ(static_cast<int>(theirs->size()), ours.num_outputs());

  double worst_rel = 0.0;
  for (int o = 0; o < ours.num_outputs(); ++o) {
    const lite::TensorInfo info = ours.output_info(o);
    // LiteRT.js may list outputs in another order: match them by name.
    const RuntimeOutput* ref = nullptr;
    for (const RuntimeOutput& r : *theirs) {
      if (r.name == info.name) ref = &r;
    }
    if (ref == nullptr) ref = &(*theirs)[static_cast<size_t>(o)];
    const lite::TensorView view = ours.output(o);
    ASSERT_EQ(view.type, lite::schema::TensorType_FLOAT32) << info.name;
    const auto values = view.values<float>();
    ASSERT_EQ(values.size(), ref->values.size()) << info.name;
    double max_abs = 0.0, max_err = 0.0, max_elem_rel = 0.0;
    for (float v : ref->values) max_abs = std::max(max_abs, double{std::abs(v)});
    size_t worst = 0;
    for (size_t k = 0; k < values.size(); ++k) {
      const double r = ref->values[k];
      const double err = std::abs(static_cast<double>(values[k]) - r);
      if (!(err <= max_err)) {  // also catches NaN
        max_err = err;
        worst = k;
      }
      // Element-wise, with a floor of 1e-3 of the range for elements near 0.
      max_elem_rel = std::max(max_elem_rel, err / std::max(std::abs(r), 1e-3 * max_abs));
    }
    const double rel = max_err / std::max(max_abs, 1e-3);
    const double bound = LooserOutput(GetParam(), info.name) ? 1e-3 : 1e-4;
    EXPECT_LE(rel, bound) << GetParam() << " output '" << info.name << "': element " << worst
                          << " ours " << values[worst] << ", LiteRT.js " << ref->values[worst]
                          << " (output range " << max_abs << ")";
    std::printf(
        "[ mediapipe ] %s output '%s': max |error| %.3g = %.3g of its range; "
        "element-wise relative %.3g\n",
        GetParam().c_str(), info.name.c_str(), max_err, rel, max_elem_rel);
    worst_rel = std::max(worst_rel, rel);
  }
  std::printf(
      "[ mediapipe ] %s: %d outputs, max error %.3g of the output range; "
      "edgepipe Invoke %.2f ms (best of 3, 1 thread)\n",
      GetParam().c_str(), ours.num_outputs(), worst_rel, best_ms);
}

INSTANTIATE_TEST_SUITE_P(Models, MediaPipeModelTest,
                         ::testing::Values("face_detection_short_range",
                                           "face_detection_full_range",
                                           "face_detection_full_range_sparse", "hand_landmark_lite",
                                           "hand_landmark_full", "pose_landmark_lite",
                                           "pose_landmark_full", "pose_landmark_heavy",
                                           "selfie_segmentation", "selfie_segmentation_landscape"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace edgepipe::testing
