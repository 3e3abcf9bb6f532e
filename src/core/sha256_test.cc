#include "src/core/sha256.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "src/core/files.h"

namespace edgepipe {
namespace {

// FIPS 180-2 test vectors.
TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, FileDigestIsStreamedAndEqualsTheOneShot) {
  std::string path = ::testing::TempDir() + "sha256_file_" + std::to_string(::getpid());
  std::string bytes;
  for (int i = 0; i < 200000; ++i) bytes.push_back(static_cast<char>(i * 7 + i / 13));
  ASSERT_TRUE(WriteFileAtomic(path, bytes).ok());  // several 64 KiB chunks and a tail
  auto digest = Sha256FileHex(path);
  ASSERT_TRUE(digest.ok()) << digest.status().message();
  EXPECT_EQ(*digest, Sha256Hex(bytes));
  EXPECT_EQ(Sha256FileHex(path + ".missing").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(Sha256FileHex("/dev/zero").status().code(), Status::Code::kInvalidArgument);
  (void)RemoveAll(path);
}

}  // namespace
}  // namespace edgepipe
