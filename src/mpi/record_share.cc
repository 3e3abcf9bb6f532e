#include "src/mpi/record_share.h"

#include <tuple>

#include "src/mpi/sharded_evaluate.h"

namespace edgepipe::mpi {

StatusOr<RecordShare> ShareRecords(Collective& comm, const std::vector<std::string>& files) {
  RecordShare share;
  if (files.size() >= static_cast<size_t>(comm.size())) {
    const auto [begin, end] = ShardOf(comm, static_cast<int64_t>(files.size()));
    share.files.assign(files.begin() + begin, files.begin() + end);
    return share;
  }
  StatusOr<int64_t> counted = CountRecords(files);
  RETURN_IF_ERROR(AgreeOnStatus(comm, counted.status()));
  share.files = files;
  std::tie(share.record_begin, share.record_end) = ShardOf(comm, *counted);
  return share;
}

}  // namespace edgepipe::mpi
