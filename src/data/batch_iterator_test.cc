#include "src/data/batch_iterator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace edgepipe::data {
namespace {

// Row r: feature = [r, r + 0.5], label = 100 + r.
ExampleTable MakeTable(int64_t n) {
  ExampleTable t;
  t.num_examples = n;
  t.specs = {{"x", DType::kFloat32, 2}, {"y", DType::kInt64, 1}};
  Tensor x(DType::kFloat32, {n, 2});
  Tensor y(DType::kInt64, {n, 1});
  for (int64_t r = 0; r < n; ++r) {
    x.data<float>()[2 * r] = static_cast<float>(r);
    x.data<float>()[2 * r + 1] = static_cast<float>(r) + 0.5f;
    y.data<int64_t>()[r] = 100 + r;
  }
  t.columns.push_back(std::move(x));
  t.columns.push_back(std::move(y));
  return t;
}

// Drains the iterator; returns the row ids in order (checking the columns
// stayed aligned) and the batch sizes.
void Drain(BatchIterator* it, std::vector<int64_t>* rows, std::vector<int64_t>* sizes,
           int64_t max_batches = 1000) {
  std::vector<Tensor> batch = it->AllocateBatch();
  for (int64_t b = 0; b < max_batches; ++b) {
    auto n = it->Next(&batch);
    ASSERT_TRUE(n.ok()) << n.status().message();
    if (*n == 0) return;
    sizes->push_back(*n);
    for (int64_t i = 0; i < *n; ++i) {
      const float f = batch[0].data<float>()[2 * i];
      const auto r = static_cast<int64_t>(f);
      ASSERT_EQ(batch[0].data<float>()[2 * i + 1], f + 0.5f);
      ASSERT_EQ(batch[1].data<int64_t>()[i], 100 + r);
      rows->push_back(r);
    }
  }
}

TEST(BatchIteratorTest, NoShuffleIsSequentialWithPartialLastBatch) {
  ExampleTable t = MakeTable(10);
  auto it = BatchIterator::Create(&t, {"x", "y"}, {.batch_size = 4, .shuffle = false});
  ASSERT_TRUE(it.ok());
  EXPECT_EQ(it->batches_per_epoch(), 3);
  std::vector<int64_t> rows, sizes;
  Drain(&*it, &rows, &sizes);
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(rows, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(BatchIteratorTest, DropRemainder) {
  ExampleTable t = MakeTable(10);
  auto it = BatchIterator::Create(&t, {"x", "y"},
                                  {.batch_size = 4, .shuffle = false, .drop_remainder = true});
  ASSERT_TRUE(it.ok());
  EXPECT_EQ(it->batches_per_epoch(), 2);
  std::vector<int64_t> rows, sizes;
  Drain(&*it, &rows, &sizes);
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4}));
}

TEST(BatchIteratorTest, ShuffledEpochsArePermutationsAndDiffer) {
  ExampleTable t = MakeTable(50);
  auto it = BatchIterator::Create(&t, {"x", "y"}, {.batch_size = 7, .seed = 42, .num_epochs = 3});
  ASSERT_TRUE(it.ok());
  std::vector<int64_t> rows, sizes;
  Drain(&*it, &rows, &sizes);
  ASSERT_EQ(rows.size(), 150u);
  // Batches span epochs (repeat before batch): 21 full batches, then 3 rows.
  EXPECT_EQ(sizes.size(), 22u);
  EXPECT_EQ(sizes.back(), 150 % 7);
  std::vector<std::vector<int64_t>> epochs;
  for (int e = 0; e < 3; ++e) {
    std::vector<int64_t> ep(rows.begin() + 50 * e, rows.begin() + 50 * (e + 1));
    std::vector<int64_t> sorted = ep;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t r = 0; r < 50; ++r) ASSERT_EQ(sorted[r], r) << "epoch " << e;
    epochs.push_back(ep);
  }
  std::vector<int64_t> identity(50);
  for (int64_t r = 0; r < 50; ++r) identity[r] = r;
  EXPECT_NE(epochs[0], identity);
  EXPECT_NE(epochs[0], epochs[1]);  // reshuffled each epoch
  EXPECT_NE(epochs[1], epochs[2]);
}

TEST(BatchIteratorTest, SameSeedSameOrderOtherSeedOtherOrder) {
  ExampleTable t = MakeTable(64);
  auto order = [&](uint64_t seed) {
    auto it = BatchIterator::Create(&t, {"x", "y"}, {.batch_size = 8, .seed = seed});
    std::vector<int64_t> rows, sizes;
    Drain(&*it, &rows, &sizes);
    return rows;
  };
  EXPECT_EQ(order(1), order(1));
  EXPECT_NE(order(1), order(2));
}

TEST(BatchIteratorTest, RepeatForeverKeepsGoing) {
  ExampleTable t = MakeTable(5);
  auto it = BatchIterator::Create(&t, {"x", "y"}, {.batch_size = 3, .seed = 3, .num_epochs = -1});
  ASSERT_TRUE(it.ok());
  std::vector<int64_t> rows, sizes;
  Drain(&*it, &rows, &sizes, /*max_batches=*/10);
  EXPECT_EQ(sizes, std::vector<int64_t>(10, 3));
  EXPECT_EQ(it->rows_produced(), 30);
  EXPECT_EQ(it->epoch(), 6);  // 30 rows = 6 full epochs of 5; next row is from epoch 6
  for (int e = 0; e < 6; ++e) {
    std::set<int64_t> s(rows.begin() + 5 * e, rows.begin() + 5 * (e + 1));
    EXPECT_EQ(s.size(), 5u);
  }
}

TEST(BatchIteratorTest, TwoTensorNextAndColumnOrder) {
  ExampleTable t = MakeTable(3);
  auto it = BatchIterator::Create(&t, {"y", "x"}, {.batch_size = 3, .shuffle = false});
  ASSERT_TRUE(it.ok());
  std::vector<Tensor> batch = it->AllocateBatch();
  EXPECT_EQ(batch[0].dtype(), DType::kInt64);
  EXPECT_EQ(batch[1].shape(), (Shape{3, 2}));
  Tensor labels = std::move(batch[0]), features = std::move(batch[1]);
  const void* before = features.raw_data();
  auto n = it->Next(&labels, &features);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(features.raw_data(), before);  // filled in place
  EXPECT_EQ(labels.data<int64_t>()[2], 102);
  EXPECT_EQ(features.data<float>()[5], 2.5f);
  auto end = it->Next(&labels, &features);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, 0);
}

TEST(BatchIteratorTest, WrongBatchTensorIsInvalidArgument) {
  ExampleTable t = MakeTable(3);
  auto it = BatchIterator::Create(&t, {"x", "y"}, {.batch_size = 2});
  ASSERT_TRUE(it.ok());
  std::vector<Tensor> batch = it->AllocateBatch();
  batch[0] = Tensor(DType::kFloat32, {3, 2});
  auto n = it->Next(&batch);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(n.status().message().find("'x'"), std::string::npos);
}

TEST(BatchIteratorTest, BadOptions) {
  ExampleTable t = MakeTable(3);
  EXPECT_FALSE(BatchIterator::Create(&t, {"x"}, {.batch_size = 0}).ok());
  EXPECT_FALSE(BatchIterator::Create(&t, {"x"}, {.num_epochs = 0}).ok());
  EXPECT_FALSE(BatchIterator::Create(&t, {"z"}, {}).ok());
  EXPECT_FALSE(BatchIterator::Create(&t, {}, {}).ok());
  ExampleTable empty = MakeTable(0);
  EXPECT_FALSE(BatchIterator::Create(&empty, {"x"}, {.num_epochs = -1}).ok());
  auto once = BatchIterator::Create(&empty, {"x"}, {});
  ASSERT_TRUE(once.ok());
  std::vector<Tensor> b = once->AllocateBatch();
  EXPECT_EQ(*once->Next(&b), 0);
}

}  // namespace
}  // namespace edgepipe::data
