#include "src/mpi/record_share.h"

#include <algorithm>
#include <tuple>

#include "src/core/byte_buffer.h"
#include "src/core/files.h"
#include "src/mpi/sharded_evaluate.h"

namespace edgepipe::mpi {
namespace {

// Rank 0's sizes of `files` on every rank, or rank 0's error on every rank.
StatusOr<std::vector<int64_t>> FileSizesOfRoot(Collective& comm,
                                               const std::vector<std::string>& files) {
  StatusOr<std::string> mine = std::string();
  if (comm.is_root()) {
    ByteWriter w;
    for (const std::string& file : files) {
      StatusOr<int64_t> size = FileSize(file);
      if (!size.ok()) return BroadcastFromRoot(comm, size.status(), "").status();
      w.Put<int64_t>(*size);
    }
    mine = w.Release();
  }
  const std::string what = "file sizes from rank 0";
  ASSIGN_OR_RETURN(std::string bytes, BroadcastFromRoot(comm, mine, what));
  ByteReader r(bytes, what);
  std::vector<int64_t> sizes(files.size());
  for (int64_t& size : sizes) RETURN_IF_ERROR(r.Get(&size));
  RETURN_IF_ERROR(r.ExpectEnd());
  return sizes;
}

}  // namespace

std::vector<size_t> PartitionFilesBySize(const std::vector<int64_t>& sizes, int ranks) {
  const size_t n = sizes.size();
  std::vector<int64_t> running(n + 1, 0);  // running[i]: bytes of files [0, i)
  for (size_t i = 0; i < n; ++i) running[i + 1] = running[i] + sizes[i];
  const double total = static_cast<double>(running[n]);
  std::vector<size_t> bounds(static_cast<size_t>(ranks) + 1, 0);
  bounds.back() = n;
  for (int r = 1; r < ranks; ++r) {
    const double target = total * r / ranks;
    // The first edge at or past the target, or the one before it if nearer.
    size_t edge = static_cast<size_t>(
        std::lower_bound(running.begin(), running.end(), target,
                         [](int64_t bytes, double t) { return static_cast<double>(bytes) < t; }) -
        running.begin());
    if (edge > 0 && target - static_cast<double>(running[edge - 1]) <=
                        static_cast<double>(running[std::min(edge, n)]) - target) {
      --edge;
    }
    // At least one file for this rank and for each rank after it.
    const size_t lowest = bounds[static_cast<size_t>(r) - 1] + 1;
    const size_t highest = n - static_cast<size_t>(ranks - r);
    bounds[static_cast<size_t>(r)] = std::clamp(edge, lowest, highest);
  }
  return bounds;
}

StatusOr<RecordShare> ShareRecords(Collective& comm, const std::vector<std::string>& files) {
  RecordShare share;
  if (files.size() >= static_cast<size_t>(comm.size())) {
    ASSIGN_OR_RETURN(std::vector<int64_t> sizes, FileSizesOfRoot(comm, files));
    const std::vector<size_t> bounds = PartitionFilesBySize(sizes, comm.size());
    const size_t rank = static_cast<size_t>(comm.rank());
    share.files.assign(files.begin() + static_cast<std::ptrdiff_t>(bounds[rank]),
                       files.begin() + static_cast<std::ptrdiff_t>(bounds[rank + 1]));
    return share;
  }
  StatusOr<int64_t> counted = CountRecords(files);
  RETURN_IF_ERROR(AgreeOnStatus(comm, counted.status()));
  share.files = files;
  std::tie(share.record_begin, share.record_end) = ShardOf(comm, *counted);
  return share;
}

}  // namespace edgepipe::mpi
