#include "src/core/tensor.h"

#include <gtest/gtest.h>

namespace edgepipe {
namespace {

TEST(TensorTest, ShapeBytesAndDeepCopy) {
  Tensor t = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(t.num_elements(), 6);
  EXPECT_EQ(t.num_bytes(), 24u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);
  Tensor copy = t;
  copy.data<float>()[0] = 10;
  EXPECT_EQ(t.data<float>()[0], 1);
  EXPECT_EQ(ShapeToString(t.shape()), "[2, 3]");
}

TEST(TensorTest, ReshapeChecksElementCount) {
  Tensor t(DType::kInt8, {4, 4});
  EXPECT_TRUE(t.Reshape({16}).ok());
  Status s = t.Reshape({3, 5});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "reshape [16] to [3, 5]: element counts differ");
}

}  // namespace
}  // namespace edgepipe
