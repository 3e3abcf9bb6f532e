// tf.Transform in C++: a `preprocessing_fn` builds a TransformGraph of
// mappers over raw features; Analyze() computes its analyzers in full passes
// over the data; the analyzed graph then transforms any example, the same way
// in training (Transform's `transformed_examples`) and serving (the layers
// and ops the exported models carry, tf_transform_output.h).
//
// Writing a preprocessing_fn (TFX's mnist_utils, in C++):
//
//   Status PreprocessingFn(const transform::Inputs& inputs, transform::Outputs* outputs) {
//     (*outputs)["image_floats_xf"] = transform::ScaleByMinMax(inputs["image_floats"], -0.5, 0.5);
//     (*outputs)["image_class_xf"] = inputs["image_class"];
//     return Status::OK();
//   }
//
// Values. A column holds, per example, a list of values of one kind (float,
// int64 or bytes — the three tf.Example lists), or nothing when the example
// lacks the feature; every mapper maps an absent input to an absent output
// and a list element by element (a 784-float image stays 784 floats).
//
// Analyzers (tf.Transform's, with reduce_instance_dims=True: one result over
// every value of every example of the analyzed splits; NaNs skipped):
//   min/max; mean and population variance (Chan's parallel merge, double);
//   quantiles (num_buckets - 1 boundaries at the i/num_buckets quantiles, from
//   data::QuantileSketch: exact up to 4096 distinct values, KLL beyond);
//   vocabulary (values by frequency, most frequent first, ties by value in
//   descending byte order as tf.Transform orders them; int64 values as
//   decimal strings; then top_k and frequency_threshold). Analyzers used by
//   several mappers are computed once; an analyzer over a column that itself
//   depends on an analyzer is computed in a later pass (tf.Transform's
//   phases). Results are stored in the graph (transform_graph.json).
//
// Mappers (tf.Transform's names and rules):
//   ScaleByMinMax(x, lo, hi) = (x - min) / (max - min) * (hi - lo) + lo, and
//     (lo + hi) / 2 when min == max;  ScaleTo01(x) = ScaleByMinMax(x, 0, 1);
//   ScaleToZScore(x) = (x - mean) / sqrt(var), and x - mean when var == 0.
//     These three are affine: each is evaluated as x * scale + offset in
//     float, with scale and offset computed once in double and rounded to
//     float — what a Keras Rescaling layer or a TFLite MUL + ADD computes —
//     so training data and the exported models agree to float rounding.
//     Output float.
//   Bucketize(x, n): the number of quantile boundaries <= x (0..n-1), int64;
//     NaN goes to bucket 0.
//   ComputeAndApplyVocabulary(x, top_k, frequency_threshold, num_oov_buckets,
//     default_value): a value's index in the vocabulary; other values get
//     default_value (-1), or with num_oov_buckets > 0 the bucket
//     vocabulary_size + h(value) % num_oov_buckets, where h is the first 8
//     bytes of the value's SHA-256 (tf.Transform uses TF's FarmHash here: OOV
//     bucket numbers differ from TFT's). int64.
//   Log(x): natural logarithm, float (log 0 = -inf, negative -> NaN, as TF).
//   Clip(x, lo, hi): min(max(x, lo), hi); keeps the kind of x (float/int64).
// Misuse (a numeric mapper on bytes, an unknown feature, bad parameters) is
// recorded and returned by BuildTransformGraph as InvalidArgument naming the
// mapper and the feature.
//
// Thread-safety: a TransformGraph is a value; const methods may be called
// from many threads at once (TransformExample takes per-thread scratch).
#ifndef EDGEPIPE_TRANSFORM_TRANSFORM_GRAPH_H_
#define EDGEPIPE_TRANSFORM_TRANSFORM_GRAPH_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "src/core/byte_buffer.h"
#include "src/core/parallel.h"
#include "src/core/status.h"
#include "src/data/proto/schema.pb.h"
#include "src/data/quantile_sketch.h"
#include "src/io/example.pb.h"

namespace edgepipe::transform {

namespace tfmd = ::tensorflow::metadata::v0;

enum class ValueKind { kFloat, kInt64, kBytes };
const char* ValueKindName(ValueKind kind);  // "float", "int64", "bytes"

struct Analyzer {
  enum class Kind { kMinMax, kMeanVar, kQuantiles, kVocabulary };
  Kind kind = Kind::kMinMax;
  int input = -1;  // node id of the analyzed column
  // Parameters.
  int num_buckets = 0;              // kQuantiles
  int64_t top_k = -1;               // kVocabulary; -1: all
  int64_t frequency_threshold = 0;  // kVocabulary; keep values seen >= this often
  // Results (valid once `analyzed`).
  bool analyzed = false;
  int64_t count = 0;                    // values seen (NaN excluded)
  double min = 0, max = 0;              // kMinMax
  double mean = 0, variance = 0;        // kMeanVar (population variance)
  std::vector<double> boundaries;       // kQuantiles: num_buckets - 1, ascending
  std::vector<std::string> vocabulary;  // kVocabulary, in order
  std::vector<int64_t> frequencies;     // kVocabulary, per entry
};

struct Node {
  enum class Op {
    kInput,
    kScaleByMinMax,
    kScaleTo01,
    kScaleToZScore,
    kBucketize,
    kApplyVocabulary,
    kLog,
    kClip
  };
  Op op = Op::kInput;
  ValueKind kind = ValueKind::kFloat;  // of the output
  int64_t fixed_length = -1;           // values per example when always the same, else -1
  std::string feature;                 // kInput: the raw feature
  int input = -1;                      // the mapped node (all but kInput)
  int analyzer = -1;                   // the analyzer it uses, or -1
  double param_a = 0, param_b = 0;     // lo/hi of ScaleByMinMax and Clip
  int64_t num_oov_buckets = 0, default_value = -1;  // kApplyVocabulary
};

const char* OpName(Node::Op op);  // "input", "scale_by_min_max", ...

// The partial state of one analyzer over some of the data (one thread's
// share of a pass, or one MPI rank's: src/mpi/sharded_transform.h), which
// merges with the others' into the state over all of it:
//   count, min and max: exact;
//   mean and M2 (the sum of squared deviations): Chan et al.'s parallel
//     merge, equal to one pass's up to the order of additions (~1e-15);
//   sketch (kQuantiles): data::QuantileSketch's merge (exact while at most
//     4096 distinct values, KLL beyond: see quantile_sketch.h for the bound);
//   counts (kVocabulary): exact counts per value; the order, top_k and
//     frequency_threshold apply only to the merged counts
//     (TransformGraph::FinishPhase).
// A value type (move-only for its sketch); not thread-safe.
struct AnalyzerPartial {
  int64_t count = 0;
  double min = 0, max = 0;  // valid when count > 0
  double mean = 0, m2 = 0;
  std::unique_ptr<data::QuantileSketch> sketch;  // kQuantiles only
  std::unordered_map<std::string, int64_t> counts;

  void AddNumber(double x) {
    if (count == 0) {
      min = max = x;
    } else {
      min = std::min(min, x);
      max = std::max(max, x);
    }
    ++count;
    const double delta = x - mean;
    mean += delta / static_cast<double>(count);
    m2 += delta * (x - mean);
    if (sketch) sketch->Add(x);
  }
  void Merge(const AnalyzerPartial& other);
  // As bytes for another process (host byte order: ranks of one job), and
  // merged back: Corruption naming the ByteReader's `what` if they do not
  // parse or do not match this partial's kind (a sketch on one side only).
  void AppendTo(ByteWriter* w) const;
  Status MergeFrom(ByteReader* r);
};

// One column's values for one example (used by EvaluateNode's visitor).
struct Values {
  ValueKind kind = ValueKind::kFloat;
  bool present = false;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> bytes;
  size_t size() const;
};

class TransformGraph;

// A symbolic column inside a preprocessing_fn. Copyable handle; valid while
// the graph being built lives (the duration of the preprocessing_fn call).
class Column {
 public:
  Column() = default;
  Column(TransformGraph* graph, int node) : graph_(graph), node_(node) {}
  TransformGraph* graph() const { return graph_; }
  int node() const { return node_; }
  bool valid() const { return graph_ != nullptr && node_ >= 0; }

 private:
  TransformGraph* graph_ = nullptr;
  int node_ = -1;
};

// The raw features a preprocessing_fn reads, as the schema declares them.
class Inputs {
 public:
  explicit Inputs(TransformGraph* graph) : graph_(graph) {}
  // The raw feature `name`; unknown names are recorded as an error (the
  // returned column is then invalid and mappers pass it through as invalid).
  Column operator[](const std::string& name) const;

 private:
  TransformGraph* graph_;
};

using Outputs = std::map<std::string, Column>;
// tf.Transform's preprocessing_fn: fills `outputs` (transformed feature name
// -> column). A non-OK return fails the Transform with that error.
using PreprocessingFn = std::function<Status(const Inputs& inputs, Outputs* outputs)>;

// Mappers (see the header comment).
Column ScaleByMinMax(Column x, double output_min = 0.0, double output_max = 1.0);
Column ScaleTo01(Column x);
Column ScaleToZScore(Column x);
Column Bucketize(Column x, int num_buckets);
Column ComputeAndApplyVocabulary(Column x, int64_t top_k = -1, int64_t frequency_threshold = 0,
                                 int64_t num_oov_buckets = 0, int64_t default_value = -1);
Column Log(Column x);
Column Clip(Column x, double lo, double hi);

// Per-thread buffers of TransformExample.
struct TransformScratch;
struct TransformScratchDeleter {
  void operator()(TransformScratch* s) const;
};
using TransformScratchPtr = std::unique_ptr<TransformScratch, TransformScratchDeleter>;

class TransformGraph {
 public:
  TransformGraph() = default;

  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<Analyzer>& analyzers() const { return analyzers_; }
  // Output feature name -> node id, in name order.
  const std::map<std::string, int>& outputs() const { return outputs_; }
  // The raw input features the graph reads, by name.
  struct RawFeature {
    ValueKind kind = ValueKind::kFloat;
    int64_t fixed_length = -1;  // from the schema's shape; -1 if none
    bool required = false;      // the schema says every example has it
  };
  const std::map<std::string, RawFeature>& raw_features() const { return raw_features_; }
  bool analyzed() const;

  // Building (used by Inputs and the mappers while a preprocessing_fn runs).
  // The kInput node of raw feature `name`, created on first use; -1 (and a
  // recorded error) if the schema lacks it.
  int InputNode(const std::string& name);
  int AddNode(Node node);
  int AddAnalyzer(Analyzer analyzer);            // returns an equal existing one if any
  void RecordError(const std::string& message);  // keeps the first

  // Analysis passes needed: 0 without analyzers.
  int NumPhases() const;
  // The analyzers of pass `phase` (1-based).
  std::vector<int> AnalyzersOfPhase(int phase) const;

  // Analysis one phase at a time, in parts (Analyze does all of it in one
  // process; src/mpi/sharded_transform.h across the ranks of a job):
  // AccumulatePhase gives the partial states of the analyzers of `phase`
  // (AnalyzersOfPhase order) over records [record_begin, record_end) of
  // `files` (read one after another; record_end -1: to the end), whose
  // earlier phases must be analyzed; errors name the file and record.
  StatusOr<std::vector<AnalyzerPartial>> AccumulatePhase(int phase,
                                                         const std::vector<std::string>& files,
                                                         int64_t record_begin, int64_t record_end,
                                                         ThreadPool* pool) const;
  // The empty partials of `phase` (what AccumulatePhase starts from).
  std::vector<AnalyzerPartial> EmptyPartials(int phase) const;
  // Sets the results of the analyzers of `phase` from the partials over all
  // the data: ResourceExhausted for a vocabulary of more than 10 Mi distinct
  // values; InvalidArgument if `partials` does not match the phase.
  Status FinishPhase(int phase, const std::vector<AnalyzerPartial>& partials);
  // The results of the analyzers of `phase` as bytes (exact, host byte
  // order), and set from such bytes on another process's graph built by the
  // same preprocessing_fn (Corruption naming `what` otherwise).
  std::string PhaseResults(int phase) const;
  Status SetPhaseResults(int phase, std::string_view bytes, const std::string& what);

  // For an affine node (ScaleByMinMax, ScaleTo01, ScaleToZScore, after
  // analysis): the float scale and offset it applies. FailedPrecondition
  // otherwise.
  StatusOr<std::pair<float, float>> AffineOf(int node) const;

  // The transformed example (only the outputs) of a raw one. InvalidArgument
  // naming the feature when a raw feature has the wrong list kind;
  // FailedPrecondition if the graph is not analyzed. `scratch` from
  // NewScratch(), one per thread.
  Status TransformExample(const tensorflow::Example& raw, TransformScratch* scratch,
                          tensorflow::Example* out) const;
  TransformScratchPtr NewScratch() const;

  // Adds every value of node `node` of `raw` to `visit` (used by Analyze):
  // evaluates the nodes it depends on (their analyzers must be analyzed).
  Status EvaluateNode(const tensorflow::Example& raw, int node, TransformScratch* scratch,
                      const std::function<void(const Values&)>& visit) const;

  // The schema of the transformed examples: per output its type (FLOAT, INT,
  // BYTES), presence copied from the raw feature it derives from, and a
  // fixed shape when the raw feature has one.
  tfmd::Schema TransformedSchema() const;

  // The file format of transform_fn/transform_graph.json (version 1):
  //   {"format": "edgepipe.transform_graph", "version": 1,
  //    "raw_features": [{"name", "kind": "float"|"int64"|"bytes",
  //                      "fixed_length": N or -1, "required": bool}, ...],
  //    "nodes": [{"op", "kind", "fixed_length",      // node id = list index
  //               "feature" (op "input" only), "input": id of the mapped node,
  //               "analyzer": analyzer id (mappers that need one),
  //               "output_min"/"output_max" (scale_by_min_max, scale_to_0_1),
  //               "lo"/"hi" (clip),
  //               "num_oov_buckets"/"default_value" (compute_and_apply_vocabulary)}],
  //    "analyzers": [{"kind": "min_max"|"mean_var"|"quantiles"|"vocabulary",
  //                   "input": node id, "analyzed": bool, "count": values seen,
  //                   "min"/"max" | "mean"/"variance" |
  //                   "num_buckets"/"boundaries" |
  //                   "top_k"/"frequency_threshold"/"vocabulary"/"frequencies"}],
  //    "outputs": {"<transformed feature>": node id, ...}}
  // ops: input, scale_by_min_max, scale_to_0_1, scale_to_z_score, bucketize,
  // compute_and_apply_vocabulary, log, clip. A node reads only earlier nodes.
  // Vocabulary entries are JSON strings, or {"hex": "..."} when not UTF-8.
  nlohmann::json ToJson() const;
  // InvalidArgument naming `where` and the field for anything malformed
  // (unknown op, dangling node or analyzer id, a cycle, wrong kinds).
  static StatusOr<TransformGraph> FromJson(const nlohmann::json& j, const std::string& where);

 private:
  friend StatusOr<TransformGraph> BuildTransformGraph(const tfmd::Schema& schema,
                                                      const PreprocessingFn& fn);
  Status Check() const;  // wiring, kinds, ids (FromJson and Build)

  std::vector<Node> nodes_;
  std::vector<Analyzer> analyzers_;
  std::map<std::string, int> outputs_;
  std::map<std::string, RawFeature> raw_features_;
  // Vocabulary value -> index, per analyzer (built by Index() after analysis
  // or reading; shared by copies, never changed after).
  std::shared_ptr<const std::vector<std::unordered_map<std::string, int64_t>>> vocab_index_;
  void Index();
  std::map<std::string, int> input_nodes_;  // raw feature -> its kInput node
  const tfmd::Schema* schema_ = nullptr;    // only while building
  std::string error_;                       // first misuse while building
};

// Runs `fn` on the raw features of `schema` (every top-level feature: FLOAT
// -> float, INT -> int64, BYTES -> bytes; a one-dimensional `shape` gives
// the fixed length) and returns the graph, not yet analyzed.
// InvalidArgument for misuse in fn, an output that is not a column, or no
// outputs; fn's own error otherwise.
StatusOr<TransformGraph> BuildTransformGraph(const tfmd::Schema& schema, const PreprocessingFn& fn);

// Computes every analyzer over all records of `files` (TFRecord of
// tf.Example, raw or gzip), one full pass per phase, records spread over
// `pool`. Errors name the file and record.
Status Analyze(TransformGraph* graph, const std::vector<std::string>& files, ThreadPool* pool);

// Transforms records [record_begin, record_end) of `input_files` (read one
// after another, in order; record_end -1: to the end; the records before
// record_begin are read, their CRCs checked, not transformed) into
// `output_path` (gzip TFRecord, written crash-safely), on `pool`. Returns the
// number of examples written.
StatusOr<int64_t> TransformFiles(const TransformGraph& graph,
                                 const std::vector<std::string>& input_files,
                                 const std::string& output_path, ThreadPool* pool,
                                 int64_t record_begin = 0, int64_t record_end = -1);

}  // namespace edgepipe::transform

#endif  // EDGEPIPE_TRANSFORM_TRANSFORM_GRAPH_H_
