#include "src/mpi/sharded_statistics.h"

#include "src/mpi/record_share.h"

namespace edgepipe::mpi {

StatusOr<std::optional<data::tfmd::DatasetFeatureStatistics>> ShardedStatistics(
    Collective& comm, const std::vector<std::string>& files, const std::string& name,
    const data::StatisticsOptions& options, ThreadPool* pool) {
  if (options.record_begin != 0 || options.record_end != -1) {
    return Status::InvalidArgument("sharded statistics: record_begin/record_end are set per rank");
  }
  ASSIGN_OR_RETURN(RecordShare share, ShareRecords(comm, files));
  data::StatisticsOptions shard = options;
  shard.record_begin = share.record_begin;
  shard.record_end = share.record_end;
  StatusOr<data::StatisticsAccumulator> mine = data::AccumulateStatistics(share.files, shard, pool);
  RETURN_IF_ERROR(MergeShardsOnRoot(
      comm, mine.ok() ? StatusOr<std::string>(mine->SerializeState()) : mine.status(),
      [&](int rank, std::string_view bytes) {
        return mine->MergeSerialized(bytes, "statistics of rank " + std::to_string(rank));
      }));
  if (!comm.is_root()) return std::optional<data::tfmd::DatasetFeatureStatistics>();
  return std::optional<data::tfmd::DatasetFeatureStatistics>(mine->Finish(name));
}

}  // namespace edgepipe::mpi
