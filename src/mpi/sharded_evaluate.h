// Evaluate() over the ranks of an MPI job (SPMD: every rank calls it with the
// same arguments): rank r evaluates a contiguous share of the records, the
// shards' accumulators are gathered to rank 0 and merged in rank order with
// Evaluator::Merge (a sum per computation, except MaxAbsOutputDifference's
// max: not a blind MPI sum), and rank 0 extracts metrics, plots and
// validation. Counts equal one process's exactly; metric values differ from
// one process's only by the order of floating-point additions (~1e-15
// relative). Bootstrap intervals are the same too: each shard resamples with
// its examples' global indices (EvaluateOptions::first_example_index).
//
// Sharding: every rank counts the records of `example_files` (a read of the
// files, without parsing), then takes records [N r / P, N (r + 1) / P).
//
// Failure: an error on any rank (a corrupt record in its share, a model
// error) is sent to rank 0 in place of its shard, and every rank returns the
// first failing rank's error, so the ranks never wait for one another in
// vain. MPI failures and timeouts come back from the Communicator (whose
// caller then aborts the job).
//
// `comm` (an mpi::Communicator, or any Collective: the pass itself needs no
// MPI) and the models are borrowed for the call; the Communicator's
// threading rules apply (call from the thread that owns MPI).
#ifndef EDGEPIPE_MPI_SHARDED_EVALUATE_H_
#define EDGEPIPE_MPI_SHARDED_EVALUATE_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "src/core/collective.h"
#include "src/core/status.h"
#include "src/eval/evaluator.h"

namespace edgepipe::mpi {

// The evaluation on rank 0; std::nullopt on the other ranks. Unimplemented
// for skip_missing_inputs with confidence intervals or max_examples (the
// global index of a shard's first example is then unknown before the pass);
// options.record_begin/record_end/first_example_index are set here and must
// be left at their defaults.
StatusOr<std::optional<eval::EvalResult>> ShardedEvaluate(
    Collective& comm, const eval::tfma::EvalConfig& config,
    const std::vector<std::string>& example_files, const std::vector<eval::ModelToEvaluate>& models,
    const eval::EvaluateOptions& options = {});

// The number of records in `files` (TFRecord, raw or gzip), read through.
StatusOr<int64_t> CountRecords(const std::vector<std::string>& files);

}  // namespace edgepipe::mpi

#endif  // EDGEPIPE_MPI_SHARDED_EVALUATE_H_
