#include "src/mpi/sharded_statistics.h"

#include <tuple>

#include "src/mpi/sharded_evaluate.h"

namespace edgepipe::mpi {

StatusOr<std::optional<data::tfmd::DatasetFeatureStatistics>> ShardedStatistics(
    Collective& comm, const std::vector<std::string>& files, const std::string& name,
    const data::StatisticsOptions& options, ThreadPool* pool) {
  if (options.record_begin != 0 || options.record_end != -1) {
    return Status::InvalidArgument("sharded statistics: record_begin/record_end are set per rank");
  }
  StatusOr<data::StatisticsAccumulator> mine = Status::Internal("not accumulated");
  if (files.size() >= static_cast<size_t>(comm.size())) {
    // Whole files (an ExampleGen's shards): no rank reads another's.
    const auto [begin, end] = ShardOf(comm, static_cast<int64_t>(files.size()));
    const std::vector<std::string> share(files.begin() + begin, files.begin() + end);
    mine = data::AccumulateStatistics(share, options, pool);
  } else {
    StatusOr<int64_t> counted = CountRecords(files);
    RETURN_IF_ERROR(AgreeOnStatus(comm, counted.status()));
    data::StatisticsOptions shard = options;
    std::tie(shard.record_begin, shard.record_end) = ShardOf(comm, *counted);
    mine = data::AccumulateStatistics(files, shard, pool);
  }
  RETURN_IF_ERROR(MergeShardsOnRoot(
      comm, mine.ok() ? StatusOr<std::string>(mine->SerializeState()) : mine.status(),
      [&](int rank, std::string_view bytes) {
        return mine->MergeSerialized(bytes, "statistics of rank " + std::to_string(rank));
      }));
  if (!comm.is_root()) return std::optional<data::tfmd::DatasetFeatureStatistics>();
  return std::optional<data::tfmd::DatasetFeatureStatistics>(mine->Finish(name));
}

}  // namespace edgepipe::mpi
