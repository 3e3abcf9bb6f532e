#include "src/transform/transform_graph.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "src/core/sha256.h"
#include "src/core/utf8.h"
#include "src/data/quantile_sketch.h"
#include "src/data/record_pass.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"

namespace edgepipe::transform {

namespace {

constexpr char kFormat[] = "edgepipe.transform_graph";
constexpr int kVersion = 1;

struct OpInfo {
  Node::Op op;
  const char* name;
};
constexpr OpInfo kOps[] = {{Node::Op::kInput, "input"},
                           {Node::Op::kScaleByMinMax, "scale_by_min_max"},
                           {Node::Op::kScaleTo01, "scale_to_0_1"},
                           {Node::Op::kScaleToZScore, "scale_to_z_score"},
                           {Node::Op::kBucketize, "bucketize"},
                           {Node::Op::kApplyVocabulary, "compute_and_apply_vocabulary"},
                           {Node::Op::kLog, "log"},
                           {Node::Op::kClip, "clip"}};

constexpr const char* kAnalyzerNames[] = {"min_max", "mean_var", "quantiles", "vocabulary"};

bool IsNumeric(ValueKind kind) { return kind != ValueKind::kBytes; }

// The analyzer kind an op needs, if any.
bool NeedsAnalyzer(Node::Op op, Analyzer::Kind* kind) {
  switch (op) {
    case Node::Op::kScaleByMinMax:
    case Node::Op::kScaleTo01:
      *kind = Analyzer::Kind::kMinMax;
      return true;
    case Node::Op::kScaleToZScore:
      *kind = Analyzer::Kind::kMeanVar;
      return true;
    case Node::Op::kBucketize:
      *kind = Analyzer::Kind::kQuantiles;
      return true;
    case Node::Op::kApplyVocabulary:
      *kind = Analyzer::Kind::kVocabulary;
      return true;
    default:
      return false;
  }
}

// The output kind of `op` over an input of `in`, or an explanation.
StatusOr<ValueKind> OutputKind(Node::Op op, ValueKind in) {
  switch (op) {
    case Node::Op::kInput:
      return in;
    case Node::Op::kApplyVocabulary:
      return ValueKind::kInt64;  // over bytes or int64
    case Node::Op::kBucketize:
      if (!IsNumeric(in)) break;
      return ValueKind::kInt64;
    case Node::Op::kClip:
      if (!IsNumeric(in)) break;
      return in;
    default:
      if (!IsNumeric(in)) break;
      return ValueKind::kFloat;
  }
  return Status::InvalidArgument(std::string("expected a float or int64 column, got ") +
                                 ValueKindName(in));
}

std::string Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// JSON holds UTF-8 only: a vocabulary entry that is not valid UTF-8 is
// stored as {"hex": "..."}.
nlohmann::json BytesToJson(const std::string& s) {
  if (IsValidUtf8(s)) return s;
  return {{"hex", Hex(s)}};
}

StatusOr<std::string> BytesFromJson(const nlohmann::json& j, const std::string& where) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("hex") && j["hex"].is_string()) {
    const std::string hex = j["hex"].get<std::string>();
    if (hex.size() % 2 != 0) return Status::InvalidArgument(where + ": odd-length hex");
    std::string out;
    for (size_t i = 0; i < hex.size(); i += 2) {
      int v = 0;
      for (size_t k = i; k < i + 2; ++k) {
        const char c = hex[k];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return Status::InvalidArgument(where + ": '" + hex + "' is not lowercase hex");
        v = v * 16 + d;
      }
      out += static_cast<char>(v);
    }
    return out;
  }
  return Status::InvalidArgument(where + ": expected a string or {\"hex\": ...}");
}

// The OOV bucket of a value (see the header: SHA-256, not FarmHash).
uint64_t OovHash(const std::string& value) {
  Sha256Digest d = Sha256(value);
  uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = (h << 8) | d[static_cast<size_t>(i)];
  return h;
}

std::string IntToVocab(int64_t v) { return std::to_string(v); }

}  // namespace

const char* ValueKindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kFloat:
      return "float";
    case ValueKind::kInt64:
      return "int64";
    case ValueKind::kBytes:
      return "bytes";
  }
  return "?";
}

const char* OpName(Node::Op op) {
  for (const OpInfo& info : kOps) {
    if (info.op == op) return info.name;
  }
  return "?";
}

size_t Values::size() const {
  switch (kind) {
    case ValueKind::kFloat:
      return floats.size();
    case ValueKind::kInt64:
      return ints.size();
    case ValueKind::kBytes:
      return bytes.size();
  }
  return 0;
}

// ---- Building -------------------------------------------------------------------

Column Inputs::operator[](const std::string& name) const {
  return Column(graph_, graph_->InputNode(name));
}

int TransformGraph::InputNode(const std::string& name) {
  auto it = input_nodes_.find(name);
  if (it != input_nodes_.end()) return it->second;
  const tfmd::Feature* feature = nullptr;
  if (schema_ != nullptr) {
    for (const tfmd::Feature& f : schema_->feature()) {
      if (f.name() == name) feature = &f;
    }
  }
  if (feature == nullptr) {
    RecordError("inputs[\"" + name + "\"]: the schema has no feature '" + name + "'");
    return -1;
  }
  RawFeature raw;
  switch (feature->type()) {
    case tfmd::FLOAT:
      raw.kind = ValueKind::kFloat;
      break;
    case tfmd::INT:
      raw.kind = ValueKind::kInt64;
      break;
    case tfmd::BYTES:
      raw.kind = ValueKind::kBytes;
      break;
    default:
      RecordError("inputs[\"" + name + "\"]: the schema gives feature '" + name +
                  "' no type (expected FLOAT, INT or BYTES)");
      return -1;
  }
  if (feature->has_shape() && feature->shape().dim_size() == 1) {
    raw.fixed_length = feature->shape().dim(0).size();
  }
  raw.required = feature->has_shape() ||
                 (feature->has_presence() && feature->presence().min_fraction() >= 1.0);
  raw_features_[name] = raw;
  Node node;
  node.op = Node::Op::kInput;
  node.kind = raw.kind;
  node.fixed_length = raw.fixed_length;
  node.feature = name;
  const int id = AddNode(std::move(node));
  input_nodes_[name] = id;
  return id;
}

int TransformGraph::AddNode(Node node) {
  nodes_.push_back(std::move(node));
  return static_cast<int>(nodes_.size()) - 1;
}

int TransformGraph::AddAnalyzer(Analyzer analyzer) {
  for (size_t i = 0; i < analyzers_.size(); ++i) {
    const Analyzer& a = analyzers_[i];
    if (a.kind == analyzer.kind && a.input == analyzer.input &&
        a.num_buckets == analyzer.num_buckets && a.top_k == analyzer.top_k &&
        a.frequency_threshold == analyzer.frequency_threshold) {
      return static_cast<int>(i);
    }
  }
  analyzers_.push_back(std::move(analyzer));
  return static_cast<int>(analyzers_.size()) - 1;
}

void TransformGraph::RecordError(const std::string& message) {
  if (error_.empty()) error_ = message;
}

namespace {

// Adds `node` (op and parameters set) over column `x`, with its analyzer.
Column AddMapper(Column x, Node node, const char* what) {
  TransformGraph* g = x.graph();
  if (g == nullptr) return x;  // a default-constructed column: nothing to record into
  if (!x.valid()) return x;    // the input's error is already recorded
  const Node& in = g->nodes()[static_cast<size_t>(x.node())];
  const std::string feature =
      in.op == Node::Op::kInput ? in.feature : "node " + std::to_string(x.node());
  StatusOr<ValueKind> kind = OutputKind(node.op, in.kind);
  if (!kind.ok()) {
    g->RecordError(std::string(what) + "(" + feature + "): " + kind.status().message());
    return Column(g, -1);
  }
  node.kind = *kind;
  node.fixed_length = in.fixed_length;
  node.input = x.node();
  Analyzer::Kind analyzer_kind;
  if (NeedsAnalyzer(node.op, &analyzer_kind)) {
    Analyzer a;
    a.kind = analyzer_kind;
    a.input = x.node();
    a.num_buckets = node.op == Node::Op::kBucketize ? static_cast<int>(node.param_a) : 0;
    if (node.op == Node::Op::kApplyVocabulary) {
      a.top_k = static_cast<int64_t>(node.param_a);
      a.frequency_threshold = static_cast<int64_t>(node.param_b);
    }
    node.analyzer = g->AddAnalyzer(std::move(a));
  }
  return Column(g, g->AddNode(std::move(node)));
}

Node MakeNode(Node::Op op, double a = 0, double b = 0) {
  Node n;
  n.op = op;
  n.param_a = a;
  n.param_b = b;
  return n;
}

void RecordIf(Column x, bool bad, const std::string& message) {
  if (bad && x.graph() != nullptr) x.graph()->RecordError(message);
}

}  // namespace

Column ScaleByMinMax(Column x, double output_min, double output_max) {
  RecordIf(x, !(output_min < output_max),
           "scale_by_min_max: output_min " + std::to_string(output_min) +
               " must be below output_max " + std::to_string(output_max));
  return AddMapper(x, MakeNode(Node::Op::kScaleByMinMax, output_min, output_max),
                   "scale_by_min_max");
}

Column ScaleTo01(Column x) {
  return AddMapper(x, MakeNode(Node::Op::kScaleTo01, 0.0, 1.0), "scale_to_0_1");
}

Column ScaleToZScore(Column x) {
  return AddMapper(x, MakeNode(Node::Op::kScaleToZScore), "scale_to_z_score");
}

Column Bucketize(Column x, int num_buckets) {
  RecordIf(x, num_buckets < 1 || num_buckets > 1000000,
           "bucketize: num_buckets " + std::to_string(num_buckets) +
               " out of range (expected 1..1000000)");
  return AddMapper(x, MakeNode(Node::Op::kBucketize, std::clamp(num_buckets, 1, 1000000)),
                   "bucketize");
}

Column ComputeAndApplyVocabulary(Column x, int64_t top_k, int64_t frequency_threshold,
                                 int64_t num_oov_buckets, int64_t default_value) {
  RecordIf(x, top_k < -1 || top_k == 0,
           "compute_and_apply_vocabulary: top_k " + std::to_string(top_k) +
               " (expected -1 for all, or > 0)");
  RecordIf(x, frequency_threshold < 0,
           "compute_and_apply_vocabulary: frequency_threshold " +
               std::to_string(frequency_threshold) + " (expected >= 0)");
  RecordIf(x, num_oov_buckets < 0 || num_oov_buckets > (int64_t{1} << 40),
           "compute_and_apply_vocabulary: num_oov_buckets " + std::to_string(num_oov_buckets) +
               " out of range");
  Node node = MakeNode(Node::Op::kApplyVocabulary, static_cast<double>(top_k),
                       static_cast<double>(frequency_threshold));
  node.num_oov_buckets = num_oov_buckets;
  node.default_value = default_value;
  return AddMapper(x, std::move(node), "compute_and_apply_vocabulary");
}

Column Log(Column x) { return AddMapper(x, MakeNode(Node::Op::kLog), "log"); }

Column Clip(Column x, double lo, double hi) {
  RecordIf(x, !(lo <= hi),
           "clip: lo " + std::to_string(lo) + " must not exceed hi " + std::to_string(hi));
  return AddMapper(x, MakeNode(Node::Op::kClip, lo, hi), "clip");
}

StatusOr<TransformGraph> BuildTransformGraph(const tfmd::Schema& schema,
                                             const PreprocessingFn& fn) {
  if (!fn) return Status::InvalidArgument("preprocessing_fn is empty");
  TransformGraph graph;
  graph.schema_ = &schema;
  Inputs inputs(&graph);
  Outputs outputs;
  Status status = fn(inputs, &outputs);
  graph.schema_ = nullptr;
  RETURN_IF_ERROR(status.WithContext("preprocessing_fn"));
  if (!graph.error_.empty()) {
    return Status::InvalidArgument("preprocessing_fn: " + graph.error_);
  }
  if (outputs.empty()) return Status::InvalidArgument("preprocessing_fn: returned no outputs");
  for (const auto& [name, column] : outputs) {
    if (name.empty()) return Status::InvalidArgument("preprocessing_fn: an output name is empty");
    if (column.graph() != &graph || !column.valid()) {
      return Status::InvalidArgument("preprocessing_fn: outputs[\"" + name +
                                     "\"] is not a column of this preprocessing_fn");
    }
    graph.outputs_[name] = column.node();
  }
  RETURN_IF_ERROR(graph.Check());
  return graph;
}

// ---- Structure -----------------------------------------------------------------

bool TransformGraph::analyzed() const {
  for (const Analyzer& a : analyzers_) {
    if (!a.analyzed) return false;
  }
  return vocab_index_ != nullptr || analyzers_.empty();
}

namespace {

// Phase of each node: the pass after which its values can be computed (0 for
// nodes without analyzers upstream); and of each analyzer (1 + its input's).
void Phases(const std::vector<Node>& nodes, const std::vector<Analyzer>& analyzers,
            std::vector<int>* node_phase, std::vector<int>* analyzer_phase) {
  node_phase->assign(nodes.size(), 0);
  analyzer_phase->assign(analyzers.size(), 0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    int p = n.input >= 0 ? (*node_phase)[static_cast<size_t>(n.input)] : 0;
    if (n.analyzer >= 0) {
      const Analyzer& a = analyzers[static_cast<size_t>(n.analyzer)];
      const int ap = (*node_phase)[static_cast<size_t>(a.input)] + 1;
      (*analyzer_phase)[static_cast<size_t>(n.analyzer)] = ap;
      p = std::max(p, ap);
    }
    (*node_phase)[i] = p;
  }
}

}  // namespace

int TransformGraph::NumPhases() const {
  std::vector<int> np, ap;
  Phases(nodes_, analyzers_, &np, &ap);
  int phases = 0;
  for (int p : ap) phases = std::max(phases, p);
  return phases;
}

std::vector<int> TransformGraph::AnalyzersOfPhase(int phase) const {
  std::vector<int> np, ap, out;
  Phases(nodes_, analyzers_, &np, &ap);
  for (size_t i = 0; i < ap.size(); ++i) {
    if (ap[i] == phase) out.push_back(static_cast<int>(i));
  }
  return out;
}

Status TransformGraph::Check() const {
  auto bad = [](const std::string& where, const std::string& what) {
    return Status::InvalidArgument(where + ": " + what);
  };
  for (size_t i = 0; i < analyzers_.size(); ++i) {
    const Analyzer& a = analyzers_[i];
    const std::string where = "analyzers[" + std::to_string(i) + "]";
    if (a.input < 0 || static_cast<size_t>(a.input) >= nodes_.size()) {
      return bad(where, "input " + std::to_string(a.input) + " is not a node");
    }
    if (a.kind == Analyzer::Kind::kQuantiles && (a.num_buckets < 1 || a.num_buckets > 1000000)) {
      return bad(where, "num_buckets " + std::to_string(a.num_buckets) + " out of 1..1000000");
    }
    if (!a.analyzed) continue;
    if (a.kind == Analyzer::Kind::kQuantiles) {
      if (a.boundaries.size() != static_cast<size_t>(a.num_buckets - 1)) {
        return bad(where, std::to_string(a.boundaries.size()) + " boundaries, expected " +
                              std::to_string(a.num_buckets - 1));
      }
      if (!std::is_sorted(a.boundaries.begin(), a.boundaries.end())) {
        return bad(where, "boundaries are not ascending");
      }
    }
    if (a.kind == Analyzer::Kind::kVocabulary && a.frequencies.size() != a.vocabulary.size()) {
      return bad(where, "vocabulary and frequencies differ in length");
    }
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    const std::string where = "nodes[" + std::to_string(i) + "] (" + OpName(n.op) + ")";
    if (n.op == Node::Op::kInput) {
      auto it = raw_features_.find(n.feature);
      if (it == raw_features_.end())
        return bad(where, "feature '" + n.feature + "' is not a raw feature");
      if (it->second.kind != n.kind) return bad(where, "kind differs from the raw feature's");
      continue;
    }
    if (n.input < 0 || static_cast<size_t>(n.input) >= i) {
      return bad(where, "input " + std::to_string(n.input) + " is not an earlier node");
    }
    const Node& in = nodes_[static_cast<size_t>(n.input)];
    StatusOr<ValueKind> kind = OutputKind(n.op, in.kind);
    if (!kind.ok()) return bad(where, kind.status().message());
    if (*kind != n.kind) {
      return bad(where, std::string("kind ") + ValueKindName(n.kind) + ", expected " +
                            ValueKindName(*kind));
    }
    Analyzer::Kind want;
    if (NeedsAnalyzer(n.op, &want)) {
      if (n.analyzer < 0 || static_cast<size_t>(n.analyzer) >= analyzers_.size()) {
        return bad(where, "analyzer " + std::to_string(n.analyzer) + " does not exist");
      }
      const Analyzer& a = analyzers_[static_cast<size_t>(n.analyzer)];
      if (a.kind != want || a.input != n.input) {
        return bad(where, "analyzer " + std::to_string(n.analyzer) + " is not a " +
                              kAnalyzerNames[static_cast<int>(want)] + " of its input");
      }
    } else if (n.analyzer != -1) {
      return bad(where, "takes no analyzer");
    }
    if ((n.op == Node::Op::kScaleByMinMax || n.op == Node::Op::kScaleTo01) &&
        !(n.param_a < n.param_b)) {
      return bad(where, "output_min must be below output_max");
    }
    if (n.op == Node::Op::kClip && !(n.param_a <= n.param_b)) return bad(where, "lo > hi");
    if (n.op == Node::Op::kApplyVocabulary && n.num_oov_buckets < 0) {
      return bad(where, "num_oov_buckets < 0");
    }
  }
  for (const auto& [name, node] : outputs_) {
    if (node < 0 || static_cast<size_t>(node) >= nodes_.size()) {
      return bad("outputs[\"" + name + "\"]", std::to_string(node) + " is not a node");
    }
  }
  return Status::OK();
}

void TransformGraph::Index() {
  auto index =
      std::make_shared<std::vector<std::unordered_map<std::string, int64_t>>>(analyzers_.size());
  for (size_t i = 0; i < analyzers_.size(); ++i) {
    const Analyzer& a = analyzers_[i];
    if (a.kind != Analyzer::Kind::kVocabulary) continue;
    auto& map = (*index)[i];
    map.reserve(a.vocabulary.size());
    for (size_t k = 0; k < a.vocabulary.size(); ++k) {
      map.emplace(a.vocabulary[k], static_cast<int64_t>(k));  // first wins on duplicates
    }
  }
  vocab_index_ = std::move(index);
}

StatusOr<std::pair<float, float>> TransformGraph::AffineOf(int node) const {
  if (node < 0 || static_cast<size_t>(node) >= nodes_.size()) {
    return Status::InvalidArgument("node " + std::to_string(node) + " does not exist");
  }
  const Node& n = nodes_[static_cast<size_t>(node)];
  if (n.op != Node::Op::kScaleByMinMax && n.op != Node::Op::kScaleTo01 &&
      n.op != Node::Op::kScaleToZScore) {
    return Status::FailedPrecondition(std::string(OpName(n.op)) + " is not an affine mapper");
  }
  const Analyzer& a = analyzers_[static_cast<size_t>(n.analyzer)];
  if (!a.analyzed) {
    return Status::FailedPrecondition(std::string(OpName(n.op)) + ": not analyzed yet");
  }
  double scale, offset;
  if (n.op == Node::Op::kScaleToZScore) {
    const double sd = std::sqrt(a.variance);
    scale = a.variance > 0 ? 1.0 / sd : 1.0;
    offset = a.variance > 0 ? -a.mean / sd : -a.mean;
  } else if (a.max > a.min) {
    scale = (n.param_b - n.param_a) / (a.max - a.min);
    offset = n.param_a - a.min * scale;
  } else {
    scale = 0.0;
    offset = (n.param_a + n.param_b) / 2;
  }
  return std::make_pair(static_cast<float>(scale), static_cast<float>(offset));
}

// ---- Evaluation ----------------------------------------------------------------

struct TransformScratch {
  std::vector<Values> values;
  std::vector<char> done;
  std::vector<std::pair<float, float>> affine;  // per node, for affine mappers
  std::vector<int> chain;                       // EvaluateNode's work list
};

void TransformScratchDeleter::operator()(TransformScratch* s) const { delete s; }

TransformScratchPtr TransformGraph::NewScratch() const {
  TransformScratchPtr s(new TransformScratch);
  s->values.resize(nodes_.size());
  s->done.assign(nodes_.size(), 0);
  s->affine.assign(nodes_.size(), {1.0f, 0.0f});
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto affine = AffineOf(static_cast<int>(i));
    if (affine.ok()) s->affine[i] = *affine;
  }
  return s;
}

namespace {

Status ReadRaw(const tensorflow::Example& raw, const Node& node, Values* out) {
  out->kind = node.kind;
  out->floats.clear();
  out->ints.clear();
  out->bytes.clear();
  const auto& map = raw.features().feature();
  auto it = map.find(node.feature);
  out->present = it != map.end();
  if (!out->present) return Status::OK();
  const tensorflow::Feature& f = it->second;
  const char* got = f.has_float_list()   ? "float_list"
                    : f.has_int64_list() ? "int64_list"
                    : f.has_bytes_list() ? "bytes_list"
                                         : nullptr;
  const char* want = node.kind == ValueKind::kFloat   ? "float_list"
                     : node.kind == ValueKind::kInt64 ? "int64_list"
                                                      : "bytes_list";
  if (got == nullptr) return Status::OK();  // an empty feature: present, no values
  if (std::strcmp(got, want) != 0) {
    return Status::InvalidArgument("feature '" + node.feature + "': " + got + ", the schema says " +
                                   want);
  }
  switch (node.kind) {
    case ValueKind::kFloat:
      out->floats.assign(f.float_list().value().begin(), f.float_list().value().end());
      break;
    case ValueKind::kInt64:
      out->ints.assign(f.int64_list().value().begin(), f.int64_list().value().end());
      break;
    case ValueKind::kBytes:
      out->bytes.assign(f.bytes_list().value().begin(), f.bytes_list().value().end());
      break;
  }
  return Status::OK();
}

// Reads the numeric values of `v` as doubles into `out`.
void AsDoubles(const Values& v, std::vector<double>* out) {
  out->clear();
  if (v.kind == ValueKind::kFloat) out->assign(v.floats.begin(), v.floats.end());
  if (v.kind == ValueKind::kInt64) {
    for (int64_t x : v.ints) out->push_back(static_cast<double>(x));
  }
}

}  // namespace

Status TransformGraph::EvaluateNode(const tensorflow::Example& raw, int id,
                                    TransformScratch* scratch,
                                    const std::function<void(const Values&)>& visit) const {
  // A node reads at most one other node: what `id` needs is the chain from it
  // down to the first node already evaluated for this example, evaluated
  // from that end up.
  std::vector<int>& chain = scratch->chain;
  chain.clear();
  for (int n = id; n >= 0 && !scratch->done[static_cast<size_t>(n)];
       n = nodes_[static_cast<size_t>(n)].input) {
    chain.push_back(n);
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const int n = *it;
    const Node& node = nodes_[static_cast<size_t>(n)];
    Values& out = scratch->values[static_cast<size_t>(n)];
    if (node.op == Node::Op::kInput) {
      RETURN_IF_ERROR(ReadRaw(raw, node, &out));
      scratch->done[static_cast<size_t>(n)] = 1;
      continue;
    }
    const Values& in = scratch->values[static_cast<size_t>(node.input)];
    out.kind = node.kind;
    out.present = in.present;
    out.floats.clear();
    out.ints.clear();
    out.bytes.clear();
    const Analyzer* a =
        node.analyzer >= 0 ? &analyzers_[static_cast<size_t>(node.analyzer)] : nullptr;
    if (a != nullptr && !a->analyzed) {
      return Status::FailedPrecondition(std::string(OpName(node.op)) +
                                        ": its analyzer has not been computed");
    }
    switch (node.op) {
      case Node::Op::kScaleByMinMax:
      case Node::Op::kScaleTo01:
      case Node::Op::kScaleToZScore:
      case Node::Op::kLog: {
        const bool log = node.op == Node::Op::kLog;
        const auto [scale, offset] = scratch->affine[static_cast<size_t>(n)];
        auto map = [&](float x) { return log ? std::log(x) : x * scale + offset; };
        if (in.kind == ValueKind::kFloat) {
          out.floats.resize(in.floats.size());
          for (size_t k = 0; k < in.floats.size(); ++k) out.floats[k] = map(in.floats[k]);
        } else {
          out.floats.resize(in.ints.size());
          for (size_t k = 0; k < in.ints.size(); ++k)
            out.floats[k] = map(static_cast<float>(in.ints[k]));
        }
        break;
      }
      case Node::Op::kClip:
        if (in.kind == ValueKind::kFloat) {
          const float lo = static_cast<float>(node.param_a), hi = static_cast<float>(node.param_b);
          out.floats.resize(in.floats.size());
          for (size_t k = 0; k < in.floats.size(); ++k) {
            const float x = in.floats[k];
            out.floats[k] = std::isnan(x) ? x : std::min(std::max(x, lo), hi);
          }
        } else {
          const double lo = std::ceil(node.param_a), hi = std::floor(node.param_b);
          out.ints.resize(in.ints.size());
          for (size_t k = 0; k < in.ints.size(); ++k) {
            const double x = static_cast<double>(in.ints[k]);
            out.ints[k] = x < lo   ? static_cast<int64_t>(lo)
                          : x > hi ? static_cast<int64_t>(hi)
                                   : in.ints[k];
          }
        }
        break;
      case Node::Op::kBucketize: {
        std::vector<double> xs;
        AsDoubles(in, &xs);
        out.ints.resize(xs.size());
        for (size_t k = 0; k < xs.size(); ++k) {
          out.ints[k] = std::isnan(xs[k])
                            ? 0
                            : std::upper_bound(a->boundaries.begin(), a->boundaries.end(), xs[k]) -
                                  a->boundaries.begin();
        }
        break;
      }
      case Node::Op::kApplyVocabulary: {
        const auto& index = (*vocab_index_)[static_cast<size_t>(node.analyzer)];
        const int64_t size = static_cast<int64_t>(a->vocabulary.size());
        auto lookup = [&](const std::string& value) -> int64_t {
          auto it = index.find(value);
          if (it != index.end()) return it->second;
          if (node.num_oov_buckets > 0) {
            return size + static_cast<int64_t>(OovHash(value) %
                                               static_cast<uint64_t>(node.num_oov_buckets));
          }
          return node.default_value;
        };
        if (in.kind == ValueKind::kBytes) {
          for (const std::string& s : in.bytes) out.ints.push_back(lookup(s));
        } else {
          for (int64_t x : in.ints) out.ints.push_back(lookup(IntToVocab(x)));
        }
        break;
      }
      case Node::Op::kInput:
        break;
    }
    scratch->done[static_cast<size_t>(n)] = 1;
  }
  if (visit) visit(scratch->values[static_cast<size_t>(id)]);
  return Status::OK();
}

Status TransformGraph::TransformExample(const tensorflow::Example& raw, TransformScratch* scratch,
                                        tensorflow::Example* out) const {
  if (!analyzed()) return Status::FailedPrecondition("transform graph is not analyzed");
  std::fill(scratch->done.begin(), scratch->done.end(), 0);
  out->Clear();
  for (const auto& [name, id] : outputs_) {
    Status status = EvaluateNode(raw, id, scratch, [&](const Values& v) {
      if (!v.present) return;
      tensorflow::Feature& f = (*out->mutable_features()->mutable_feature())[name];
      switch (v.kind) {
        case ValueKind::kFloat:
          f.mutable_float_list()->mutable_value()->Add(v.floats.begin(), v.floats.end());
          break;
        case ValueKind::kInt64:
          f.mutable_int64_list()->mutable_value()->Add(v.ints.begin(), v.ints.end());
          break;
        case ValueKind::kBytes:
          for (const std::string& s : v.bytes) f.mutable_bytes_list()->add_value(s);
          break;
      }
    });
    RETURN_IF_ERROR(status);
  }
  return Status::OK();
}

tfmd::Schema TransformGraph::TransformedSchema() const {
  tfmd::Schema schema;
  for (const auto& [name, id] : outputs_) {
    const Node* node = &nodes_[static_cast<size_t>(id)];
    tfmd::Feature* f = schema.add_feature();
    f->set_name(name);
    f->set_type(node->kind == ValueKind::kFloat   ? tfmd::FLOAT
                : node->kind == ValueKind::kInt64 ? tfmd::INT
                                                  : tfmd::BYTES);
    const Node* root = node;
    while (root->op != Node::Op::kInput) root = &nodes_[static_cast<size_t>(root->input)];
    const RawFeature& raw = raw_features_.at(root->feature);
    if (raw.required) {
      f->mutable_presence()->set_min_fraction(1.0);
      f->mutable_presence()->set_min_count(1);
    } else {
      f->mutable_presence()->set_min_count(1);
    }
    if (node->fixed_length >= 0) {
      f->mutable_shape()->add_dim()->set_size(node->fixed_length);
    }
  }
  return schema;
}

// ---- Analysis ------------------------------------------------------------------

void AnalyzerPartial::Merge(const AnalyzerPartial& o) {
  if (o.count > 0) {
    if (count == 0) {
      min = o.min;
      max = o.max;
    } else {
      min = std::min(min, o.min);
      max = std::max(max, o.max);
    }
    const double n = static_cast<double>(count), m = static_cast<double>(o.count);
    const double delta = o.mean - mean;
    mean += delta * m / (n + m);
    m2 += o.m2 + delta * delta * n * m / (n + m);
    count += o.count;
  }
  if (sketch && o.sketch) sketch->Merge(*o.sketch);
  for (const auto& [value, c] : o.counts) counts[value] += c;
}

void AnalyzerPartial::AppendTo(ByteWriter* w) const {
  w->Put<int64_t>(count);
  for (double v : {min, max, mean, m2}) w->Put<double>(v);
  w->Put<uint8_t>(sketch ? 1 : 0);
  if (sketch) sketch->AppendTo(w);
  w->Put<uint64_t>(counts.size());
  for (const auto& [value, c] : counts) {
    w->PutString(value);
    w->Put<int64_t>(c);
  }
}

Status AnalyzerPartial::MergeFrom(ByteReader* r) {
  AnalyzerPartial other;
  uint8_t has_sketch = 0;
  uint64_t n = 0;
  RETURN_IF_ERROR(r->Get(&other.count));
  for (double* v : {&other.min, &other.max, &other.mean, &other.m2}) RETURN_IF_ERROR(r->Get(v));
  RETURN_IF_ERROR(r->Get(&has_sketch));
  if (other.count < 0 || has_sketch > 1 || (has_sketch == 1) != (sketch != nullptr)) {
    return Status::Corruption("analyzer state: count " + std::to_string(other.count) +
                              ", sketch flag " + std::to_string(has_sketch) +
                              " (expected a count >= 0 and a sketch exactly for quantiles)");
  }
  // The sketch's items go straight into this one (QuantileSketch::MergeFrom).
  if (has_sketch) RETURN_IF_ERROR(sketch->MergeFrom(r));
  RETURN_IF_ERROR(r->Get(&n));
  std::string value;
  for (uint64_t i = 0; i < n; ++i) {
    int64_t c = 0;
    RETURN_IF_ERROR(r->GetString(&value));
    RETURN_IF_ERROR(r->Get(&c));
    if (c <= 0) return Status::Corruption("analyzer state: count " + std::to_string(c));
    counts[value] += c;
  }
  other.sketch = nullptr;
  Merge(other);
  return Status::OK();
}

namespace {

// The most distinct values a vocabulary analyzer counts before refusing:
// its exact counts live in memory.
constexpr size_t kMaxVocabularyDistinct = size_t{10} << 20;

Status TooManyDistinct(int node) {
  return Status::ResourceExhausted("vocabulary of node " + std::to_string(node) + ": more than " +
                                   std::to_string(kMaxVocabularyDistinct) + " distinct values");
}

}  // namespace

std::vector<AnalyzerPartial> TransformGraph::EmptyPartials(int phase) const {
  const std::vector<int> ids = AnalyzersOfPhase(phase);
  std::vector<AnalyzerPartial> out(ids.size());
  for (size_t k = 0; k < ids.size(); ++k) {
    if (analyzers_[static_cast<size_t>(ids[k])].kind == Analyzer::Kind::kQuantiles) {
      out[k].sketch = std::make_unique<data::QuantileSketch>();
    }
  }
  return out;
}

StatusOr<std::vector<AnalyzerPartial>> TransformGraph::AccumulatePhase(
    int phase, const std::vector<std::string>& files, int64_t record_begin, int64_t record_end,
    ThreadPool* pool) const {
  const int threads = pool->num_threads();
  const std::vector<int> ids = AnalyzersOfPhase(phase);
  std::vector<std::vector<AnalyzerPartial>> partial;
  std::vector<TransformScratchPtr> scratch;
  for (int t = 0; t < threads; ++t) {
    partial.push_back(EmptyPartials(phase));
    // Each thread's sketch its own seed (KLL's coin flips).
    for (AnalyzerPartial& p : partial.back()) {
      if (p.sketch) {
        p.sketch = std::make_unique<data::QuantileSketch>(
            data::QuantileSketch::kDefaultK, data::QuantileSketch::kDefaultMaxExactDistinct,
            static_cast<uint64_t>(t + 1));
      }
    }
    // Later-phase scratch needs the affine constants of analyzers computed in
    // earlier phases: NewScratch reads them from the graph as it is now.
    scratch.push_back(NewScratch());
  }
  Status status = data::ForEachExampleInRange(
      files, record_begin, record_end, 256, pool,
      [&](int slot, const tensorflow::Example& example) -> Status {
        TransformScratch* s = scratch[static_cast<size_t>(slot)].get();
        std::fill(s->done.begin(), s->done.end(), 0);
        for (size_t k = 0; k < ids.size(); ++k) {
          const Analyzer& a = analyzers_[static_cast<size_t>(ids[k])];
          AnalyzerPartial& acc = partial[static_cast<size_t>(slot)][k];
          Status visit_status;
          RETURN_IF_ERROR(EvaluateNode(example, a.input, s, [&](const Values& v) {
            if (a.kind == Analyzer::Kind::kVocabulary) {
              if (v.kind == ValueKind::kBytes) {
                for (const std::string& x : v.bytes) ++acc.counts[x];
              } else {
                for (int64_t x : v.ints) ++acc.counts[IntToVocab(x)];
              }
              if (acc.counts.size() > kMaxVocabularyDistinct)
                visit_status = TooManyDistinct(a.input);
              return;
            }
            if (v.kind == ValueKind::kFloat) {
              for (float x : v.floats) {
                if (!std::isnan(x)) acc.AddNumber(x);
              }
            } else {
              for (int64_t x : v.ints) acc.AddNumber(static_cast<double>(x));
            }
          }));
          RETURN_IF_ERROR(visit_status);
        }
        return Status::OK();
      });
  RETURN_IF_ERROR(status.WithContext("transform analysis pass " + std::to_string(phase)));
  for (int t = 1; t < threads; ++t) {
    for (size_t k = 0; k < ids.size(); ++k) partial[0][k].Merge(partial[static_cast<size_t>(t)][k]);
  }
  return std::move(partial[0]);
}

Status TransformGraph::FinishPhase(int phase, const std::vector<AnalyzerPartial>& partials) {
  const std::vector<int> ids = AnalyzersOfPhase(phase);
  if (partials.size() != ids.size()) {
    return Status::InvalidArgument("transform analysis pass " + std::to_string(phase) + ": " +
                                   std::to_string(partials.size()) + " partial states for " +
                                   std::to_string(ids.size()) + " analyzers");
  }
  for (size_t k = 0; k < ids.size(); ++k) {
    const AnalyzerPartial& acc = partials[k];
    Analyzer& a = analyzers_[static_cast<size_t>(ids[k])];
    a.count = acc.count;
    switch (a.kind) {
      case Analyzer::Kind::kMinMax:
        a.min = acc.count > 0 ? acc.min : 0.0;
        a.max = acc.count > 0 ? acc.max : 0.0;
        break;
      case Analyzer::Kind::kMeanVar:
        a.mean = acc.count > 0 ? acc.mean : 0.0;
        a.variance = acc.count > 0 ? std::max(acc.m2 / static_cast<double>(acc.count), 0.0) : 0.0;
        break;
      case Analyzer::Kind::kQuantiles: {
        std::vector<double> qs;
        for (int i = 1; i < a.num_buckets; ++i)
          qs.push_back(static_cast<double>(i) / a.num_buckets);
        a.boundaries = acc.count > 0 && acc.sketch ? acc.sketch->Quantiles(qs)
                                                   : std::vector<double>(qs.size(), 0.0);
        std::sort(a.boundaries.begin(), a.boundaries.end());
        break;
      }
      case Analyzer::Kind::kVocabulary: {
        // Checked again over the merged counts: shards under the limit may
        // not be together.
        if (acc.counts.size() > kMaxVocabularyDistinct) return TooManyDistinct(a.input);
        std::vector<std::pair<int64_t, std::string>> entries;
        entries.reserve(acc.counts.size());
        for (const auto& [value, c] : acc.counts) {
          if (c >= a.frequency_threshold) entries.emplace_back(c, value);
        }
        // Most frequent first; ties by value, descending (tf.Transform's order).
        std::sort(entries.begin(), entries.end(), std::greater<>());
        if (a.top_k >= 0 && entries.size() > static_cast<size_t>(a.top_k)) {
          entries.resize(static_cast<size_t>(a.top_k));
        }
        a.vocabulary.clear();
        a.frequencies.clear();
        for (auto& [c, value] : entries) {
          a.vocabulary.push_back(std::move(value));
          a.frequencies.push_back(c);
        }
        break;
      }
    }
    a.analyzed = true;
  }
  Index();  // the next phase may apply this phase's vocabularies
  return Status::OK();
}

std::string TransformGraph::PhaseResults(int phase) const {
  ByteWriter w;
  for (int id : AnalyzersOfPhase(phase)) {
    const Analyzer& a = analyzers_[static_cast<size_t>(id)];
    w.Put<int64_t>(a.count);
    for (double v : {a.min, a.max, a.mean, a.variance}) w.Put<double>(v);
    w.PutDoubles(a.boundaries);
    w.Put<uint64_t>(a.vocabulary.size());
    for (size_t i = 0; i < a.vocabulary.size(); ++i) {
      w.PutString(a.vocabulary[i]);
      w.Put<int64_t>(a.frequencies[i]);
    }
  }
  return w.Release();
}

Status TransformGraph::SetPhaseResults(int phase, std::string_view bytes, const std::string& what) {
  ByteReader r(bytes, what);
  for (int id : AnalyzersOfPhase(phase)) {
    Analyzer& a = analyzers_[static_cast<size_t>(id)];
    uint64_t n = 0;
    RETURN_IF_ERROR(r.Get(&a.count));
    for (double* v : {&a.min, &a.max, &a.mean, &a.variance}) RETURN_IF_ERROR(r.Get(v));
    RETURN_IF_ERROR(r.GetDoubles(&a.boundaries));
    RETURN_IF_ERROR(r.Get(&n));
    a.vocabulary.clear();
    a.frequencies.clear();
    for (uint64_t i = 0; i < n; ++i) {
      int64_t c = 0;
      RETURN_IF_ERROR(r.GetString(&a.vocabulary.emplace_back()));
      RETURN_IF_ERROR(r.Get(&c));
      a.frequencies.push_back(c);
    }
    if (a.kind == Analyzer::Kind::kQuantiles &&
        a.boundaries.size() != static_cast<size_t>(std::max(a.num_buckets - 1, 0))) {
      return Status::Corruption(what + ": analyzer " + std::to_string(id) + ": " +
                                std::to_string(a.boundaries.size()) + " boundaries, expected " +
                                std::to_string(a.num_buckets - 1));
    }
    a.analyzed = true;
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  Index();
  return Status::OK();
}

Status Analyze(TransformGraph* graph, const std::vector<std::string>& files, ThreadPool* pool) {
  if (files.empty() && !graph->analyzers().empty()) {
    return Status::InvalidArgument("transform: no files to analyze");
  }
  for (int phase = 1; phase <= graph->NumPhases(); ++phase) {
    ASSIGN_OR_RETURN(std::vector<AnalyzerPartial> partials,
                     graph->AccumulatePhase(phase, files, 0, -1, pool));
    RETURN_IF_ERROR(graph->FinishPhase(phase, partials));
  }
  return Status::OK();
}

StatusOr<int64_t> TransformFiles(const TransformGraph& graph,
                                 const std::vector<std::string>& input_files,
                                 const std::string& output_path, ThreadPool* pool,
                                 int64_t record_begin, int64_t record_end) {
  if (!graph.analyzed()) return Status::FailedPrecondition("transform graph is not analyzed");
  ASSIGN_OR_RETURN(auto writer, io::TFRecordWriter::Open(output_path, io::Compression::kGzip));
  const int threads = pool->num_threads();
  std::vector<TransformScratchPtr> scratch;
  for (int t = 0; t < threads; ++t) scratch.push_back(graph.NewScratch());
  // Records are transformed a chunk at a time on every thread and written in
  // input order, so transformed_examples keep the raw examples' order.
  constexpr size_t kChunk = 2048;
  std::vector<std::string> in(kChunk), out(kChunk);
  std::vector<Status> errors(static_cast<size_t>(threads));
  int64_t written = 0;
  int64_t global = 0;  // records read so far, over all files
  for (const std::string& file : input_files) {
    if (record_end >= 0 && global >= record_end) break;
    ASSIGN_OR_RETURN(auto reader, io::TFRecordReader::Open(file));
    bool more = true;
    // Another shard's records: read through (CRCs checked), not transformed.
    while (more && global < record_begin) {
      ASSIGN_OR_RETURN(more, reader->ReadRecord(&in[0]));
      if (more) ++global;
    }
    while (more) {
      const int64_t first = reader->records_read();
      size_t n = 0;
      while (n < kChunk && (record_end < 0 || global < record_end)) {
        ASSIGN_OR_RETURN(more, reader->ReadRecord(&in[n]));
        if (!more) break;
        ++n;
        ++global;
      }
      if (n < kChunk && more) more = false;  // at record_end
      pool->ParallelFor(static_cast<int64_t>(n), [&](int64_t begin, int64_t end, int t) {
        tensorflow::Example raw, transformed;
        Status& error = errors[static_cast<size_t>(t)];
        for (int64_t i = begin; i < end && error.ok(); ++i) {
          const std::string where = file + ": record " + std::to_string(first + i);
          if (!raw.ParseFromString(in[static_cast<size_t>(i)])) {
            error = Status::Corruption(where + ": not a valid tensorflow.Example");
            break;
          }
          error = graph.TransformExample(raw, scratch[static_cast<size_t>(t)].get(), &transformed);
          if (!error.ok()) {
            error = error.WithContext(where);
            break;
          }
          out[static_cast<size_t>(i)] = io::SerializeDeterministic(transformed);
        }
      });
      for (const Status& error : errors) RETURN_IF_ERROR(error);
      for (size_t i = 0; i < n; ++i) RETURN_IF_ERROR(writer->Write(out[i]));
      written += static_cast<int64_t>(n);
    }
  }
  RETURN_IF_ERROR(writer->Close());
  return written;
}

// ---- JSON ----------------------------------------------------------------------

nlohmann::json TransformGraph::ToJson() const {
  nlohmann::json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  nlohmann::json raw = nlohmann::json::array();
  for (const auto& [name, f] : raw_features_) {
    raw.push_back({{"name", name},
                   {"kind", ValueKindName(f.kind)},
                   {"fixed_length", f.fixed_length},
                   {"required", f.required}});
  }
  j["raw_features"] = std::move(raw);
  nlohmann::json nodes = nlohmann::json::array();
  for (const Node& n : nodes_) {
    nlohmann::json e = {
        {"op", OpName(n.op)}, {"kind", ValueKindName(n.kind)}, {"fixed_length", n.fixed_length}};
    if (n.op == Node::Op::kInput) e["feature"] = n.feature;
    if (n.input >= 0) e["input"] = n.input;
    if (n.analyzer >= 0) e["analyzer"] = n.analyzer;
    if (n.op == Node::Op::kScaleByMinMax || n.op == Node::Op::kScaleTo01) {
      e["output_min"] = n.param_a;
      e["output_max"] = n.param_b;
    }
    if (n.op == Node::Op::kClip) {
      e["lo"] = n.param_a;
      e["hi"] = n.param_b;
    }
    if (n.op == Node::Op::kApplyVocabulary) {
      e["num_oov_buckets"] = n.num_oov_buckets;
      e["default_value"] = n.default_value;
    }
    nodes.push_back(std::move(e));
  }
  j["nodes"] = std::move(nodes);
  nlohmann::json analyzers = nlohmann::json::array();
  for (const Analyzer& a : analyzers_) {
    nlohmann::json e = {{"kind", kAnalyzerNames[static_cast<int>(a.kind)]},
                        {"input", a.input},
                        {"analyzed", a.analyzed},
                        {"count", a.count}};
    switch (a.kind) {
      case Analyzer::Kind::kMinMax:
        e["min"] = a.min;
        e["max"] = a.max;
        break;
      case Analyzer::Kind::kMeanVar:
        e["mean"] = a.mean;
        e["variance"] = a.variance;
        break;
      case Analyzer::Kind::kQuantiles:
        e["num_buckets"] = a.num_buckets;
        e["boundaries"] = a.boundaries;
        break;
      case Analyzer::Kind::kVocabulary: {
        e["top_k"] = a.top_k;
        e["frequency_threshold"] = a.frequency_threshold;
        nlohmann::json values = nlohmann::json::array();
        for (const std::string& v : a.vocabulary) values.push_back(BytesToJson(v));
        e["vocabulary"] = std::move(values);
        e["frequencies"] = a.frequencies;
        break;
      }
    }
    analyzers.push_back(std::move(e));
  }
  j["analyzers"] = std::move(analyzers);
  j["outputs"] = outputs_;
  return j;
}

namespace {

// Typed field access with errors naming the file and the field.
class JsonReader {
 public:
  explicit JsonReader(std::string where) : where_(std::move(where)) {}
  Status Error(const std::string& field, const std::string& what) const {
    return Status::InvalidArgument(where_ + ": " + field + ": " + what);
  }
  StatusOr<const nlohmann::json*> Get(const nlohmann::json& j, const std::string& path,
                                      const char* key) const {
    if (!j.is_object() || !j.contains(key)) return Error(path + "." + key, "missing");
    return &j[key];
  }
  StatusOr<std::string> String(const nlohmann::json& j, const std::string& path,
                               const char* key) const {
    ASSIGN_OR_RETURN(const nlohmann::json* v, Get(j, path, key));
    if (!v->is_string()) return Error(path + "." + key, "expected a string");
    return v->get<std::string>();
  }
  StatusOr<double> Number(const nlohmann::json& j, const std::string& path, const char* key) const {
    ASSIGN_OR_RETURN(const nlohmann::json* v, Get(j, path, key));
    if (!v->is_number()) return Error(path + "." + key, "expected a number");
    return v->get<double>();
  }
  StatusOr<int64_t> Int(const nlohmann::json& j, const std::string& path, const char* key) const {
    ASSIGN_OR_RETURN(const nlohmann::json* v, Get(j, path, key));
    if (!v->is_number_integer()) return Error(path + "." + key, "expected an integer");
    return v->get<int64_t>();
  }
  StatusOr<bool> Bool(const nlohmann::json& j, const std::string& path, const char* key) const {
    ASSIGN_OR_RETURN(const nlohmann::json* v, Get(j, path, key));
    if (!v->is_boolean()) return Error(path + "." + key, "expected true or false");
    return v->get<bool>();
  }
  StatusOr<ValueKind> Kind(const nlohmann::json& j, const std::string& path) const {
    ASSIGN_OR_RETURN(std::string kind, String(j, path, "kind"));
    for (ValueKind k : {ValueKind::kFloat, ValueKind::kInt64, ValueKind::kBytes}) {
      if (kind == ValueKindName(k)) return k;
    }
    return Error(path + ".kind", "'" + kind + "' (expected float, int64 or bytes)");
  }
  StatusOr<int> Id(const nlohmann::json& j, const std::string& path, const char* key) const {
    ASSIGN_OR_RETURN(int64_t id, Int(j, path, key));
    if (id < 0 || id > INT32_MAX) return Error(path + "." + key, "id out of range");
    return static_cast<int>(id);
  }

 private:
  std::string where_;
};

}  // namespace

StatusOr<TransformGraph> TransformGraph::FromJson(const nlohmann::json& j,
                                                  const std::string& where) {
  JsonReader r(where);
  ASSIGN_OR_RETURN(std::string format, r.String(j, "", "format"));
  if (format != kFormat) return r.Error(".format", "'" + format + "', expected '" + kFormat + "'");
  ASSIGN_OR_RETURN(int64_t version, r.Int(j, "", "version"));
  if (version != kVersion) {
    return r.Error(".version", std::to_string(version) + " (this edgepipe reads version " +
                                   std::to_string(kVersion) + ")");
  }
  TransformGraph g;
  for (const char* key : {"raw_features", "nodes", "analyzers"}) {
    if (!j.contains(key) || !j[key].is_array())
      return r.Error(std::string(".") + key, "expected a list");
  }
  for (size_t i = 0; i < j["raw_features"].size(); ++i) {
    const auto& e = j["raw_features"][i];
    const std::string path = ".raw_features[" + std::to_string(i) + "]";
    ASSIGN_OR_RETURN(std::string name, r.String(e, path, "name"));
    RawFeature f;
    ASSIGN_OR_RETURN(f.kind, r.Kind(e, path));
    ASSIGN_OR_RETURN(f.fixed_length, r.Int(e, path, "fixed_length"));
    ASSIGN_OR_RETURN(f.required, r.Bool(e, path, "required"));
    g.raw_features_[name] = f;
  }
  for (size_t i = 0; i < j["nodes"].size(); ++i) {
    const auto& e = j["nodes"][i];
    const std::string path = ".nodes[" + std::to_string(i) + "]";
    ASSIGN_OR_RETURN(std::string op, r.String(e, path, "op"));
    Node n;
    bool known = false;
    for (const OpInfo& info : kOps) {
      if (op == info.name) {
        n.op = info.op;
        known = true;
      }
    }
    if (!known) return r.Error(path + ".op", "unknown op '" + op + "'");
    ASSIGN_OR_RETURN(n.kind, r.Kind(e, path));
    ASSIGN_OR_RETURN(n.fixed_length, r.Int(e, path, "fixed_length"));
    if (n.op == Node::Op::kInput) {
      ASSIGN_OR_RETURN(n.feature, r.String(e, path, "feature"));
      g.input_nodes_[n.feature] = static_cast<int>(i);
    } else {
      ASSIGN_OR_RETURN(n.input, r.Id(e, path, "input"));
    }
    if (e.contains("analyzer")) {
      ASSIGN_OR_RETURN(n.analyzer, r.Id(e, path, "analyzer"));
    }
    if (n.op == Node::Op::kScaleByMinMax || n.op == Node::Op::kScaleTo01) {
      ASSIGN_OR_RETURN(n.param_a, r.Number(e, path, "output_min"));
      ASSIGN_OR_RETURN(n.param_b, r.Number(e, path, "output_max"));
    }
    if (n.op == Node::Op::kClip) {
      ASSIGN_OR_RETURN(n.param_a, r.Number(e, path, "lo"));
      ASSIGN_OR_RETURN(n.param_b, r.Number(e, path, "hi"));
    }
    if (n.op == Node::Op::kApplyVocabulary) {
      ASSIGN_OR_RETURN(n.num_oov_buckets, r.Int(e, path, "num_oov_buckets"));
      ASSIGN_OR_RETURN(n.default_value, r.Int(e, path, "default_value"));
    }
    g.nodes_.push_back(std::move(n));
  }
  for (size_t i = 0; i < j["analyzers"].size(); ++i) {
    const auto& e = j["analyzers"][i];
    const std::string path = ".analyzers[" + std::to_string(i) + "]";
    ASSIGN_OR_RETURN(std::string kind, r.String(e, path, "kind"));
    Analyzer a;
    int k = 0;
    while (k < 4 && kind != kAnalyzerNames[k]) ++k;
    if (k == 4) return r.Error(path + ".kind", "unknown analyzer '" + kind + "'");
    a.kind = static_cast<Analyzer::Kind>(k);
    ASSIGN_OR_RETURN(a.input, r.Id(e, path, "input"));
    ASSIGN_OR_RETURN(a.analyzed, r.Bool(e, path, "analyzed"));
    ASSIGN_OR_RETURN(a.count, r.Int(e, path, "count"));
    switch (a.kind) {
      case Analyzer::Kind::kMinMax: {
        ASSIGN_OR_RETURN(a.min, r.Number(e, path, "min"));
        ASSIGN_OR_RETURN(a.max, r.Number(e, path, "max"));
        break;
      }
      case Analyzer::Kind::kMeanVar: {
        ASSIGN_OR_RETURN(a.mean, r.Number(e, path, "mean"));
        ASSIGN_OR_RETURN(a.variance, r.Number(e, path, "variance"));
        if (!(a.variance >= 0)) return r.Error(path + ".variance", "negative");
        break;
      }
      case Analyzer::Kind::kQuantiles: {
        ASSIGN_OR_RETURN(int64_t buckets, r.Int(e, path, "num_buckets"));
        if (buckets < 1 || buckets > 1000000)
          return r.Error(path + ".num_buckets", "out of 1..1000000");
        a.num_buckets = static_cast<int>(buckets);
        ASSIGN_OR_RETURN(const nlohmann::json* b, r.Get(e, path, "boundaries"));
        if (!b->is_array()) return r.Error(path + ".boundaries", "expected a list");
        for (const auto& x : *b) {
          if (!x.is_number()) return r.Error(path + ".boundaries", "expected numbers");
          a.boundaries.push_back(x.get<double>());
        }
        break;
      }
      case Analyzer::Kind::kVocabulary: {
        ASSIGN_OR_RETURN(a.top_k, r.Int(e, path, "top_k"));
        ASSIGN_OR_RETURN(a.frequency_threshold, r.Int(e, path, "frequency_threshold"));
        ASSIGN_OR_RETURN(const nlohmann::json* v, r.Get(e, path, "vocabulary"));
        ASSIGN_OR_RETURN(const nlohmann::json* f, r.Get(e, path, "frequencies"));
        if (!v->is_array() || !f->is_array()) {
          return r.Error(path + ".vocabulary", "vocabulary and frequencies must be lists");
        }
        for (size_t x = 0; x < v->size(); ++x) {
          ASSIGN_OR_RETURN(std::string value,
                           BytesFromJson((*v)[x], where + ": " + path + ".vocabulary[" +
                                                      std::to_string(x) + "]"));
          a.vocabulary.push_back(std::move(value));
        }
        for (const auto& x : *f) {
          if (!x.is_number_integer()) return r.Error(path + ".frequencies", "expected integers");
          a.frequencies.push_back(x.get<int64_t>());
        }
        break;
      }
    }
    g.analyzers_.push_back(std::move(a));
  }
  if (!j.contains("outputs") || !j["outputs"].is_object() || j["outputs"].empty()) {
    return r.Error(".outputs", "expected a non-empty object of name -> node id");
  }
  for (const auto& [name, id] : j["outputs"].items()) {
    if (!id.is_number_integer()) return r.Error(".outputs." + name, "expected a node id");
    g.outputs_[name] = id.get<int>();
  }
  Status checked = g.Check();
  if (!checked.ok()) return Status::InvalidArgument(where + ": " + checked.message());
  g.Index();
  return g;
}

}  // namespace edgepipe::transform
