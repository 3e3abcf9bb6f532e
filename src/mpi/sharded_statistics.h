// StatisticsGen's pass (data::ComputeStatistics) over the ranks of an MPI job,
// SPMD: each rank accumulates its share of the records (record_share.h:
// whole files balanced by bytes when there are at least as many as ranks, else a range of
// records) on its own threads, the accumulators are gathered to rank 0 and merged in rank
// order, and rank 0 finishes the statistics. Against one process:
//   - counts (examples, values, missing, NaNs, zeros), min/max, value-count
//     figures, string top values and byte totals: exact;
//   - mean and standard deviation: Chan's parallel merge of (n, mean, M2), as
//     between threads; equal up to the order of additions (~1e-15 relative);
//   - quantiles and histograms: through data::QuantileSketch. While a
//     feature has at most max_exact_distinct_numbers distinct values (4096 by
//     default: pixel intensities, labels, value counts) the sketch is exact
//     and so are they; past that it is a KLL sketch whose returned quantile's
//     rank is within eps * n of the requested one (eps <= 1.65% at 99%
//     confidence for k = 200), for one process as for P: the answer differs
//     between the two only within that bound.
// Failure and ownership as mpi::ShardedEvaluate (sharded_evaluate.h): every
// rank returns the lowest failing rank's error; `comm` and `pool` are borrowed.
#ifndef EDGEPIPE_MPI_SHARDED_STATISTICS_H_
#define EDGEPIPE_MPI_SHARDED_STATISTICS_H_

#include <optional>
#include <string>
#include <vector>

#include "src/core/collective.h"
#include "src/core/parallel.h"
#include "src/core/status.h"
#include "src/data/statistics.h"

namespace edgepipe::mpi {

// The statistics on rank 0; std::nullopt on the other ranks.
// options.record_begin/record_end are set here and must be left at defaults.
StatusOr<std::optional<data::tfmd::DatasetFeatureStatistics>> ShardedStatistics(
    Collective& comm, const std::vector<std::string>& files, const std::string& name,
    const data::StatisticsOptions& options, ThreadPool* pool);

}  // namespace edgepipe::mpi

#endif  // EDGEPIPE_MPI_SHARDED_STATISTICS_H_
