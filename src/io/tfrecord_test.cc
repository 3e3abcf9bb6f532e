#include "src/io/tfrecord.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "src/core/files.h"
#include "src/io/crc32c.h"
#include "src/io/tfrecord_format.h"

namespace edgepipe::io {
namespace {

using tfrecord::kHeaderSize;

// ---- byte surgery helpers -------------------------------------------------

uint32_t LE32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(s[at + i])} << (8 * i);
  return v;
}
void SetLE32(std::string* s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*s)[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void SetLE64(std::string* s, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) (*s)[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void FlipByte(std::string* s, size_t at) { (*s)[at] = static_cast<char>((*s)[at] ^ 0x5a); }
// Rewrites the length CRC of the record at `at` so it matches its length bytes.
void RechecksumLength(std::string* s, size_t at) {
  SetLE32(s, at + 8, crc32c::Mask(crc32c::Value(s->data() + at, 8)));
}

struct ReadResult {
  std::vector<std::string> records;
  Status status;
};

ReadResult ReadAll(std::string bytes) {
  ReadResult r;
  auto reader = TFRecordReader::FromString(std::move(bytes), "mem.tfrecord");
  std::string rec;
  while (true) {
    auto more = reader->ReadRecord(&rec);
    if (!more.ok()) {
      r.status = more.status();
      break;
    }
    if (!*more) break;
    r.records.push_back(rec);
  }
  return r;
}

const std::vector<std::string> kRecords = {"first", "", std::string(1000, 'x'), "last\0record"};

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "tfrecord_test_" + std::to_string(::getpid());
    ASSERT_TRUE(CreateDirectories(dir_).ok());
  }
  void TearDown() override { (void)RemoveAll(dir_); }
  std::string dir_;
};

// ---- format ---------------------------------------------------------------

TEST(TFRecordFormatTest, FramesExactlyAsTensorFlow) {
  std::string out;
  AppendRecord("abc", &out);
  ASSERT_EQ(out.size(), 3 + tfrecord::kOverheadSize);
  // u64 little-endian length.
  EXPECT_EQ(out.substr(0, 8), std::string("\x03\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(LE32(out, 8), crc32c::Mask(crc32c::Value(out.data(), 8)));
  EXPECT_EQ(out.substr(12, 3), "abc");
  EXPECT_EQ(LE32(out, 15), crc32c::Mask(crc32c::Value("abc")));
}

TEST(TFRecordFormatTest, EmptyRecordKnownBytes) {
  // Length 0. The expected CRCs come from the bitwise definition of CRC32C,
  // independent of the table and hardware paths under test.
  auto bitwise = [](const std::string& s) {
    uint32_t crc = 0xffffffffu;
    for (unsigned char c : s) {
      crc ^= c;
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ ((crc & 1u) ? 0x82F63B78u : 0u);
    }
    return ~crc;
  };
  auto mask = [](uint32_t c) { return ((c >> 15) | (c << 17)) + 0xa282ead8u; };
  std::string out;
  AppendRecord("", &out);
  ASSERT_EQ(out.size(), 16u);
  EXPECT_EQ(LE32(out, 8), mask(bitwise(std::string(8, '\0'))));
  EXPECT_EQ(LE32(out, 12), mask(0));
}

// ---- roundtrips -----------------------------------------------------------

TEST(TFRecordTest, InMemoryRoundTripRaw) {
  ReadResult r = ReadAll(EncodeRecords(kRecords));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.records, kRecords);
}

TEST(TFRecordTest, InMemoryRoundTripGzip) {
  std::string gz = EncodeRecords(kRecords, Compression::kGzip);
  ASSERT_TRUE(HasGzipMagic(gz));
  auto raw = GzipDecompress(gz);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, EncodeRecords(kRecords));
  ReadResult r = ReadAll(gz);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.records, kRecords);
}

TEST(TFRecordTest, EmptyStreamHasNoRecords) {
  ReadResult r = ReadAll("");
  EXPECT_TRUE(r.status.ok());
  EXPECT_TRUE(r.records.empty());
}

TEST_F(TempDir, FileRoundTripRawAndGzip) {
  for (Compression c : {Compression::kNone, Compression::kGzip}) {
    std::string path = JoinPath(dir_, c == Compression::kGzip ? "a.tfrecord.gz" : "a.tfrecord");
    ASSERT_TRUE(WriteAllRecords(path, kRecords, c).ok());
    auto bytes = ReadFile(path);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(HasGzipMagic(*bytes), c == Compression::kGzip);
    auto records = ReadAllRecords(path);
    ASSERT_TRUE(records.ok()) << records.status().message();
    EXPECT_EQ(*records, kRecords);
  }
}

TEST_F(TempDir, LargeGzipFileRoundTrip) {
  std::vector<std::string> many;
  for (int i = 0; i < 3000; ++i)
    many.push_back(std::string(static_cast<size_t>(i % 700), 'a' + i % 26));
  std::string path = JoinPath(dir_, "many.gz");
  ASSERT_TRUE(WriteAllRecords(path, many, Compression::kGzip).ok());
  auto records = ReadAllRecords(path);
  ASSERT_TRUE(records.ok()) << records.status().message();
  EXPECT_EQ(*records, many);
}

TEST_F(TempDir, WriterPublishesOnlyOnClose) {
  std::string path = JoinPath(dir_, "x.tfrecord.gz");
  {
    auto w = TFRecordWriter::Open(path, Compression::kGzip);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write("one").ok());
    EXPECT_FALSE(PathExists(path));  // still under the temp name
  }                                  // destroyed without Close(): like a killed writer
  EXPECT_FALSE(PathExists(path));
  auto left = ListDirectory(dir_);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty()) << "temp file left behind";

  auto w = TFRecordWriter::Open(path, Compression::kGzip);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write("one").ok());
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_TRUE(PathExists(path));
  EXPECT_EQ((*w)->records_written(), 1);
  EXPECT_FALSE((*w)->Write("two").ok());
  auto records = ReadAllRecords(path);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(*records, std::vector<std::string>{"one"});
}

TEST_F(TempDir, MissingFileIsNotFound) {
  auto r = ReadAllRecords(JoinPath(dir_, "nope.tfrecord"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_NE(r.status().message().find("nope.tfrecord"), std::string::npos);
}

// ---- one test per error path -----------------------------------------------

// Offset of record 2 in the raw stream of kRecords.
size_t ThirdRecordOffset() {
  return 2 * tfrecord::kOverheadSize + kRecords[0].size() + kRecords[1].size();
}

TEST(TFRecordErrorTest, TruncatedLength) {
  std::string bytes = EncodeRecords(kRecords);
  size_t at = ThirdRecordOffset();
  bytes.resize(at + 5);
  ReadResult r = ReadAll(bytes);
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.status.code(), Status::Code::kCorruption);
  EXPECT_EQ(r.status.message(), "mem.tfrecord: offset " + std::to_string(at) +
                                    ": truncated record header (expected 12 bytes: u64 length "
                                    "+ u32 length CRC, got 5)");
}

TEST(TFRecordErrorTest, TruncatedData) {
  std::string bytes = EncodeRecords(kRecords);
  size_t at = ThirdRecordOffset();
  bytes.resize(at + kHeaderSize + 400);
  ReadResult r = ReadAll(bytes);
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.status.code(), Status::Code::kCorruption);
  EXPECT_EQ(r.status.message(), "mem.tfrecord: offset " + std::to_string(at) +
                                    ": truncated record data (expected 1000 bytes, got 400)");
}

TEST(TFRecordErrorTest, TruncatedDataCrc) {
  std::string bytes = EncodeRecords({"abc"});
  bytes.resize(bytes.size() - 1);
  ReadResult r = ReadAll(bytes);
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(r.status.code(), Status::Code::kCorruption);
  EXPECT_NE(r.status.message().find("offset 0: truncated record data CRC"), std::string::npos)
      << r.status.message();
}

TEST(TFRecordErrorTest, LengthUnderTheCapOnShortDataIsTruncationNotAllocation) {
  std::string bytes = EncodeRecords({"abc"});
  SetLE64(&bytes, 0, uint64_t{60} << 20);
  RechecksumLength(&bytes, 0);
  ReadResult r = ReadAll(bytes);
  EXPECT_EQ(r.status.code(), Status::Code::kCorruption);
  EXPECT_NE(r.status.message().find("truncated record data (expected 62914560 bytes, got 7)"),
            std::string::npos)
      << r.status.message();
}

TEST(TFRecordErrorTest, LengthOverTheCapIsRefusedBeforeReadingTheData) {
  std::string bytes = EncodeRecords({"ok", "abc"});
  const size_t second = kHeaderSize + 2 + 4;
  SetLE64(&bytes, second, uint64_t{1} << 60);
  RechecksumLength(&bytes, second);
  ReadResult r = ReadAll(bytes);
  EXPECT_EQ(r.records, std::vector<std::string>{"ok"});
  EXPECT_EQ(r.status.code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(r.status.message(),
            "mem.tfrecord: offset 18: record length 1152921504606846976 bytes, expected at most "
            "67108864");
  // The cap is the reader's option.
  auto reader = TFRecordReader::FromString(EncodeRecords({"12345"}), "mem.tfrecord", 4);
  std::string rec;
  auto more = reader->ReadRecord(&rec);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.status().message(),
            "mem.tfrecord: offset 0: record length 5 bytes, expected at most 4");
}

TEST(TFRecordErrorTest, BadLengthCrc) {
  std::string bytes = EncodeRecords(kRecords);
  size_t at = ThirdRecordOffset();
  FlipByte(&bytes, at + 1);  // length now 0x5a?? bytes, CRC no longer matches
  uint32_t stored = LE32(bytes, at + 8);
  uint32_t expected = crc32c::Mask(crc32c::Value(bytes.data() + at, 8));
  ReadResult r = ReadAll(bytes);
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.status.code(), Status::Code::kCorruption);
  char buf[128];
  std::snprintf(buf, sizeof(buf), "record length CRC mismatch (expected 0x%08x, stored 0x%08x)",
                expected, stored);
  EXPECT_EQ(r.status.message(), "mem.tfrecord: offset " + std::to_string(at) + ": " + buf);
}

TEST(TFRecordErrorTest, BadDataCrc) {
  std::string bytes = EncodeRecords(kRecords);
  size_t at = ThirdRecordOffset();
  FlipByte(&bytes, at + kHeaderSize + 500);
  ReadResult r = ReadAll(bytes);
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.status.code(), Status::Code::kCorruption);
  EXPECT_NE(r.status.message().find("mem.tfrecord: offset " + std::to_string(at) +
                                    ": record data CRC mismatch (expected 0x"),
            std::string::npos)
      << r.status.message();
}

TEST(TFRecordErrorTest, ErrorIsSticky) {
  std::string bytes = EncodeRecords(kRecords);
  FlipByte(&bytes, kHeaderSize);  // data of record 0
  auto reader = TFRecordReader::FromString(bytes, "m");
  std::string rec;
  EXPECT_FALSE(reader->ReadRecord(&rec).ok());
  EXPECT_FALSE(reader->ReadRecord(&rec).ok());
}

TEST(TFRecordErrorTest, GzipMagicThenGarbage) {
  std::string bytes = "\x1f\x8b";
  bytes += "this is not a deflate stream at all, just garbage bytes";
  ReadResult r = ReadAll(bytes);
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(r.status.code(), Status::Code::kCorruption);
  EXPECT_NE(r.status.message().find("mem.tfrecord: offset 0: gzip data error"), std::string::npos)
      << r.status.message();
}

TEST(TFRecordErrorTest, TruncatedGzip) {
  std::string gz = EncodeRecords(kRecords, Compression::kGzip);
  gz.resize(gz.size() - 6);  // cut into the trailer
  ReadResult r = ReadAll(gz);
  EXPECT_EQ(r.status.code(), Status::Code::kCorruption);
  EXPECT_NE(r.status.message().find("truncated gzip stream"), std::string::npos)
      << r.status.message();
}

TEST(TFRecordErrorTest, NotGzipGarbageFailsOnLengthCrc) {
  ReadResult r = ReadAll("plain text that is neither gzip nor TFRecord");
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(r.status.code(), Status::Code::kCorruption);
  EXPECT_NE(r.status.message().find("mem.tfrecord: offset 0: record length CRC mismatch"),
            std::string::npos)
      << r.status.message();
}

}  // namespace
}  // namespace edgepipe::io
