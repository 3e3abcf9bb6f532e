// Seeds of statistics_fuzzer and schema_fuzzer: FeatureStats.pb files as
// StatisticsGen writes them (data::StatisticsAccumulator over small example
// sets) and schema.pbtxt files as SchemaGen writes them (data::InferSchema,
// printed with TextFormat), plus one hand-written TFDV-style schema with
// comments and the fields inference never sets. Each inferred schema is read
// back with ParseTextProto first, so a seed that stops parsing fails here.
#include <google/protobuf/text_format.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/corpus.h"
#include "src/data/schema_inference.h"
#include "src/data/statistics.h"
#include "src/io/example.h"
#include "src/io/text_proto.h"

namespace edgepipe::fuzz {
namespace {

namespace tfmd = data::tfmd;

struct StatsSeed {
  std::string name;
  std::vector<tfmd::DatasetFeatureStatistics> splits;
};

StatusOr<tfmd::DatasetFeatureStatistics> Compute(const std::vector<tensorflow::Example>& examples,
                                                 const std::string& split) {
  // Small histograms keep the seeds small; the fuzzer mutates their shape.
  data::StatisticsOptions options;
  options.num_histogram_buckets = 4;
  options.num_quantiles_histogram_buckets = 4;
  options.num_values_histogram_buckets = 3;
  options.num_rank_histogram_buckets = 5;
  data::StatisticsAccumulator acc(options);
  for (const auto& e : examples) RETURN_IF_ERROR(acc.AddExample(e));
  return acc.Finish(split);
}

StatusOr<std::vector<StatsSeed>> MakeStatistics() {
  std::vector<StatsSeed> out;
  // MNIST's two features: a fixed 16-float vector (784 in MNIST) and a label.
  for (const std::string split : {"train", "eval"}) {
    std::vector<tensorflow::Example> examples(split == "train" ? 12 : 4);
    for (size_t i = 0; i < examples.size(); ++i) {
      std::vector<float> image(16);
      for (size_t p = 0; p < image.size(); ++p) image[p] = static_cast<float>((i + p) % 5) / 4;
      io::SetFloatFeature("image_floats", image, &examples[i]);
      io::SetInt64Feature("image_class", {static_cast<int64_t>(i % 10)}, &examples[i]);
    }
    ASSIGN_OR_RETURN(tfmd::DatasetFeatureStatistics stats, Compute(examples, split));
    if (out.empty()) out.push_back({"mnist", {}});
    out.back().splits.push_back(std::move(stats));
  }
  // Every kind: strings (a small domain), optional and variable-length
  // features, a feature with empty lists only, odd bytes in a value.
  std::vector<tensorflow::Example> mixed(9);
  for (size_t i = 0; i < mixed.size(); ++i) {
    tensorflow::Example& e = mixed[i];
    io::SetBytesFeature("payment_type", {i % 3 == 0 ? "Cash" : "Credit Card"}, &e);
    if (i % 2 == 0) io::SetFloatFeature("tips", {static_cast<float>(i) * 0.5f}, &e);
    std::vector<int64_t> ids(i % 4);
    for (size_t k = 0; k < ids.size(); ++k) ids[k] = static_cast<int64_t>(k * 1000 - 500);
    io::SetInt64Feature("ids", ids, &e);
    io::SetFloatFeature("empty", {}, &e);
    io::SetBytesFeature("raw", {std::string("\0\xff<b>", 5)}, &e);
  }
  ASSIGN_OR_RETURN(tfmd::DatasetFeatureStatistics mixed_stats, Compute(mixed, "train"));
  out.push_back({"mixed", {mixed_stats}});
  // No examples at all.
  ASSIGN_OR_RETURN(tfmd::DatasetFeatureStatistics empty, Compute({}, "train"));
  out.push_back({"no_examples", {empty}});
  return out;
}

// A schema as a person (or TFDV) writes one: comments, a named domain,
// environments, comparators, every presence and shape form.
constexpr char kHandWrittenSchema[] = R"pb(
  # TFDV-style schema with the fields SchemaGen does not infer.
  feature {
    name: "image_floats"
    type: FLOAT
    presence { min_fraction: 1.0 min_count: 1 }
    shape { dim { size: 784 name: "pixels" } }
    float_domain { min: 0 max: 1 disallow_nan: true disallow_inf: true }
  }
  feature {
    name: "image_class"
    type: INT
    value_count { min: 1 max: 1 }
    int_domain { min: 0 max: 9 is_categorical: true }
    skew_comparator { infinity_norm { threshold: 0.01 } }
    drift_comparator {
      jensen_shannon_divergence {
        threshold: 0.1
        source { type: QUANTILES }
      }
    }
  }
  feature {
    name: "payment_type"
    type: BYTES
    domain: "payment_type"
    in_environment: "TRAINING"
    not_in_environment: "SERVING"
  }
  string_domain { name: "payment_type" value: "Cash" value: "Credit Card" }
  int_domain { name: "ids" min: -500 max: 2500 }
  float_domain { name: "tips" min: 0 max: 4.5 }
  default_environment: "TRAINING"
  default_environment: "SERVING"
)pb";

}  // namespace

Status WriteStatisticsSeeds(const std::string& dir) {
  ASSIGN_OR_RETURN(std::vector<StatsSeed> seeds, MakeStatistics());
  for (const StatsSeed& seed : seeds) {
    // As StatisticsGen writes them: one dataset per file, and every split
    // in one list, as TFDV can write them.
    std::vector<std::pair<std::string, tfmd::DatasetFeatureStatisticsList>> lists;
    for (const auto& split : seed.splits) {
      lists.emplace_back(seed.name + "_" + split.name() + ".pb",
                         tfmd::DatasetFeatureStatisticsList());
      *lists.back().second.add_datasets() = split;
    }
    if (seed.splits.size() > 1) {
      lists.emplace_back(seed.name + "_all.pb", tfmd::DatasetFeatureStatisticsList());
      for (const auto& split : seed.splits) *lists.back().second.add_datasets() = split;
    }
    for (const auto& [name, list] : lists) {
      const std::string bytes = list.SerializeAsString();
      // What ReadStatistics would refuse is no seed (raw bytes in a proto3
      // string once made every such file unreadable).
      if (!tfmd::DatasetFeatureStatisticsList().ParseFromString(bytes)) {
        return Status::Internal(name + ": the seed does not parse back");
      }
      RETURN_IF_ERROR(WriteSeed(dir, name, bytes));
    }
  }
  return WriteSeed(dir, "empty_list.pb", "");
}

Status WriteSchemaSeeds(const std::string& dir) {
  ASSIGN_OR_RETURN(std::vector<StatsSeed> seeds, MakeStatistics());
  for (const StatsSeed& seed : seeds) {
    std::vector<data::NamedStatistics> named;
    for (const auto& split : seed.splits) named.push_back({split.name(), &split});
    for (const bool shape : {true, false}) {
      ASSIGN_OR_RETURN(tfmd::Schema schema,
                       data::InferSchema(named, {.infer_feature_shape = shape}));
      std::string text;
      if (!google::protobuf::TextFormat::PrintToString(schema, &text)) {
        return Status::Internal(seed.name + ": cannot print the schema");
      }
      tfmd::Schema back;
      RETURN_IF_ERROR(io::ParseTextProto(text, seed.name, &back));
      RETURN_IF_ERROR(
          WriteSeed(dir, seed.name + (shape ? "_shape" : "_value_count") + ".pbtxt", text));
    }
  }
  tfmd::Schema hand;
  RETURN_IF_ERROR(io::ParseTextProto(kHandWrittenSchema, "hand_written", &hand));
  return WriteSeed(dir, "hand_written.pbtxt", kHandWrittenSchema);
}

}  // namespace edgepipe::fuzz
