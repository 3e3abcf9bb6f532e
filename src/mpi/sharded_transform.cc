#include "src/mpi/sharded_transform.h"

#include <utility>

#include "src/core/byte_buffer.h"
#include "src/mpi/record_share.h"

namespace edgepipe::mpi {

namespace {

using transform::AnalyzerPartial;

// Rank 0's partials of one phase: its own merged with every other rank's,
// in rank order. The other ranks get theirs back; every rank returns the
// same status.
StatusOr<std::vector<AnalyzerPartial>> MergePhase(Collective& comm, int phase,
                                                  StatusOr<std::vector<AnalyzerPartial>> mine) {
  StatusOr<std::string> bytes = mine.status();
  if (mine.ok()) {
    ByteWriter w;
    for (const AnalyzerPartial& p : *mine) p.AppendTo(&w);
    bytes = w.Release();
  }
  RETURN_IF_ERROR(MergeShardsOnRoot(comm, bytes, [&](int rank, std::string_view theirs) {
    ByteReader r(theirs, "transform analysis pass " + std::to_string(phase) +
                             ": analyzer states of rank " + std::to_string(rank));
    for (AnalyzerPartial& p : *mine) RETURN_IF_ERROR(p.MergeFrom(&r));
    return r.ExpectEnd();
  }));
  return mine;
}

// Rank 0's `finished` (and, when OK, the phase's results) on every rank; the
// other ranks set the results in their graphs.
Status ShareResults(Collective& comm, transform::TransformGraph* graph, int phase,
                    const Status& finished) {
  const std::string what =
      "transform analysis pass " + std::to_string(phase) + ": results from rank 0";
  const StatusOr<std::string> mine =
      !finished.ok() ? StatusOr<std::string>(finished)
                     : StatusOr<std::string>(comm.is_root() ? graph->PhaseResults(phase) : "");
  ASSIGN_OR_RETURN(std::string results, BroadcastFromRoot(comm, mine, what));
  if (comm.is_root()) return Status::OK();
  return graph->SetPhaseResults(phase, results, what);
}

}  // namespace

Status ShardedAnalyze(Collective& comm, transform::TransformGraph* graph,
                      const std::vector<std::string>& files, ThreadPool* pool) {
  // The same arguments on every rank: every rank returns here together.
  if (files.empty() && !graph->analyzers().empty()) {
    return Status::InvalidArgument("transform: no files to analyze");
  }
  const int phases = graph->NumPhases();
  if (phases == 0) return Status::OK();
  ASSIGN_OR_RETURN(RecordShare share, ShareRecords(comm, files));
  for (int phase = 1; phase <= phases; ++phase) {
    StatusOr<std::vector<AnalyzerPartial>> mine =
        graph->AccumulatePhase(phase, share.files, share.record_begin, share.record_end, pool);
    ASSIGN_OR_RETURN(std::vector<AnalyzerPartial> merged, MergePhase(comm, phase, std::move(mine)));
    // Rank 0 finishes the phase (a vocabulary may still be too large there).
    const Status finished = comm.is_root() ? graph->FinishPhase(phase, merged) : Status::OK();
    RETURN_IF_ERROR(ShareResults(comm, graph, phase, finished));
  }
  return Status::OK();
}

StatusOr<int64_t> ShardedTransformFiles(Collective& comm, const transform::TransformGraph& graph,
                                        const std::vector<std::string>& input_files,
                                        const std::string& output_path, ThreadPool* pool) {
  ASSIGN_OR_RETURN(RecordShare share, ShareRecords(comm, input_files));
  StatusOr<int64_t> written = transform::TransformFiles(graph, share.files, output_path, pool,
                                                        share.record_begin, share.record_end);
  // The counts summed on rank 0 (agreeing on the status on the way), then
  // sent to every rank.
  StatusOr<std::string> mine = written.status();
  if (written.ok()) {
    ByteWriter w;
    w.Put<int64_t>(*written);
    mine = w.Release();
  }
  int64_t total = written.ok() ? *written : 0;
  RETURN_IF_ERROR(MergeShardsOnRoot(comm, mine, [&](int rank, std::string_view bytes) {
    ByteReader r(bytes, "transformed example count of rank " + std::to_string(rank));
    int64_t n = 0;
    RETURN_IF_ERROR(r.Get(&n));
    total += n;
    return r.ExpectEnd();
  }));
  ByteWriter w;
  w.Put<int64_t>(total);
  std::string bytes = w.Release();
  RETURN_IF_ERROR(comm.Broadcast(&bytes));
  ByteReader r(bytes, "transformed example count from rank 0");
  RETURN_IF_ERROR(r.Get(&total));
  return total;
}

}  // namespace edgepipe::mpi
