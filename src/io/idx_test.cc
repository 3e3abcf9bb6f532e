#include "src/io/idx.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>

#include "src/core/files.h"
#include "src/io/byte_stream.h"

namespace edgepipe::io {
namespace {

class IdxFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "idx_test_" + std::to_string(::getpid());
    ASSERT_TRUE(CreateDirectories(dir_).ok());
  }
  void TearDown() override { (void)RemoveAll(dir_); }
  std::string dir_;
};

// Hand-built header + data: uint8 [2, 3].
const std::string kUInt8Bytes(
    "\x00\x00\x08\x02"
    "\x00\x00\x00\x02"
    "\x00\x00\x00\x03"
    "\x01\x02\x03\xfd\xfe\xff",
    18);

TEST(IdxTest, DecodesHandBuiltUInt8) {
  auto t = DecodeIdx(kUInt8Bytes, "x");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->dtype(), DType::kUInt8);
  EXPECT_EQ(t->shape(), (Shape{2, 3}));
  const uint8_t* d = t->data<uint8_t>();
  EXPECT_EQ(d[0], 1);
  EXPECT_EQ(d[5], 255);
}

TEST(IdxTest, EncodesHandBuiltUInt8) {
  Tensor t = Tensor::FromVector<uint8_t>({2, 3}, {1, 2, 3, 253, 254, 255});
  auto bytes = EncodeIdx(t);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, kUInt8Bytes);
}

TEST(IdxTest, Int32AndFloat32AreBigEndian) {
  Tensor t = Tensor::FromVector<int32_t>({2}, {1, -2});
  auto bytes = EncodeIdx(t);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->substr(8), std::string("\x00\x00\x00\x01\xff\xff\xff\xfe", 8));
  Tensor f = Tensor::FromVector<float>({1}, {1.0f});
  auto fbytes = EncodeIdx(f);
  ASSERT_TRUE(fbytes.ok());
  EXPECT_EQ(fbytes->substr(0, 4), std::string("\x00\x00\x0d\x01", 4));
  EXPECT_EQ(fbytes->substr(8), std::string("\x3f\x80\x00\x00", 4));
  auto back = DecodeIdx(*bytes, "x");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->data<int32_t>()[1], -2);
}

TEST_F(IdxFileTest, RoundTripRawAndGzip) {
  std::vector<float> values(4 * 5 * 6);
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.5f * static_cast<float>(i) - 7.0f;
  Tensor f = Tensor::FromVector<float>({4, 5, 6}, values);
  for (bool gz : {false, true}) {
    std::string path = JoinPath(dir_, gz ? "f.idx.gz" : "f.idx");
    ASSERT_TRUE(WriteIdx(path, f, gz).ok());
    auto raw = ReadFile(path);
    ASSERT_TRUE(raw.ok());
    EXPECT_EQ(HasGzipMagic(*raw), gz);
    auto back = ReadIdx(path);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->shape(), f.shape());
    EXPECT_EQ(std::memcmp(back->raw_data(), f.raw_data(), f.num_bytes()), 0);
  }
}

TEST(IdxTest, RejectsUnsupportedDtypeOnWrite) {
  Tensor t(DType::kInt64, {3});
  auto bytes = EncodeIdx(t);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), Status::Code::kInvalidArgument);
}

TEST(IdxErrorTest, BadMagic) {
  std::string b = kUInt8Bytes;
  b[1] = '\x01';
  auto t = DecodeIdx(b, "m.idx");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(t.status().message(),
            "m.idx: offset 0: bad IDX magic (expected 0x00 0x00, got 0x00 0x01)");
}

TEST(IdxErrorTest, UnknownType) {
  std::string b = kUInt8Bytes;
  b[2] = '\x07';
  auto t = DecodeIdx(b, "m.idx");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Status::Code::kCorruption);
  EXPECT_NE(t.status().message().find("m.idx: offset 2: unknown IDX data type 0x07"),
            std::string::npos);
}

TEST(IdxErrorTest, Int16IsUnimplemented) {
  std::string b = kUInt8Bytes;
  b[2] = '\x0b';
  auto t = DecodeIdx(b, "m.idx");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Status::Code::kUnimplemented);
}

TEST(IdxErrorTest, TruncatedFixedHeader) {
  auto t = DecodeIdx(kUInt8Bytes.substr(0, 3), "m.idx");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "m.idx: offset 0: truncated IDX header (expected 4 bytes: 00 00 type ndims, got 3)");
}

TEST(IdxErrorTest, TruncatedDims) {
  auto t = DecodeIdx(kUInt8Bytes.substr(0, 10), "m.idx");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(t.status().message(),
            "m.idx: offset 4: truncated IDX header (expected 2 big-endian u32 dims = 8 bytes, "
            "got 6)");
}

TEST(IdxErrorTest, TruncatedData) {
  auto t = DecodeIdx(kUInt8Bytes.substr(0, 16), "m.idx");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "m.idx: offset 12: IDX data size mismatch (dims [2, 3] of uint8 need 6 bytes, got 4)");
}

TEST(IdxErrorTest, DimsLargerThanData) {
  std::string b = kUInt8Bytes;
  b[4] = '\x7f';  // dim 0 = 0x7f000002
  auto t = DecodeIdx(b, "m.idx");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("offset 12: IDX data size mismatch (dims [2130706434, 3]"),
            std::string::npos)
      << t.status().message();
}

// fuzz/regressions/idx/zero_dim_with_huge_dims.idx: the zero dim made the
// size check pass (0 bytes), then Tensor's element count overflowed int64 on
// the dims before it.
TEST(IdxErrorTest, ZeroDimAfterDimsBeyondInt64) {
  const std::string b(
      "\x00\x00\x08\x04"
      "\xff\xff\xff\xff"
      "\xff\xff\xff\x00"
      "\x00\x00\x00\x00"
      "\x00\x03\x04\x00",
      20);
  auto t = DecodeIdx(b, "m.idx");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(t.status().message(),
            "m.idx: offset 20: IDX data size mismatch (dims [4294967295, 4294967040, 0, 197632] "
            "of uint8 need more than 2^63 bytes for their non-zero dims, got 0)");
  // Zero dims alone are a valid empty tensor.
  auto empty =
      DecodeIdx(std::string("\x00\x00\x08\x02\x00\x00\x00\x00\x00\x01\x00\x00", 12), "m.idx");
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_EQ(empty->shape(), (Shape{0, 65536}));
}

TEST(IdxErrorTest, ExtraTrailingData) {
  auto t = DecodeIdx(kUInt8Bytes + "z", "m.idx");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("need 6 bytes, got 7"), std::string::npos);
}

TEST_F(IdxFileTest, BrokenGzipNamesFile) {
  std::string path = JoinPath(dir_, "bad.gz");
  std::string gz = GzipCompress(kUInt8Bytes);
  gz.resize(gz.size() / 2);
  ASSERT_TRUE(WriteFileAtomic(path, gz).ok());
  auto t = ReadIdx(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(t.status().message().rfind(path + ": ", 0), 0u) << t.status().message();
  EXPECT_NE(t.status().message().find("gzip"), std::string::npos);
}

TEST_F(IdxFileTest, MissingFile) {
  auto t = ReadIdx(JoinPath(dir_, "none.gz"));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace edgepipe::io
