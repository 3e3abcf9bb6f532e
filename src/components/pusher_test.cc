#include "src/components/pusher.h"

#include <gtest/gtest.h>

#include "src/components/component_test_util.h"

namespace edgepipe::components {
namespace {

struct PusherFixture {
  std::string root;
  pipeline::Component pusher;
  std::unique_ptr<ExecutorHarness> harness;

  PusherFixture(const std::string& name, bool blessed) {
    root = FreshTempDir(name);
    pusher = Pusher({.id = "Pusher",
                     .model = {"Trainer", "model", "Model"},
                     .model_blessing = {"Evaluator", "blessing", "ModelBlessing"},
                     .base_directory = JoinPath(root, "serving")});
    harness = std::make_unique<ExecutorHarness>(pusher, root);
    pipeline::Artifact model{.type_name = "Model", .uri = JoinPath(root, "model")};
    EXPECT_TRUE(CreateDirectories(JoinPath(model.uri, "Format-Serving")).ok());
    EXPECT_TRUE(WriteFileAtomic(JoinPath(model.uri, "Format-Serving/tflite"), "TFL3 bytes").ok());
    pipeline::Artifact blessing{.type_name = "ModelBlessing", .uri = JoinPath(root, "blessing")};
    blessing.custom_properties["blessed"] = int64_t{blessed ? 1 : 0};
    EXPECT_TRUE(CreateDirectories(blessing.uri).ok());
    EXPECT_TRUE(
        WriteFileAtomic(JoinPath(blessing.uri, blessed ? "BLESSED" : "NOT_BLESSED"), "").ok());
    harness->inputs["model"] = {model};
    harness->inputs["model_blessing"] = {blessing};
  }
};

TEST(PusherTest, BlessedModelIsCopiedToAVersionFolder) {
  PusherFixture f("pusher_blessed", true);
  ASSERT_TRUE(f.harness->Run(f.pusher).ok());
  const pipeline::Artifact& pushed = f.harness->output("pushed_model");
  EXPECT_EQ(std::get<int64_t>(pushed.custom_properties.at("pushed")), 1);
  std::string destination =
      std::get<std::string>(pushed.custom_properties.at("pushed_destination"));
  std::string version = std::get<std::string>(pushed.custom_properties.at("pushed_version"));
  EXPECT_EQ(destination, JoinPath(f.root, "serving/" + version));
  auto copied = ReadFile(JoinPath(destination, "tflite"));
  ASSERT_TRUE(copied.ok());
  EXPECT_EQ(*copied, "TFL3 bytes");
  EXPECT_TRUE(PathExists(JoinPath(pushed.uri, "tflite")));
  // Only the version folder is left in the destination: no staging leftovers.
  auto names = ListDirectory(JoinPath(f.root, "serving"));
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{version});
}

TEST(PusherTest, TwoPushesInOneSecondGetTwoVersions) {
  PusherFixture f("pusher_twice", true);
  ASSERT_TRUE(f.harness->Run(f.pusher).ok());
  ASSERT_TRUE(f.harness->Run(f.pusher).ok());
  auto names = ListDirectory(JoinPath(f.root, "serving"));
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->size(), 2u);
}

TEST(PusherTest, UnblessedModelIsNotPushed) {
  PusherFixture f("pusher_not_blessed", false);
  ASSERT_TRUE(f.harness->Run(f.pusher).ok());
  const pipeline::Artifact& pushed = f.harness->output("pushed_model");
  EXPECT_EQ(std::get<int64_t>(pushed.custom_properties.at("pushed")), 0);
  EXPECT_EQ(pushed.custom_properties.count("pushed_destination"), 0u);
  EXPECT_FALSE(PathExists(JoinPath(f.root, "serving")));
}

}  // namespace
}  // namespace edgepipe::components
