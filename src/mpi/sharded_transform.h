// Transform's passes (transform::Analyze and TransformFiles) over the ranks of
// an MPI job, SPMD: every rank calls them with the same graph (built by the
// same preprocessing_fn from the same schema) and the same file lists.
//
// ShardedAnalyze: per analysis phase, each rank accumulates the analyzers
// over its share of the records (record_share.h) on its own threads; the
// partial states (transform::AnalyzerPartial) are gathered to rank 0 and
// merged in rank order; rank 0 finishes the phase and broadcasts the results,
// which every rank sets in its graph before the next phase (a later phase
// applies this one's). Against one process:
//   - counts, min and max: exact;
//   - mean and variance: Chan's parallel merge of (n, mean, M2), as between
//     threads; equal up to the order of additions (~1e-15 relative);
//   - quantile boundaries: data::QuantileSketch. While the analyzed column
//     has at most 4096 distinct values the sketch is exact and the
//     boundaries equal one process's; past that it is a KLL sketch whose
//     boundary's rank is within eps * n of the requested one (eps <= 1.65%
//     at 99% confidence for k = 200, one more compaction's worth for the
//     merge), for one process as for P: the two differ only within that;
//   - vocabularies: exact counts per value merged first, then tf.Transform's
//     order (frequency, then value descending), top_k and
//     frequency_threshold over the merged counts: identical.
// Every rank ends with the same analyzed graph (bit for bit: the results
// travel as bytes, not JSON).
//
// ShardedTransformFiles: each rank transforms its share of `input_files`
// into `output_path` (its own shard file: the caller names it by rank), so
// the shard files read in rank order hold one process's transformed
// examples in one process's order.
//
// Failure (as sharded_evaluate.h): an error on any rank (a corrupt record in
// its share, a vocabulary too large) is sent to rank 0 in place of its
// state, and every rank returns the lowest failing rank's error; no rank
// waits in vain. MPI failures and timeouts come back from the Collective
// (whose caller then aborts the job). `comm`, `graph` and `pool` are
// borrowed for the call; the Collective's threading rules apply.
#ifndef EDGEPIPE_MPI_SHARDED_TRANSFORM_H_
#define EDGEPIPE_MPI_SHARDED_TRANSFORM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "src/core/collective.h"
#include "src/core/parallel.h"
#include "src/core/status.h"
#include "src/transform/transform_graph.h"

namespace edgepipe::mpi {

// Analyzes `graph` on every rank. InvalidArgument (on every rank) if the
// graph has analyzers and `files` is empty.
Status ShardedAnalyze(Collective& comm, transform::TransformGraph* graph,
                      const std::vector<std::string>& files, ThreadPool* pool);

// The number of examples written by all ranks together, on every rank.
StatusOr<int64_t> ShardedTransformFiles(Collective& comm, const transform::TransformGraph& graph,
                                        const std::vector<std::string>& input_files,
                                        const std::string& output_path, ThreadPool* pool);

}  // namespace edgepipe::mpi

#endif  // EDGEPIPE_MPI_SHARDED_TRANSFORM_H_
