// Gzip input (ISA-L's inflate): the gzip features real files use and the
// damage a reader must name, checked against zlib-written and hand-built
// streams.
#include "src/io/byte_stream.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

namespace edgepipe::io {
namespace {

StatusOr<std::string> Gunzip(std::string_view gz) { return GzipDecompress(gz, uint64_t{1} << 30); }

// Bytes that compress a little but not to nothing.
std::string Noise(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>('a' + rng() % 7);
  return s;
}

// A gzip member with the optional header fields gzip(1) and Python write
// (FNAME, FCOMMENT, FEXTRA, FHCRC), made by zlib.
std::string GzipWithHeaderFields(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  gz_header header{};
  std::string name = "digits.tfrecord", comment = "written by a test";
  std::string extra = "AB\x04\x00xyzw";
  header.name = reinterpret_cast<Bytef*>(name.data());
  header.comment = reinterpret_cast<Bytef*>(comment.data());
  header.extra = reinterpret_cast<Bytef*>(extra.data());
  header.extra_len = static_cast<uInt>(extra.size());
  header.hcrc = 1;
  header.os = 3;
  EXPECT_EQ(deflateSetHeader(&zs, &header), Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 256, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST(GzipInputTest, RoundTripAcrossManyBuffers) {
  std::string data = Noise(3 << 20, 1);  // several of the reader's refills
  auto out = Gunzip(GzipCompress(data));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, data);
}

TEST(GzipInputTest, ConcatenatedMembersAreReadInTurn) {
  std::string a = Noise(100000, 2), b = Noise(70000, 3);
  auto out = Gunzip(GzipCompress(a) + GzipCompress(b) + GzipCompress(""));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, a + b);
}

TEST(GzipInputTest, HeaderFieldsAreSkipped) {
  std::string data = Noise(50000, 4);
  auto out = Gunzip(GzipWithHeaderFields(data));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, data);
}

TEST(GzipInputTest, StreamedReadsOfOneByteSeeEveryByte) {
  std::string data = Noise(20000, 5);
  auto in = InputFromString(GzipCompress(data) + GzipCompress(data));
  ASSERT_TRUE(in->compressed());
  std::string got;
  char c;
  for (;;) {
    auto n = in->Read(&c, 1);
    ASSERT_TRUE(n.ok()) << n.status().message();
    if (*n == 0) break;
    got += c;
  }
  EXPECT_EQ(got, data + data);
}

TEST(GzipInputTest, TrailingBytesAfterAMemberNameTheirOffset) {
  std::string gz = GzipCompress(Noise(1000, 6));
  // Streamed: GzipDecompress would refuse "junk" read as a huge ISIZE first.
  auto in = InputFromString(gz + "junk");
  std::string buf(4096, '\0');
  auto out = in->Read(buf.data(), buf.size());
  ASSERT_TRUE(out.ok()) << out.status().message();  // the good bytes first
  EXPECT_EQ(*out, 1000u);
  out = in->Read(buf.data(), buf.size());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kCorruption);
  EXPECT_NE(out.status().message().find("trailing bytes after gzip stream at compressed byte " +
                                        std::to_string(gz.size())),
            std::string::npos)
      << out.status().message();
}

TEST(GzipInputTest, WrongCrcInTheTrailerIsCorruption) {
  std::string gz = GzipCompress(Noise(5000, 7));
  gz[gz.size() - 8] ^= 0x01;  // CRC-32, first of the trailer's 8 bytes
  auto out = Gunzip(gz);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kCorruption);
  EXPECT_NE(out.status().message().find("incorrect data check"), std::string::npos)
      << out.status().message();
}

TEST(GzipInputTest, WrongLengthInTheTrailerIsCorruption) {
  std::string data = Noise(5000, 8);
  std::string gz = GzipCompress(data);
  gz[gz.size() - 4] ^= 0x01;  // ISIZE, still below the cap
  auto out = Gunzip(gz);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kCorruption);
  EXPECT_NE(out.status().message().find("incorrect data check"), std::string::npos)
      << out.status().message();
}

TEST(GzipInputTest, DamagedDeflateDataIsCorruptionWithAnOffset) {
  std::string gz = GzipCompress(Noise(200000, 9));
  for (size_t i = 20; i < 60; ++i) gz[i] = static_cast<char>(0xff);
  auto out = Gunzip(gz);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kCorruption);
  EXPECT_NE(out.status().message().find("gzip data error: "), std::string::npos)
      << out.status().message();
  EXPECT_NE(out.status().message().find("near compressed byte "), std::string::npos)
      << out.status().message();
}

TEST(GzipInputTest, BadHeaderMethodIsNamed) {
  std::string gz = GzipCompress("hello");
  gz[2] = 7;  // CM must be 8 (deflate)
  auto out = Gunzip(gz);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kCorruption);
  EXPECT_NE(out.status().message().find("gzip data error"), std::string::npos)
      << out.status().message();
}

TEST(GzipInputTest, TruncationInsideTheSecondMemberIsNamed) {
  std::string a = GzipCompress(Noise(4000, 10));
  std::string b = GzipCompress(Noise(4000, 11));
  auto out = Gunzip(a + b.substr(0, b.size() / 2));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("truncated gzip stream"), std::string::npos)
      << out.status().message();
}

}  // namespace
}  // namespace edgepipe::io
