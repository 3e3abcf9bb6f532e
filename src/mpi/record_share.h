// One rank's share of the records of some TFRecord files, the one way the
// sharded passes over whole inputs cut them (ShardedStatistics,
// ShardedAnalyze, ShardedTransformFiles). Either way the shares in rank
// order are the records in order.
//
// - At least one file per rank: whole files, contiguous, cut where the
//   running total of file bytes is nearest to an equal share of the bytes
//   (PartitionFilesBySize), so 2 ranks over a 60,000- and a 10,000-record
//   file do not get one file each. No rank reads another's file: a
//   compressed file cannot be entered in the middle, so a record range
//   would make the later rank inflate (and the planning count) everything
//   before it, which costs more than the imbalance saves (about half of the
//   statistics pass over gzip'd Fashion-MNIST is inflating).
// - Fewer files than ranks: records [N r / P, N (r + 1) / P) of the files
//   read one after another, N counted by every rank.
//
// Collective: rank 0's file sizes are sent to every rank (so every rank
// plans the same cut), or the record count is agreed on; every rank gets the
// lowest failing rank's error. Every rank must pass the same list. `comm` is
// borrowed for the call.
#ifndef EDGEPIPE_MPI_RECORD_SHARE_H_
#define EDGEPIPE_MPI_RECORD_SHARE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "src/core/collective.h"
#include "src/core/status.h"

namespace edgepipe::mpi {

struct RecordShare {
  std::vector<std::string> files;  // to read, in order
  int64_t record_begin = 0;        // records [record_begin, record_end) of `files`
  int64_t record_end = -1;         // -1: to the end
};

StatusOr<RecordShare> ShareRecords(Collective& comm, const std::vector<std::string>& files);

// The file boundaries of `ranks` contiguous shares of files of these sizes
// (ranks + 1 indices, first 0, last sizes.size(); sizes.size() >= ranks):
// boundary r is the file edge whose running byte total is nearest to
// total * r / ranks (the lower one on a tie), moved as little as needed so
// that every share has at least one file.
std::vector<size_t> PartitionFilesBySize(const std::vector<int64_t>& sizes, int ranks);

}  // namespace edgepipe::mpi

#endif  // EDGEPIPE_MPI_RECORD_SHARE_H_
