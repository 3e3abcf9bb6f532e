// How the sharded passes cut their input files among ranks (record_share.h):
// the byte-balanced whole-file partition, and ShareRecords on ranks that are
// threads of this process (tests/support/thread_collective.h).
#include "src/mpi/record_share.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "src/io/tfrecord.h"
#include "tests/support/temp_dir.h"
#include "tests/support/thread_collective.h"

namespace edgepipe::mpi {
namespace {

using ::testing::ElementsAre;
using testing::RunOnRanks;

TEST(PartitionFilesBySizeTest, CutsWhereTheRunningBytesAreNearestAnEqualShare) {
  // Fashion-MNIST's train and test files on 2 ranks: one each (no edge is
  // nearer the half, 35, than 60).
  EXPECT_THAT(PartitionFilesBySize({60, 10}, 2), ElementsAre(0, 1, 2));
  // A 2-rank ExampleGen's shards of both splits on 2 ranks: the train shards
  // apart, not train on one rank and test on the other.
  EXPECT_THAT(PartitionFilesBySize({30, 30, 5, 5}, 2), ElementsAre(0, 1, 4));
  EXPECT_THAT(PartitionFilesBySize({10, 10, 10, 10, 10, 10}, 3), ElementsAre(0, 2, 4, 6));
  // One large file first: both cuts are nearest its end, so the second
  // moves one file on to give rank 1 a file.
  EXPECT_THAT(PartitionFilesBySize({90, 1, 1, 1, 1, 1, 1}, 3), ElementsAre(0, 1, 2, 7));
  EXPECT_THAT(PartitionFilesBySize({1, 1, 1, 40, 1, 1, 1, 1, 1}, 2), ElementsAre(0, 4, 9));
  // Ties go to the lower edge.
  EXPECT_THAT(PartitionFilesBySize({10, 10}, 2), ElementsAre(0, 1, 2));
  EXPECT_THAT(PartitionFilesBySize({5, 10, 5}, 2), ElementsAre(0, 1, 3));
}

TEST(PartitionFilesBySizeTest, EveryRankGetsAFileEvenWhenTheBytesSayOtherwise) {
  EXPECT_THAT(PartitionFilesBySize({1, 1, 100}, 3), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(PartitionFilesBySize({100, 1, 1}, 3), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(PartitionFilesBySize({0, 0, 0, 0}, 2), ElementsAre(0, 1, 4));
  EXPECT_THAT(PartitionFilesBySize({7}, 1), ElementsAre(0, 1));
}

class ShareRecordsTest : public ::testing::Test {
 protected:
  // Every rank's share of `files` on `ranks` thread ranks, all asserted OK.
  static std::vector<RecordShare> Shares(const std::vector<std::string>& files, int ranks) {
    std::mutex mu;
    std::vector<RecordShare> shares(static_cast<size_t>(ranks));
    const std::vector<Status> statuses = RunOnRanks(ranks, [&](Collective& comm) -> Status {
      ASSIGN_OR_RETURN(RecordShare share, ShareRecords(comm, files));
      std::lock_guard<std::mutex> lock(mu);
      shares[static_cast<size_t>(comm.rank())] = share;
      return Status::OK();
    });
    for (const Status& s : statuses) EXPECT_TRUE(s.ok()) << s.ToString();
    return shares;
  }

  // A file of `records` 100-byte records.
  std::string Write(const std::string& name, int records) {
    const std::string path = dir_ + "/" + name;
    EXPECT_TRUE(io::WriteAllRecords(
                    path,
                    std::vector<std::string>(static_cast<size_t>(records), std::string(100, 'x')),
                    io::Compression::kNone)
                    .ok());
    return path;
  }
  std::string dir_ = edgepipe::testing::FreshTempDir("record_share");
};

TEST_F(ShareRecordsTest, WholeFilesBalancedByBytes) {
  const std::vector<std::string> files = {Write("a", 300), Write("b", 300), Write("c", 50),
                                          Write("d", 50)};
  const std::vector<RecordShare> shares = Shares(files, 2);
  EXPECT_EQ(shares[0].files, std::vector<std::string>({files[0]}));
  EXPECT_EQ(shares[1].files, std::vector<std::string>({files[1], files[2], files[3]}));
  for (const RecordShare& share : shares) {
    EXPECT_EQ(share.record_begin, 0);
    EXPECT_EQ(share.record_end, -1);
  }
}

TEST_F(ShareRecordsTest, FewerFilesThanRanksSplitsTheRecords) {
  const std::vector<std::string> files = {Write("a", 10)};
  const std::vector<RecordShare> shares = Shares(files, 3);
  EXPECT_EQ(shares[0].record_begin, 0);
  EXPECT_EQ(shares[0].record_end, 3);
  EXPECT_EQ(shares[1].record_begin, 3);
  EXPECT_EQ(shares[1].record_end, 6);
  EXPECT_EQ(shares[2].record_begin, 6);
  EXPECT_EQ(shares[2].record_end, 10);
}

TEST_F(ShareRecordsTest, AMissingFileIsNotFoundOnEveryRank) {
  const std::vector<std::string> files = {Write("a", 3), dir_ + "/missing"};
  const std::vector<Status> statuses =
      RunOnRanks(2, [&](Collective& comm) { return ShareRecords(comm, files).status(); });
  for (const Status& s : statuses) {
    EXPECT_EQ(s.code(), Status::Code::kNotFound) << s.ToString();
    EXPECT_NE(s.message().find(dir_ + "/missing"), std::string::npos) << s.ToString();
  }
}

}  // namespace
}  // namespace edgepipe::mpi
