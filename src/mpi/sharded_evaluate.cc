#include "src/mpi/sharded_evaluate.h"

#include <chrono>
#include <memory>
#include <tuple>

#include "src/core/byte_buffer.h"
#include "src/io/tfrecord.h"

namespace edgepipe::mpi {
namespace {

// A status as bytes: code, then message.
std::string EncodeStatus(const Status& s) {
  ByteWriter w;
  w.Put<int32_t>(static_cast<int32_t>(s.code()));
  w.PutString(s.message());
  return w.Release();
}

Status DecodeStatus(std::string_view bytes, const std::string& what) {
  ByteReader r(bytes, what);
  int32_t code = 0;
  std::string message;
  RETURN_IF_ERROR(r.Get(&code));
  RETURN_IF_ERROR(r.GetString(&message));
  switch (static_cast<Status::Code>(code)) {
    case Status::Code::kOk:
      return Status::OK();
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(message);
    case Status::Code::kNotFound:
      return Status::NotFound(message);
    case Status::Code::kCorruption:
      return Status::Corruption(message);
    case Status::Code::kIOError:
      return Status::IOError(message);
    case Status::Code::kFailedPrecondition:
      return Status::FailedPrecondition(message);
    case Status::Code::kUnimplemented:
      return Status::Unimplemented(message);
    case Status::Code::kResourceExhausted:
      return Status::ResourceExhausted(message);
    default:
      return Status::Internal(message);
  }
}

}  // namespace

StatusOr<int64_t> CountRecords(const std::vector<std::string>& files) {
  int64_t n = 0;
  std::string record;
  for (const std::string& file : files) {
    ASSIGN_OR_RETURN(std::unique_ptr<io::TFRecordReader> reader, io::TFRecordReader::Open(file));
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader->ReadRecord(&record));
      if (!more) break;
      ++n;
    }
  }
  return n;
}

Status AgreeOnStatus(Communicator& comm, const Status& mine) {
  ASSIGN_OR_RETURN(std::vector<std::string> all, comm.Gather(EncodeStatus(mine)));
  std::string verdict;
  if (comm.is_root()) {
    verdict = EncodeStatus(Status::OK());
    for (size_t r = 0; r < all.size(); ++r) {
      Status s = DecodeStatus(all[r], "status from rank " + std::to_string(r));
      if (!s.ok()) {
        verdict = EncodeStatus(s.WithContext("rank " + std::to_string(r)));
        break;
      }
    }
  }
  RETURN_IF_ERROR(comm.Broadcast(&verdict));
  return DecodeStatus(verdict, "verdict from rank 0");
}

std::pair<int64_t, int64_t> ShardOf(const Communicator& comm, int64_t n) {
  const int64_t p = comm.size(), r = comm.rank();
  return {n * r / p, n * (r + 1) / p};
}

Status MergeShardsOnRoot(Communicator& comm, const StatusOr<std::string>& mine,
                         const std::function<Status(int rank, std::string_view bytes)>& merge) {
  // Each rank sends "status, then its shard when OK".
  ByteWriter w;
  w.PutString(EncodeStatus(mine.status()));
  w.PutString(mine.ok() ? *mine : std::string());
  ASSIGN_OR_RETURN(std::vector<std::string> all, comm.Gather(w.Release()));
  Status merged = Status::OK();
  if (comm.is_root()) {
    for (size_t k = 0; k < all.size() && merged.ok(); ++k) {
      const std::string what = "shard of rank " + std::to_string(k);
      ByteReader reader(all[k], what);
      std::string status_bytes, shard_bytes;
      merged = reader.GetString(&status_bytes);
      if (merged.ok()) merged = reader.GetString(&shard_bytes);
      if (merged.ok()) merged = DecodeStatus(status_bytes, what);
      if (!merged.ok()) {
        merged = merged.WithContext("rank " + std::to_string(k));
      } else if (k > 0) {
        merged = merge(static_cast<int>(k), shard_bytes);
      }
    }
  }
  // Rank 0 tells everyone how it went, so all ranks return the same status.
  std::string verdict = comm.is_root() ? EncodeStatus(merged) : std::string();
  RETURN_IF_ERROR(comm.Broadcast(&verdict));
  return DecodeStatus(verdict, "verdict from rank 0");
}

StatusOr<std::optional<eval::EvalResult>> ShardedEvaluate(
    Communicator& comm, const eval::tfma::EvalConfig& config,
    const std::vector<std::string>& example_files, const std::vector<eval::ModelToEvaluate>& models,
    const eval::EvaluateOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  // Argument checks are the same on every rank, so every rank returns early
  // together without a collective.
  if (options.record_begin != 0 || options.record_end != -1 || options.first_example_index != 0) {
    return Status::InvalidArgument(
        "sharded evaluate: record_begin/record_end/first_example_index are set per rank");
  }
  if (options.skip_missing_inputs &&
      (options.max_examples >= 0 || config.options().compute_confidence_intervals().value())) {
    return Status::Unimplemented(
        "sharded evaluate: skip_missing_inputs with max_examples or confidence intervals");
  }
  // Local failures (a file that cannot be read here) are agreed on so that no
  // rank goes on to the gather alone.
  StatusOr<int64_t> counted = CountRecords(example_files);
  RETURN_IF_ERROR(AgreeOnStatus(comm, counted.status()));
  int64_t total = *counted;
  if (options.max_examples >= 0) total = std::min(total, options.max_examples);

  eval::EvaluateOptions shard = options;
  shard.max_examples = -1;
  std::tie(shard.record_begin, shard.record_end) = ShardOf(comm, total);
  // Without skipping, every record of the shard is an example.
  shard.first_example_index = shard.record_begin;

  StatusOr<eval::PartialEvaluation> partial =
      eval::EvaluatePartial(config, example_files, models, shard);
  RETURN_IF_ERROR(MergeShardsOnRoot(
      comm, partial.ok() ? StatusOr<std::string>(partial->Serialize()) : partial.status(),
      [&](int rank, std::string_view bytes) {
        return partial->MergeSerialized(bytes, options.max_disagreements,
                                        "shard of rank " + std::to_string(rank));
      }));
  if (!comm.is_root()) return std::optional<eval::EvalResult>();
  partial->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSIGN_OR_RETURN(eval::EvalResult result, eval::FinishEvaluation(config, example_files, models,
                                                                   options, std::move(*partial)));
  return std::optional<eval::EvalResult>(std::move(result));
}

}  // namespace edgepipe::mpi
