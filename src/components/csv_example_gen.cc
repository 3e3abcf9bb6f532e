#include "src/components/csv_example_gen.h"

#include <algorithm>
#include <tuple>

#include "src/core/files.h"
#include "src/io/example.h"

namespace edgepipe::components {
namespace {

// The output splits the options ask for: TFX's make_default_output_config
// when unset (train 2 : eval 1 for one input split, none for several).
std::vector<SplitConfig> OutputSplits(const CsvExampleGenOptions& options) {
  if (options.output_splits.has_value()) return *options.output_splits;
  if (options.input_splits.size() == 1) return {{"train", 2}, {"eval", 1}};
  return {};
}

// The column partition_feature_name names, checked as TFX's
// _GeneratePartitionKey checks the feature.
StatusOr<size_t> PartitionColumn(const CsvExampleGenOptions& options, const io::CsvColumns& columns,
                                 const std::string& first_file) {
  const std::string& name = options.partition_feature_name;
  auto it = std::find(columns.names.begin(), columns.names.end(), name);
  if (it == columns.names.end()) {
    return Status::InvalidArgument(first_file + ": partition_feature_name '" + name +
                                   "' is not a column (expected one of the header's names)");
  }
  const size_t column = static_cast<size_t>(it - columns.names.begin());
  const io::CsvType type = columns.types[column];
  if (type == io::CsvType::kFloat || type == io::CsvType::kUnknown) {
    return Status::InvalidArgument(
        first_file + ": partition_feature_name '" + name + "' is a " + io::CsvTypeName(type) +
        " column (expected INT or BYTES: TFX partitions by int64_list and bytes_list features" +
        (type == io::CsvType::kUnknown ? ", and this one is empty in every row)" : ")"));
  }
  return column;
}

// The first pass over one input split: its header and column types (and
// its row count). Under the MPI runner (`group`) every rank reads every row
// but types from every P-th row only, and the ranks merge: a column's type
// is the highest of its values', so the merge is the maximum over the ranks
// — the one-process types whatever the number of ranks. Every rank returns
// the same status.
StatusOr<io::CsvColumns> InferColumns(const CsvExampleGenOptions& options,
                                      const std::vector<std::string>& files, Collective* group) {
  if (group == nullptr) return io::InferCsvColumns(files, options.csv);
  StatusOr<io::CsvColumns> columns =
      io::InferCsvColumns(files, options.csv, {group->rank(), group->size()});
  RETURN_IF_ERROR(AgreeOnStatus(*group, columns.status()));
  // Per column, which of INT, FLOAT, BYTES this rank saw as its type; summed
  // over the ranks, the highest one seen anywhere is the type. The ranks read
  // the same header (the same files), so the vectors have the same length.
  constexpr int kKinds = 3;
  std::vector<double> seen(columns->types.size() * kKinds, 0.0);
  for (size_t c = 0; c < columns->types.size(); ++c) {
    const int t = static_cast<int>(columns->types[c]);
    if (t > 0) seen[c * kKinds + (t - 1)] = 1.0;
  }
  RETURN_IF_ERROR(group->AllreduceSum(seen.data(), static_cast<int64_t>(seen.size())));
  for (size_t c = 0; c < columns->types.size(); ++c) {
    io::CsvType type = io::CsvType::kUnknown;
    for (int t = kKinds; t >= 1; --t) {
      if (seen[c * kKinds + (t - 1)] > 0) {
        type = static_cast<io::CsvType>(t);
        break;
      }
    }
    columns->types[c] = type;
  }
  return columns;
}

// The second pass over one input split: the rows numbered [begin, end)
// (over the files in order; all of them in one process, this rank's
// contiguous share under the MPI runner, so the shards in rank order are the
// one-process stream) to Examples, into the writer (to `split` when
// pre-split, by hash otherwise: TFX's hash of the example, whatever the
// number of ranks, so an example lands in the same split).
Status ConvertSplit(const CsvExampleGenOptions& options, const std::vector<std::string>& files,
                    const io::CsvColumns& columns, int64_t begin, int64_t end, bool hashed,
                    size_t split, ExampleSplitWriter* writer) {
  std::optional<size_t> partition_column;
  if (hashed && !options.partition_feature_name.empty()) {
    ASSIGN_OR_RETURN(partition_column, PartitionColumn(options, columns, files.front()));
  }
  io::CsvExampleBuilder builder(columns);
  std::string key;
  int64_t row = 0;
  for (const std::string& path : files) {
    if (row >= end) break;
    ASSIGN_OR_RETURN(auto reader, io::CsvReader::Open(path, options.csv));
    if (reader->header() != columns.names) {
      return Status::FailedPrecondition(path + ": header changed since the types were inferred");
    }
    for (; row < end; ++row) {
      ASSIGN_OR_RETURN(bool more, reader->ReadRow());
      if (!more) break;
      if (row < begin) continue;
      RETURN_IF_ERROR(builder.FromRow(*reader));
      const std::string serialized = io::SerializeDeterministic(builder.example());
      if (!hashed) {
        RETURN_IF_ERROR(writer->AddToSplit(split, serialized));
      } else if (partition_column.has_value()) {
        key.clear();
        builder.feature(*partition_column).SerializeToString(&key);
        RETURN_IF_ERROR(writer->AddHashed(key, serialized));
      } else {
        RETURN_IF_ERROR(writer->AddHashed(serialized, serialized));
      }
    }
  }
  return Status::OK();
}

Status CheckFingerprint(const CsvExampleGenOptions& options, const ResolvedInput& input,
                        const std::string& expected, const char* when) {
  if (input.fingerprint == expected) return Status::OK();
  return Status::FailedPrecondition(options.input_base + ": input files changed " + when +
                                    " (their names, sizes or modification times differ from "
                                    "the fingerprint in the cache key; expected the files the "
                                    "component was built with — build it again)");
}

Status Generate(pipeline::ExecutionContext& ctx, const CsvExampleGenOptions& options,
                const std::string& built_fingerprint) {
  // Under the MPI runner every rank writes its own shard file per split
  // (data_tfrecord-<rank>-of-<ranks>.gz), as ImportExampleGen does. Every
  // step that can fail on some ranks only is agreed on before the next
  // collective.
  Collective* group =
      ctx.collective != nullptr && ctx.collective->size() > 1 ? ctx.collective : nullptr;
  auto agree = [group](const Status& mine) {
    return group != nullptr ? AgreeOnStatus(*group, mine) : mine;
  };
  ASSIGN_OR_RETURN(pipeline::Artifact * examples, ctx.SingleOutput("examples"));
  const std::vector<SplitConfig> output_splits = OutputSplits(options);
  const bool hashed = !output_splits.empty();
  ResolvedInput input;
  std::unique_ptr<ExampleSplitWriter> writer;
  const Status opened = [&]() -> Status {
    ASSIGN_OR_RETURN(input, ResolveInputSplits(options.input_base, options.input_splits));
    RETURN_IF_ERROR(
        CheckFingerprint(options, input, built_fingerprint, "since the component was built"));
    const int shard = group != nullptr ? group->rank() : 0;
    const int shards = group != nullptr ? group->size() : 1;
    ASSIGN_OR_RETURN(
        writer, hashed
                    ? ExampleSplitWriter::OpenHashed(examples->uri, output_splits, shard, shards)
                    : ExampleSplitWriter::OpenPreSplit(examples->uri, input.splits, shard, shards));
    return Status::OK();
  }();
  RETURN_IF_ERROR(agree(opened));
  for (size_t i = 0; i < input.splits.size(); ++i) {
    // TFX infers the column types per input split (one _CsvToExample each).
    ASSIGN_OR_RETURN(io::CsvColumns columns, InferColumns(options, input.files[i], group));
    int64_t begin = 0, end = columns.rows;
    if (group != nullptr) std::tie(begin, end) = ShardOf(*group, columns.rows);
    RETURN_IF_ERROR(
        agree(ConvertSplit(options, input.files[i], columns, begin, end, hashed, i, writer.get())));
  }
  // Both passes read what the cache key describes.
  StatusOr<ResolvedInput> after = ResolveInputSplits(options.input_base, options.input_splits);
  RETURN_IF_ERROR(agree(
      after.ok() ? CheckFingerprint(options, *after, built_fingerprint, "while they were read")
                 : after.status()));
  return writer->Publish(options.input_base, input.span, input.version, input.fingerprint, examples,
                         group);
}

}  // namespace

StatusOr<pipeline::Component> CsvExampleGen(const CsvExampleGenOptions& options) {
  const std::vector<SplitConfig> output_splits = OutputSplits(options);
  nlohmann::json split_config = nlohmann::json::object();
  if (!output_splits.empty()) {
    if (options.input_splits.size() != 1) {
      return Status::InvalidArgument(
          "CsvExampleGen: output splits need exactly one input split (got " +
          std::to_string(options.input_splits.size()) +
          "; pre-split input keeps its own splits: leave output_splits empty)");
    }
    ASSIGN_OR_RETURN(nlohmann::json splits, SplitConfigJson("CsvExampleGen", output_splits));
    split_config["splits"] = splits;
    if (!options.partition_feature_name.empty()) {
      split_config["partition_feature_name"] = options.partition_feature_name;
    }
  } else if (!options.partition_feature_name.empty()) {
    return Status::InvalidArgument(
        "CsvExampleGen: partition_feature_name '" + options.partition_feature_name +
        "' needs output hash splits (pre-split input is not split again)");
  }
  ASSIGN_OR_RETURN(ResolvedInput input,
                   ResolveInputSplits(options.input_base, options.input_splits));
  nlohmann::json input_splits = nlohmann::json::array();
  for (const InputSplit& split : input.splits) {
    input_splits.push_back({{"name", split.name}, {"pattern", split.pattern}});
  }

  pipeline::Component c;
  c.id = options.id;
  c.type = "CsvExampleGen";
  c.outputs = {{"examples", "Examples"}};
  c.exec_properties = {{"input_base", options.input_base},
                       {"input_config", {{"splits", input_splits}}},
                       {"output_config", {{"split_config", split_config}}},
                       {"span", input.span},
                       {"input_fingerprint", input.fingerprint}};
  if (input.version.has_value()) c.exec_properties["version"] = *input.version;
  c.runs_on_every_rank = true;  // a shard per rank under the MPI runner
  c.executor = [options, fingerprint = input.fingerprint](pipeline::ExecutionContext& ctx) {
    return Generate(ctx, options, fingerprint);
  };
  return c;
}

}  // namespace edgepipe::components
