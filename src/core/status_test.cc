#include "src/core/status.h"

#include <gtest/gtest.h>

namespace edgepipe {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("x: " + std::to_string(x) + " is odd");
  return x / 2;
}

Status Quarter(int x, int* out) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(*out, Half(h));
  return Status::OK();
}

TEST(StatusTest, OkAndErrorsCarryCodeAndMessage) {
  EXPECT_TRUE(Status::OK().ok());
  Status s = Status::Corruption("f.tfrecord: offset 12: bad CRC");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.ToString(), "Corruption: f.tfrecord: offset 12: bad CRC");
  EXPECT_EQ(s.WithContext("reading").message(), "reading: f.tfrecord: offset 12: bad CRC");
}

TEST(StatusTest, MacrosPropagateTheFirstError) {
  int out = 0;
  EXPECT_TRUE(Quarter(12, &out).ok());
  EXPECT_EQ(out, 3);
  Status s = Quarter(6, &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "x: 3 is odd");
}

}  // namespace
}  // namespace edgepipe
