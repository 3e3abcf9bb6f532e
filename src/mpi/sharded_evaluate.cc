#include "src/mpi/sharded_evaluate.h"

#include <chrono>
#include <memory>
#include <tuple>

#include "src/io/tfrecord.h"

namespace edgepipe::mpi {
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

StatusOr<std::optional<eval::EvalResult>> ShardedEvaluate(
    Collective& comm, const eval::tfma::EvalConfig& config,
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
