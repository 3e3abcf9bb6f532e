// One rank's share of the records of some TFRecord files, the one way the
// sharded passes over whole inputs cut them (ShardedStatistics,
// ShardedAnalyze, ShardedTransformFiles): with at least one file per rank,
// rank r takes files [F r / P, F (r + 1) / P) whole (an ExampleGen's
// shards: no rank reads another's); otherwise records [N r / P,
// N (r + 1) / P) of the files read one after another, N counted by every
// rank. Either way the shares in rank order are the records in order.
//
// Collective when the files are fewer than the ranks (the count is agreed
// on: every rank gets the lowest failing rank's read error); otherwise no
// communication. Every rank must pass the same list. `comm` is borrowed for
// the call.
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

}  // namespace edgepipe::mpi

#endif  // EDGEPIPE_MPI_RECORD_SHARE_H_
