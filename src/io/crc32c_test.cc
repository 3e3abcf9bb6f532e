#include "src/io/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace edgepipe::io::crc32c {
namespace {

// Known vectors: the CRC-32C check value (RFC 3720 / the Castagnoli paper's
// "123456789") and the iSCSI test patterns of RFC 3720 B.4.
TEST(Crc32cTest, CheckValue) { EXPECT_EQ(Value("123456789"), 0xE3069283u); }

TEST(Crc32cTest, Rfc3720Vectors) {
  std::string zeros(32, '\0');
  EXPECT_EQ(Value(zeros), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(Value(ones), 0x62A8AB43u);
  std::string inc(32, '\0');
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<char>(i);
  EXPECT_EQ(Value(inc), 0x46DD794Eu);
  std::string dec(32, '\0');
  for (int i = 0; i < 32; ++i) dec[i] = static_cast<char>(31 - i);
  EXPECT_EQ(Value(dec), 0x113FDB5Cu);
}

TEST(Crc32cTest, EmptyIsZero) { EXPECT_EQ(Value(""), 0u); }

TEST(Crc32cTest, ExtendEqualsWhole) {
  std::string s = "hello, tfrecord world: some bytes of unaligned length!";
  for (size_t split = 0; split <= s.size(); ++split) {
    uint32_t a = Value(s.data(), split);
    EXPECT_EQ(Extend(a, s.data() + split, s.size() - split), Value(s)) << split;
  }
}

TEST(Crc32cTest, HardwareMatchesPortable) {
  std::string s;
  for (int i = 0; i < 1000; ++i) s.push_back(static_cast<char>((i * 131 + 7) & 0xff));
  for (size_t off = 0; off < 9; ++off) {
    for (size_t n : {0u, 1u, 7u, 8u, 9u, 63u, 500u}) {
      EXPECT_EQ(Extend(0x1234u, s.data() + off, n), ExtendPortable(0x1234u, s.data() + off, n));
    }
  }
  EXPECT_EQ(ExtendPortable(0, "123456789", 9), 0xE3069283u);
}

TEST(Crc32cTest, MaskRoundTripsAndChangesValue) {
  for (uint32_t crc : {0u, 1u, 0xE3069283u, 0xffffffffu, 0x80000000u}) {
    EXPECT_NE(Mask(crc), crc);
    EXPECT_EQ(Unmask(Mask(crc)), crc);
  }
  // Mask(0) is the rotated zero plus the delta.
  EXPECT_EQ(Mask(0), 0xa282ead8u);
  // Rotation right by 15: bit 15 moves to bit 0.
  EXPECT_EQ(Mask(1u << 15), 1u + 0xa282ead8u);
}

}  // namespace
}  // namespace edgepipe::io::crc32c
