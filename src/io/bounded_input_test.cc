// Issue 8, bounded input: every io reader stops at its cap with one clear
// error and a few MB of memory, whatever the input claims (gzip bombs,
// endless devices, huge lengths and dims). Memory is asserted in a child
// process (peak RSS growth, with RLIMIT_AS as a guard), never time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "src/core/files.h"
#include "src/io/byte_stream.h"
#include "src/io/idx.h"
#include "src/io/tfrecord.h"
#include "src/io/tfrecord_format.h"
#include "tests/support/bounded_child.h"

namespace edgepipe::io {
namespace {

// A reader may keep its cap and a few buffers; nothing near the bomb's size.
constexpr int64_t kSmallRssKb = 16 << 10;
constexpr uint64_t kChildHeadroom = uint64_t{512} << 20;

void ExpectSmallAndOk(const testing::ChildResult& r) {
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_GE(r.rss_growth_kb, 0);
  EXPECT_LT(r.rss_growth_kb, kSmallRssKb);
}

class BoundedInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "bounded_input_test_" + std::to_string(::getpid());
    ASSERT_TRUE(CreateDirectories(dir_).ok());
  }
  void TearDown() override { (void)RemoveAll(dir_); }
  std::string Write(const std::string& name, const std::string& bytes) {
    std::string path = JoinPath(dir_, name);
    EXPECT_TRUE(WriteFileAtomic(path, bytes).ok());
    return path;
  }
  std::string dir_;
};

// A gzip stream that unpacks to `head` followed by `mib` MiB of zeros, built
// from concatenated members (a 16 MiB member of zeros is ~16 KiB), so a
// 1 GiB bomb costs the test 1 MiB. Its trailer (the last member's ISIZE)
// says 16 MiB.
std::string GzipBomb(const std::string& head, int mib) {
  const std::string zeros(16 << 20, '\0');
  const std::string member = GzipCompress(zeros);
  std::string out = GzipCompress(head);
  for (int i = 0; i < mib / 16; ++i) out += member;
  return out;
}

void SetTrailerSize(std::string* gz, uint32_t isize) {
  for (int i = 0; i < 4; ++i) (*gz)[gz->size() - 4 + i] = static_cast<char>(isize >> (8 * i));
}

// GzipDecompress(gz, 1 MiB) in a bounded child: ResourceExhausted with
// exactly `message`, and little memory used.
void ExpectRefusedAtOneMiB(const std::string& gz, const std::string& message) {
  testing::ChildResult r = testing::RunBoundedChild(
      [&] {
        auto out = GzipDecompress(gz, 1 << 20);
        if (out.ok()) return 2;
        std::fprintf(stderr, "%s\n", out.status().message().c_str());
        if (out.status().code() != Status::Code::kResourceExhausted) return 3;
        return out.status().message() == message ? 0 : 4;
      },
      kChildHeadroom);
  ExpectSmallAndOk(r);
}

TEST(GzipBoundsTest, TrailerAboveTheCapIsRefusedBeforeInflating) {
  const std::string bomb = GzipBomb("", 1024);
  EXPECT_EQ(GzipTrailerSize(bomb), 16u << 20);
  ExpectRefusedAtOneMiB(bomb,
                        "gzip trailer (ISIZE) says the data unpacks to 16777216 bytes, expected "
                        "at most 1048576");
}

TEST(GzipBoundsTest, BombWithALyingTrailerStopsAtTheCap) {
  std::string bomb = GzipBomb("", 1024);
  SetTrailerSize(&bomb, 10);  // claims 10 bytes, unpacks to 1 GiB
  ExpectRefusedAtOneMiB(bomb,
                        "gzip data unpacks to more than 1048576 bytes (its trailer says 10), "
                        "expected at most 1048576");
}

TEST(GzipBoundsTest, DataWithinTheCapStillUnpacks) {
  const std::string data(5000, 'a');
  auto out = GzipDecompress(GzipCompress(data), 5000);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, data);
}

// ---- IDX ------------------------------------------------------------------

std::string IdxHeaderU8(uint32_t d0, uint32_t d1) {
  std::string h("\x00\x00\x08\x02", 4);
  for (uint32_t d : {d0, d1}) {
    for (int s = 24; s >= 0; s -= 8) h.push_back(static_cast<char>((d >> s) & 0xff));
  }
  return h;
}

TEST_F(BoundedInputTest, IdxGzipBombStopsOneBytePastWhatTheHeaderDeclares) {
  // Declares 10 x 784 bytes, unpacks to 1 GiB.
  const std::string path = Write("images-idx3-ubyte.gz", GzipBomb(IdxHeaderU8(10, 784), 1024));
  testing::ChildResult r = testing::RunBoundedChild(
      [&] {
        auto t = ReadIdx(path);
        if (t.ok()) return 2;
        std::fprintf(stderr, "%s\n", t.status().message().c_str());
        return t.status().message() ==
                       path +
                           ": offset 12: IDX data size mismatch (dims [10, 784] of uint8 need "
                           "7840 bytes, got more (reading stopped there))"
                   ? 0
                   : 3;
      },
      kChildHeadroom);
  ExpectSmallAndOk(r);
}

TEST_F(BoundedInputTest, IdxDimsOverTheCapAreRefusedFromTheHeader) {
  // 65536 x 65536 uint8 = 4 GiB declared by a 12-byte file.
  const std::string path = Write("big.idx", IdxHeaderU8(65536, 65536));
  auto t = ReadIdx(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(t.status().message(),
            path +
                ": offset 4: IDX dims [65536, 65536] of uint8 need 4294967296 data bytes after a "
                "12-byte header, expected at most 1073741824 bytes in all");
  // Within a caller's cap the same dims are a plain truncation.
  auto small = ReadIdx(Write("small.idx", IdxHeaderU8(2, 3) + "abc"), 100);
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.status().message().find("need 6 bytes, got 3"), std::string::npos)
      << small.status().message();
}

TEST_F(BoundedInputTest, IdxRoundTripStillWorks) {
  Tensor t(DType::kUInt8, {3, 5});
  for (int i = 0; i < 15; ++i) t.data<uint8_t>()[i] = static_cast<uint8_t>(i * 7);
  for (bool gz : {false, true}) {
    std::string path = JoinPath(dir_, gz ? "r.idx.gz" : "r.idx");
    ASSERT_TRUE(WriteIdx(path, t, gz).ok());
    auto back = ReadIdx(path);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->shape(), t.shape());
    EXPECT_EQ(back->data<uint8_t>()[14], 98);
  }
}

// ---- devices ----------------------------------------------------------------

TEST(DeviceInputTest, EveryStreamReaderRefusesAnEndlessDevice) {
  const std::string expected =
      "/dev/zero: is a character device, expected a regular file (or a pipe)";
  auto reader = TFRecordReader::Open("/dev/zero");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().message(), expected);
  auto idx = ReadIdx("/dev/zero");
  ASSERT_FALSE(idx.ok());
  EXPECT_EQ(idx.status().message(), expected);
  auto bytes = ReadMaybeGzipFile("/dev/zero");
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().message(), expected);
}

// ---- TFRecord ---------------------------------------------------------------

TEST_F(BoundedInputTest, HundredMegabyteRecordIsRefusedAtItsHeader) {
  // A sparse file: the header claims 100 MB and 100 MB really follow.
  const uint64_t length = 100'000'000;
  const std::string path = Write("big.tfrecord", EncodeRecordHeader(length));
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(tfrecord::kHeaderSize + length + 4)), 0);
  testing::ChildResult r = testing::RunBoundedChild(
      [&] {
        auto reader = TFRecordReader::Open(path);
        if (!reader.ok()) return 2;
        std::string record;
        auto more = (*reader)->ReadRecord(&record);
        if (more.ok()) return 3;
        std::fprintf(stderr, "%s\n", more.status().message().c_str());
        return more.status().message() ==
                       path + ": offset 0: record length 100000000 bytes, expected at most 67108864"
                   ? 0
                   : 4;
      },
      kChildHeadroom);
  ExpectSmallAndOk(r);
}

TEST_F(BoundedInputTest, GzipBombOfRecordsIsStreamedNotUnpacked) {
  // A 1 GiB record claimed by a valid header inside a 1 MiB gzip file.
  const std::string path =
      Write("bomb.tfrecord.gz", GzipBomb(EncodeRecordHeader(uint64_t{1} << 30), 1024));
  testing::ChildResult r = testing::RunBoundedChild(
      [&] {
        auto records = ReadAllRecords(path);
        if (records.ok()) return 2;
        std::fprintf(stderr, "%s\n", records.status().message().c_str());
        return records.status().code() == Status::Code::kResourceExhausted ? 0 : 3;
      },
      kChildHeadroom);
  ExpectSmallAndOk(r);
}

}  // namespace
}  // namespace edgepipe::io
