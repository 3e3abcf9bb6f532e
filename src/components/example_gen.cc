#include "src/components/example_gen.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <limits>
#include <memory>
#include <regex>
#include <set>
#include <tuple>

#include "src/core/files.h"
#include "src/core/sha256.h"
#include "src/core/tensor.h"
#include "src/data/examples.h"
#include "src/io/example.h"
#include "src/io/idx.h"
#include "src/io/tfrecord.h"
#include "src/mpi/sharded_evaluate.h"

namespace edgepipe::components {

namespace {

constexpr char kImageKey[] = "image_floats";
constexpr char kLabelKey[] = "image_class";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// What ImportExampleGen found in input_base.
struct InputFiles {
  std::vector<std::pair<std::string, std::string>> idx_pairs;  // (images, labels)
  std::vector<std::string> tfrecords;
  std::vector<std::string> all;  // every file used, for the fingerprint
};

StatusOr<InputFiles> FindInputs(const std::string& input_base) {
  if (!IsDirectory(input_base)) {
    return Status::NotFound(input_base +
                            ": input folder does not exist (expected a folder of "
                            "MNIST IDX files or TFRecord files of tf.Example)");
  }
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(input_base));
  InputFiles found;
  for (const std::string& name : names) {
    std::string path = JoinPath(input_base, name);
    if (IsDirectory(path) || name.starts_with(".")) continue;
    if (Contains(name, "images-idx3-ubyte")) {
      std::string labels_name = name;
      labels_name.replace(labels_name.find("images-idx3-ubyte"), 17, "labels-idx1-ubyte");
      std::string labels = JoinPath(input_base, labels_name);
      if (!PathExists(labels)) {
        return Status::NotFound(labels + ": missing the labels file that goes with " + path);
      }
      found.idx_pairs.emplace_back(path, labels);
      found.all.push_back(path);
      found.all.push_back(labels);
    } else if (EndsWith(name, ".tfrecord") || EndsWith(name, ".tfrecord.gz") ||
               EndsWith(name, ".gz")) {
      if (Contains(name, "-idx1-ubyte")) continue;  // labels, paired above
      found.tfrecords.push_back(path);
      found.all.push_back(path);
    }
  }
  if (found.all.empty()) {
    return Status::InvalidArgument(
        input_base +
        ": no input found (expected *images-idx3-ubyte[.gz] with "
        "*labels-idx1-ubyte[.gz], or *.tfrecord[.gz] files of tf.Example)");
  }
  return found;
}

// Under the MPI runner each rank imports a contiguous range [begin, end) of
// the examples of all inputs in order (so the shards in rank order are the
// one-process stream); `next` is the global index of the next example read.
struct ExampleRange {
  int64_t begin = 0;
  int64_t end = INT64_MAX;
  int64_t next = 0;
  bool Take() {
    const int64_t i = next++;
    return i >= begin && i < end;
  }
};

Status ImportIdx(const std::string& images_path, const std::string& labels_path,
                 ExampleSplitWriter* out, ExampleRange* range) {
  ASSIGN_OR_RETURN(Tensor images, io::ReadIdx(images_path));
  ASSIGN_OR_RETURN(Tensor labels, io::ReadIdx(labels_path));
  if (images.dtype() != DType::kUInt8 || images.rank() < 2) {
    return Status::InvalidArgument(images_path + ": expected uint8 images [N, rows, cols], got " +
                                   DTypeName(images.dtype()) + " " + ShapeToString(images.shape()));
  }
  if (labels.dtype() != DType::kUInt8 || labels.rank() != 1 || labels.dim(0) != images.dim(0)) {
    return Status::InvalidArgument(labels_path + ": expected uint8 labels [" +
                                   std::to_string(images.dim(0)) + "], got " +
                                   DTypeName(labels.dtype()) + " " + ShapeToString(labels.shape()));
  }
  const int64_t n = images.dim(0);
  if (n == 0) {
    return Status::InvalidArgument(images_path +
                                   ": holds 0 images (expected at least one example)");
  }
  const int64_t pixels = images.num_elements() / std::max<int64_t>(n, 1);
  const uint8_t* px = images.data<uint8_t>();
  const uint8_t* lb = labels.data<uint8_t>();
  std::vector<float> floats(static_cast<size_t>(pixels));
  tensorflow::Example example;
  for (int64_t i = 0; i < n; ++i) {
    if (!range->Take()) continue;
    // Raw intensities (0..255): scaling is the pipeline's Transform's job.
    for (int64_t j = 0; j < pixels; ++j) floats[j] = px[i * pixels + j];
    example.Clear();
    io::SetFloatFeature(kImageKey, floats, &example);
    io::SetInt64Feature(kLabelKey, {static_cast<int64_t>(lb[i])}, &example);
    const std::string serialized = io::SerializeDeterministic(example);
    RETURN_IF_ERROR(out->AddHashed(serialized, serialized));
  }
  return Status::OK();
}

Status ImportTFRecord(const std::string& path, ExampleSplitWriter* out, ExampleRange* range) {
  ASSIGN_OR_RETURN(auto reader, io::TFRecordReader::Open(path));
  std::string record;
  for (;;) {
    uint64_t offset = reader->offset();
    ASSIGN_OR_RETURN(bool more, reader->ReadRecord(&record));
    if (!more) break;
    if (!range->Take()) continue;
    ASSIGN_OR_RETURN(tensorflow::Example example,
                     io::ParseExample(record, path + ": offset " + std::to_string(offset)));
    const std::string serialized = io::SerializeDeterministic(example);
    RETURN_IF_ERROR(out->AddHashed(serialized, serialized));
  }
  if (reader->records_read() == 0) {
    return Status::InvalidArgument(path + ": holds no records (expected at least one tf.Example)");
  }
  return Status::OK();
}

// The number of examples of the inputs, in import order, without parsing
// them (a TFRecord is read through, an IDX by its labels file).
StatusOr<int64_t> CountExamples(const InputFiles& inputs) {
  int64_t n = 0;
  for (const auto& [images, labels] : inputs.idx_pairs) {
    ASSIGN_OR_RETURN(Tensor read, io::ReadIdx(labels));
    n += read.rank() >= 1 ? read.dim(0) : 0;
  }
  ASSIGN_OR_RETURN(int64_t records, mpi::CountRecords(inputs.tfrecords));
  return n + records;
}

Status Generate(pipeline::ExecutionContext& ctx, const ImportExampleGenOptions& options) {
  // Under the MPI runner every rank writes its own shard file per split.
  Collective* group =
      ctx.collective != nullptr && ctx.collective->size() > 1 ? ctx.collective : nullptr;
  ASSIGN_OR_RETURN(pipeline::Artifact * examples_ptr, ctx.SingleOutput("examples"));
  pipeline::Artifact& examples = *examples_ptr;
  std::unique_ptr<ExampleSplitWriter> writer;
  std::string fingerprint;
  const Status imported = [&]() -> Status {
    ASSIGN_OR_RETURN(InputFiles inputs, FindInputs(options.input_base));
    ExampleRange range;
    if (group != nullptr) {
      ASSIGN_OR_RETURN(int64_t total, CountExamples(inputs));
      std::tie(range.begin, range.end) = ShardOf(*group, total);
    }
    ASSIGN_OR_RETURN(writer, ExampleSplitWriter::OpenHashed(examples.uri, options.splits,
                                                            group ? group->rank() : 0,
                                                            group ? group->size() : 1));
    for (const auto& [images, labels] : inputs.idx_pairs) {
      RETURN_IF_ERROR(ImportIdx(images, labels, writer.get(), &range));
    }
    for (const std::string& path : inputs.tfrecords) {
      RETURN_IF_ERROR(ImportTFRecord(path, writer.get(), &range));
    }
    ASSIGN_OR_RETURN(fingerprint, InputFingerprint(inputs.all));
    return Status::OK();
  }();
  RETURN_IF_ERROR(group != nullptr ? AgreeOnStatus(*group, imported) : imported);
  return writer->Publish(options.input_base, 0, std::nullopt, fingerprint, &examples, group);
}

}  // namespace

int PartitionBucket(std::string_view serialized_example, int total_buckets) {
  Sha256Digest digest = Sha256(serialized_example);
  // The digest as one big-endian integer, reduced 32 bits at a time
  // (Horner): remainder < 2^31, so remainder * 2^32 + word fits in 64 bits.
  // Eight divisions instead of 32: ExampleGen hashes every example.
  const uint64_t n = static_cast<uint64_t>(total_buckets);
  uint64_t remainder = 0;
  for (size_t i = 0; i < digest.size(); i += 4) {
    const uint64_t word = uint64_t{digest[i]} << 24 | uint64_t{digest[i + 1]} << 16 |
                          uint64_t{digest[i + 2]} << 8 | digest[i + 3];
    remainder = ((remainder << 32) | word) % n;
  }
  return static_cast<int>(remainder);
}

StatusOr<pipeline::Component> ImportExampleGen(const ImportExampleGenOptions& options) {
  ASSIGN_OR_RETURN(nlohmann::json splits, SplitConfigJson("ImportExampleGen", options.splits));
  ASSIGN_OR_RETURN(InputFiles inputs, FindInputs(options.input_base));
  ASSIGN_OR_RETURN(std::string fingerprint, InputFingerprint(inputs.all));

  pipeline::Component c;
  c.id = options.id;
  c.type = "ImportExampleGen";
  c.outputs = {{"examples", "Examples"}};
  c.exec_properties = {{"input_base", options.input_base},
                       {"output_config", {{"split_config", {{"splits", splits}}}}},
                       {"input_fingerprint", fingerprint}};
  c.runs_on_every_rank = true;  // a shard per rank under the MPI runner
  c.executor = [options](pipeline::ExecutionContext& ctx) { return Generate(ctx, options); };
  return c;
}

// ---- shared by the file-based ExampleGens ------------------------------------

StatusOr<nlohmann::json> SplitConfigJson(std::string_view component,
                                         const std::vector<SplitConfig>& splits) {
  const std::string who(component);
  if (splits.empty()) return Status::InvalidArgument(who + ": no output splits");
  nlohmann::json out = nlohmann::json::array();
  std::set<std::string> names;
  int64_t total = 0;
  for (const SplitConfig& split : splits) {
    if (split.name.empty() || split.hash_buckets <= 0) {
      return Status::InvalidArgument(who + ": split '" + split.name +
                                     "': expected a name and hash_buckets > 0");
    }
    if (!names.insert(split.name).second) {
      return Status::InvalidArgument(who + ": split '" + split.name +
                                     "' named twice (expected unique split names)");
    }
    total += split.hash_buckets;
    if (total > std::numeric_limits<int>::max()) {
      return Status::InvalidArgument(who + ": hash_buckets add up to more than " +
                                     std::to_string(std::numeric_limits<int>::max()));
    }
    out.push_back({{"name", split.name}, {"hash_buckets", split.hash_buckets}});
  }
  return out;
}

StatusOr<std::string> InputFingerprint(const std::vector<std::string>& paths) {
  std::string text;
  for (const std::string& path : paths) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return Status::IOError(path + ": cannot stat");
    text += path + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
            "." + std::to_string(st.st_mtim.tv_nsec) + "\n";
  }
  return Sha256Hex(text);
}

namespace {

// One piece of an input pattern: glob text, or a TFX spec.
struct PatternPiece {
  enum Kind { kText, kSpan, kVersion, kYear, kMonth, kDay } kind = kText;
  std::string text;  // kText: the glob text; a spec: its text as written
  int width = 0;     // {SPAN:w} / {VERSION:w}; the date specs' fixed widths
};

StatusOr<std::vector<PatternPiece>> ParsePattern(const InputSplit& split) {
  auto bad = [&](const std::string& what) {
    return Status::InvalidArgument("input split '" + split.name + "' pattern '" + split.pattern +
                                   "': " + what);
  };
  std::vector<PatternPiece> pieces;
  int spans = 0, versions = 0, years = 0, months = 0, days = 0;
  std::string_view rest = split.pattern;
  std::string text;
  auto flush = [&] {
    if (!text.empty()) pieces.push_back({PatternPiece::kText, text, 0});
    text.clear();
  };
  struct Fixed {
    std::string_view name;
    PatternPiece::Kind kind;
    int width;
  };
  static constexpr Fixed kFixed[] = {{"{YYYY}", PatternPiece::kYear, 4},
                                     {"{MM}", PatternPiece::kMonth, 2},
                                     {"{DD}", PatternPiece::kDay, 2},
                                     {"{SPAN}", PatternPiece::kSpan, 0},
                                     {"{VERSION}", PatternPiece::kVersion, 0}};
  static constexpr Fixed kWidthed[] = {{"{SPAN:", PatternPiece::kSpan, 0},
                                       {"{VERSION:", PatternPiece::kVersion, 0}};
  while (!rest.empty()) {
    PatternPiece spec;
    size_t len = 0;
    for (const Fixed& f : kFixed) {
      if (!rest.starts_with(f.name)) continue;
      spec = {f.kind, std::string(f.name), f.width};
      len = f.name.size();
    }
    for (const Fixed& f : kWidthed) {
      if (len > 0 || !rest.starts_with(f.name)) continue;
      // TFX's '{SPAN:(?P<width>.*?)}': the width runs to the next '}'.
      const size_t close = rest.find('}');
      if (close == std::string_view::npos) break;
      const std::string width(rest.substr(f.name.size(), close - f.name.size()));
      int w = 0;
      if (!width.empty() && width.size() <= 4 &&
          std::all_of(width.begin(), width.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        w = std::stoi(width);
      }
      if (w <= 0) return bad("width '" + width + "' is not a positive integer");
      spec = {f.kind, std::string(rest.substr(0, close + 1)), w};
      len = close + 1;
    }
    if (len == 0) {
      text += rest.front();
      rest.remove_prefix(1);
      continue;
    }
    flush();
    spans += spec.kind == PatternPiece::kSpan;
    versions += spec.kind == PatternPiece::kVersion;
    years += spec.kind == PatternPiece::kYear;
    months += spec.kind == PatternPiece::kMonth;
    days += spec.kind == PatternPiece::kDay;
    pieces.push_back(spec);
    rest.remove_prefix(len);
  }
  flush();
  const bool date = years + months + days > 0;
  if (spans > 0 && date) return bad("{SPAN} and date specs cannot be used together");
  if (spans > 1) return bad("more than one {SPAN} (expected at most one)");
  if (date && (years != 1 || months != 1 || days != 1)) {
    return bad("expected exactly one each of {YYYY}, {MM} and {DD}");
  }
  if (versions > 1) return bad("more than one {VERSION} (expected at most one)");
  if (versions > 0 && spans == 0 && !date) {
    return bad("{VERSION} without {SPAN} or date specs (expected a span to version)");
  }
  return pieces;
}

bool HasGlobChars(std::string_view s) { return s.find_first_of("*?[\\") != std::string_view::npos; }

// Walks `base` along the pattern's components ('/'-separated glob text,
// fnmatch per component: `*` never crosses '/', a leading '.' must be
// matched explicitly), collecting the regular files matched.
Status MatchFiles(const std::string& base, const std::vector<std::string>& components, size_t i,
                  const std::string& rel, std::vector<std::string>* out) {
  const std::string here = rel.empty() ? base : JoinPath(base, rel);
  if (i == components.size()) {
    struct stat st;
    if (!rel.empty() && ::stat(here.c_str(), &st) == 0 && S_ISREG(st.st_mode)) out->push_back(rel);
    return Status::OK();
  }
  const std::string& c = components[i];
  auto next = [&](const std::string& name) { return rel.empty() ? name : rel + "/" + name; };
  if (!HasGlobChars(c)) {
    if (!PathExists(JoinPath(base, next(c)))) return Status::OK();
    return MatchFiles(base, components, i + 1, next(c), out);
  }
  if (!IsDirectory(here)) return Status::OK();
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(here));
  for (const std::string& name : names) {
    if (::fnmatch(c.c_str(), name.c_str(), FNM_PERIOD) != 0) continue;
    RETURN_IF_ERROR(MatchFiles(base, components, i + 1, next(name), out));
  }
  return Status::OK();
}

// Relative paths (sorted) of the regular files under `base` matching `glob`.
StatusOr<std::vector<std::string>> GlobFiles(const std::string& base, const std::string& glob) {
  std::vector<std::string> components;
  size_t start = 0;
  while (start <= glob.size()) {
    size_t slash = glob.find('/', start);
    if (slash == std::string::npos) slash = glob.size();
    if (slash > start) components.push_back(glob.substr(start, slash - start));
    start = slash + 1;
  }
  std::vector<std::string> files;
  if (components.empty()) return files;
  RETURN_IF_ERROR(MatchFiles(base, components, 0, "", &files));
  std::sort(files.begin(), files.end());
  return files;
}

// The regex of a glob text (for the captures of the specs around it).
std::string GlobToRegex(std::string_view glob) {
  std::string re;
  for (size_t i = 0; i < glob.size(); ++i) {
    const char c = glob[i];
    if (c == '*') {
      re += "[^/]*";
    } else if (c == '?') {
      re += "[^/]";
    } else if (c == '[') {
      size_t j = i + 1;
      const bool negate = j < glob.size() && (glob[j] == '!' || glob[j] == '^');
      if (negate) ++j;
      size_t close = glob.find(']', j + 1);  // a ']' right after '[' is literal
      if (j >= glob.size() || close == std::string_view::npos) {
        re += "\\[";
        continue;
      }
      re += negate ? "[^" : "[";
      for (size_t k = j; k < close; ++k) {
        if (glob[k] == '\\' || glob[k] == ']' || glob[k] == '[' || glob[k] == '^') re += '\\';
        re += glob[k];
      }
      re += ']';
      i = close;
    } else {
      char lit = c;
      if (c == '\\' && i + 1 < glob.size()) lit = glob[++i];
      if (std::string_view(".^$|()[]{}*+?\\/").find(lit) != std::string_view::npos) re += '\\';
      re += lit;
    }
  }
  return re;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil); false for a date that does not exist.
bool DaysFromCivil(int64_t y, int64_t m, int64_t d, int64_t* days) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > kDays[m - 1] + (m == 2 && leap ? 1 : 0)) return false;
  y -= m <= 2;
  const int64_t era = y / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  *days = era * 146097 + doe - 719468;
  return true;
}

std::optional<int64_t> DecimalNumber(const std::string& s) {
  if (s.empty() || s.size() > 18 ||
      !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(s);
}

struct SplitResolution {
  std::string pattern;  // filled in
  std::vector<std::string> files;
  int64_t span = 0;
  std::optional<int64_t> version;
};

StatusOr<SplitResolution> ResolveSplit(const std::string& input_base, const InputSplit& split) {
  ASSIGN_OR_RETURN(std::vector<PatternPiece> pieces, ParsePattern(split));
  auto where = [&] {
    return input_base + ": input split '" + split.name + "' pattern '" + split.pattern + "'";
  };
  SplitResolution out;
  out.pattern = split.pattern;
  const bool has_specs = std::any_of(pieces.begin(), pieces.end(), [](const PatternPiece& p) {
    return p.kind != PatternPiece::kText;
  });
  if (has_specs) {
    // TFX: specs become '*' to find candidates, and capture groups to read
    // the span and version out of each candidate's path.
    std::string glob, regex;
    std::vector<PatternPiece::Kind> groups;
    for (const PatternPiece& p : pieces) {
      if (p.kind == PatternPiece::kText) {
        glob += p.text;
        regex += GlobToRegex(p.text);
      } else {
        glob += '*';
        regex += p.width > 0 ? "(.{" + std::to_string(p.width) + "})" : std::string("(.*)");
        groups.push_back(p.kind);
      }
    }
    const std::regex re(regex);
    ASSIGN_OR_RETURN(std::vector<std::string> candidates, GlobFiles(input_base, glob));
    std::optional<int64_t> latest_span;
    std::optional<int64_t> latest_version;
    std::vector<std::string> latest_tokens;  // per group
    for (const std::string& rel : candidates) {
      std::smatch m;
      if (!std::regex_match(rel, m, re)) continue;  // a width that does not fit
      int64_t span = 0;
      std::optional<int64_t> version;
      int64_t ymd[3] = {0, 0, 0};
      for (size_t g = 0; g < groups.size(); ++g) {
        const std::string token = m[g + 1].str();
        std::optional<int64_t> n = DecimalNumber(token);
        const char* what = groups[g] == PatternPiece::kVersion ? "version" : "span";
        if (!n.has_value()) {
          return Status::InvalidArgument(where() + ": cannot read a " + std::string(what) +
                                         " number from '" + token + "' in " +
                                         JoinPath(input_base, rel) + " (expected decimal digits)");
        }
        switch (groups[g]) {
          case PatternPiece::kSpan:
            span = *n;
            break;
          case PatternPiece::kVersion:
            version = *n;
            break;
          case PatternPiece::kYear:
            ymd[0] = *n;
            break;
          case PatternPiece::kMonth:
            ymd[1] = *n;
            break;
          case PatternPiece::kDay:
            ymd[2] = *n;
            break;
          case PatternPiece::kText:
            break;
        }
      }
      const bool date = std::any_of(groups.begin(), groups.end(),
                                    [](PatternPiece::Kind k) { return k == PatternPiece::kYear; });
      if (date && !DaysFromCivil(ymd[0], ymd[1], ymd[2], &span)) {
        return Status::InvalidArgument(where() + ": " + JoinPath(input_base, rel) +
                                       " holds no valid date (expected {YYYY}{MM}{DD} of a "
                                       "calendar day)");
      }
      if (!latest_span.has_value() || span > *latest_span) {
        latest_span = span;
        latest_version = version;
        latest_tokens.clear();
        for (size_t g = 0; g < groups.size(); ++g) latest_tokens.push_back(m[g + 1].str());
      } else if (span == *latest_span && version.has_value() &&
                 (!latest_version.has_value() || *version >= *latest_version)) {
        latest_version = version;
        for (size_t g = 0; g < groups.size(); ++g) {
          if (groups[g] == PatternPiece::kVersion) latest_tokens[g] = m[g + 1].str();
        }
      }
    }
    if (!latest_span.has_value()) {
      return Status::NotFound(where() + " matches no file (expected files with a span)");
    }
    out.span = *latest_span;
    out.version = latest_version;
    out.pattern.clear();
    size_t g = 0;
    for (const PatternPiece& p : pieces) {
      out.pattern += p.kind == PatternPiece::kText ? p.text : latest_tokens[g++];
    }
  }
  ASSIGN_OR_RETURN(std::vector<std::string> rel, GlobFiles(input_base, out.pattern));
  if (rel.empty()) return Status::NotFound(where() + " matches no file");
  for (const std::string& r : rel) out.files.push_back(JoinPath(input_base, r));
  return out;
}

}  // namespace

StatusOr<ResolvedInput> ResolveInputSplits(const std::string& input_base,
                                           const std::vector<InputSplit>& splits) {
  if (!IsDirectory(input_base)) {
    return Status::NotFound(input_base + ": input folder does not exist");
  }
  if (splits.empty()) return Status::InvalidArgument(input_base + ": no input splits");
  ResolvedInput out;
  std::set<std::string> names;
  for (size_t i = 0; i < splits.size(); ++i) {
    const InputSplit& split = splits[i];
    if (split.name.empty() || split.pattern.empty()) {
      return Status::InvalidArgument("input split '" + split.name + "' pattern '" + split.pattern +
                                     "': expected a name and a pattern");
    }
    if (split.pattern.starts_with("/")) {
      return Status::InvalidArgument("input split '" + split.name + "' pattern '" + split.pattern +
                                     "': expected a pattern relative to " + input_base);
    }
    if (!names.insert(split.name).second) {
      return Status::InvalidArgument("input split '" + split.name +
                                     "' named twice (expected unique split names)");
    }
    ASSIGN_OR_RETURN(SplitResolution r, ResolveSplit(input_base, split));
    if (i > 0 && (r.span != out.span || r.version != out.version)) {
      auto show = [](int64_t span, std::optional<int64_t> version) {
        return "span " + std::to_string(span) +
               (version ? " version " + std::to_string(*version) : std::string());
      };
      return Status::InvalidArgument(input_base + ": input split '" + split.name +
                                     "' resolves to " + show(r.span, r.version) + ", split '" +
                                     splits[0].name + "' to " + show(out.span, out.version) +
                                     " (expected the same latest span and version in every split)");
    }
    out.span = r.span;
    out.version = r.version;
    out.splits.push_back({split.name, r.pattern});
    out.files.push_back(std::move(r.files));
  }
  std::vector<std::string> all;
  for (const auto& files : out.files) all.insert(all.end(), files.begin(), files.end());
  ASSIGN_OR_RETURN(out.fingerprint, InputFingerprint(all));
  return out;
}

// ---- ExampleSplitWriter ------------------------------------------------------

namespace {
constexpr size_t kBatchBytes = size_t{256} << 10;
constexpr size_t kMaxQueuedBatches = 4;
}  // namespace

Status ExampleSplitWriter::OpenSplit(const std::string& uri, const std::string& name,
                                     std::string origin) {
  const std::string dir = JoinPath(uri, "Split-" + name);
  RETURN_IF_ERROR(CreateDirectories(dir));
  ASSIGN_OR_RETURN(auto writer,
                   io::TFRecordWriter::Open(
                       JoinPath(dir, data::ShardFileName("data_tfrecord", shard_, num_shards_)),
                       io::Compression::kGzip));
  writers_.push_back(std::move(writer));
  names_.push_back(name);
  origins_.push_back(std::move(origin));
  counts_.push_back(0);
  filling_.push_back(std::make_unique<Batch>());
  filling_.back()->split = filling_.size() - 1;
  return Status::OK();
}

void ExampleSplitWriter::StartThread() {
  try {
    thread_ = std::thread([this] { WriterLoop(); });
  } catch (const std::system_error&) {
    // No thread (ulimit -u): the caller's thread writes the batches.
  }
}

ExampleSplitWriter::~ExampleSplitWriter() {
  {
    // Not published: what waits in the queue need not be written.
    std::lock_guard<std::mutex> lock(mu_);
    queue_.clear();
  }
  (void)StopThread();
}

namespace {
Status CheckShard(int shard, int num_shards) {
  if (num_shards < 1 || num_shards > 99999 || shard < 0 || shard >= num_shards) {
    return Status::InvalidArgument("ExampleSplitWriter: shard " + std::to_string(shard) + " of " +
                                   std::to_string(num_shards) +
                                   " (expected 0 <= shard < num_shards <= 99999)");
  }
  return Status::OK();
}
}  // namespace

StatusOr<std::unique_ptr<ExampleSplitWriter>> ExampleSplitWriter::OpenHashed(
    const std::string& uri, const std::vector<SplitConfig>& splits, int shard, int num_shards) {
  RETURN_IF_ERROR(SplitConfigJson("ExampleSplitWriter", splits).status());
  RETURN_IF_ERROR(CheckShard(shard, num_shards));
  std::unique_ptr<ExampleSplitWriter> w(new ExampleSplitWriter());
  w->shard_ = shard;
  w->num_shards_ = num_shards;
  int total = 0;
  for (const SplitConfig& split : splits) total += split.hash_buckets;
  for (const SplitConfig& split : splits) {
    w->total_buckets_ += split.hash_buckets;
    w->bucket_end_.push_back(w->total_buckets_);
    RETURN_IF_ERROR(w->OpenSplit(
        uri, split.name,
        "hash_buckets " + std::to_string(split.hash_buckets) + " of " + std::to_string(total)));
  }
  w->StartThread();
  return w;
}

StatusOr<std::unique_ptr<ExampleSplitWriter>> ExampleSplitWriter::OpenPreSplit(
    const std::string& uri, const std::vector<InputSplit>& splits, int shard, int num_shards) {
  if (splits.empty()) return Status::InvalidArgument("ExampleSplitWriter: no splits");
  RETURN_IF_ERROR(CheckShard(shard, num_shards));
  std::unique_ptr<ExampleSplitWriter> w(new ExampleSplitWriter());
  w->shard_ = shard;
  w->num_shards_ = num_shards;
  for (const InputSplit& split : splits) {
    RETURN_IF_ERROR(w->OpenSplit(uri, split.name, "input pattern '" + split.pattern + "'"));
  }
  w->StartThread();
  return w;
}

Status ExampleSplitWriter::AddHashed(std::string_view partition_key,
                                     std::string_view serialized_example) {
  if (total_buckets_ == 0) return Status::Internal("AddHashed on a pre-split writer");
  const int bucket = PartitionBucket(partition_key, total_buckets_);
  size_t split = 0;
  while (bucket >= bucket_end_[split]) ++split;  // TFX: bisect.bisect(buckets, bucket)
  return Add(split, serialized_example);
}

Status ExampleSplitWriter::AddToSplit(size_t split, std::string_view serialized_example) {
  if (split >= writers_.size()) return Status::Internal("AddToSplit: no such split");
  return Add(split, serialized_example);
}

Status ExampleSplitWriter::Add(size_t split, std::string_view serialized_example) {
  ++counts_[split];
  Batch& batch = *filling_[split];
  batch.bytes.append(serialized_example);
  batch.ends.push_back(batch.bytes.size());
  return batch.bytes.size() >= kBatchBytes ? Flush(split) : Status::OK();
}

Status ExampleSplitWriter::WriteBatch(const Batch& batch) {
  size_t begin = 0;
  for (size_t end : batch.ends) {
    RETURN_IF_ERROR(
        writers_[batch.split]->Write(std::string_view(batch.bytes).substr(begin, end - begin)));
    begin = end;
  }
  return Status::OK();
}

Status ExampleSplitWriter::Flush(size_t split) {
  std::unique_ptr<Batch>& batch = filling_[split];
  if (batch->ends.empty()) return Status::OK();
  if (!thread_.joinable()) {
    Status st = WriteBatch(*batch);
    batch->bytes.clear();
    batch->ends.clear();
    return st;
  }
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return queue_.size() < kMaxQueuedBatches || !write_error_.ok(); });
  if (!write_error_.ok()) return write_error_;
  queue_.push_back(std::move(batch));
  if (spare_.empty()) {
    batch = std::make_unique<Batch>();
  } else {
    batch = std::move(spare_.back());
    spare_.pop_back();
  }
  batch->split = split;
  cv_.notify_all();
  return Status::OK();
}

void ExampleSplitWriter::WriterLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return !queue_.empty() || stop_; });
    if (queue_.empty()) return;  // stopped, and everything written
    std::unique_ptr<Batch> batch = std::move(queue_.front());
    queue_.pop_front();
    const bool failed = !write_error_.ok();
    lock.unlock();
    // After an error the rest is dropped: the files will not be published.
    Status st = failed ? Status::OK() : WriteBatch(*batch);
    batch->bytes.clear();
    batch->ends.clear();
    lock.lock();
    if (!st.ok() && write_error_.ok()) write_error_ = st;
    spare_.push_back(std::move(batch));
    cv_.notify_all();
  }
}

Status ExampleSplitWriter::StopThread() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  std::lock_guard<std::mutex> lock(mu_);
  return write_error_;
}

Status ExampleSplitWriter::Publish(std::string_view input, int64_t span,
                                   std::optional<int64_t> version, const std::string& fingerprint,
                                   pipeline::Artifact* examples, Collective* group) {
  Status flushed = [&]() -> Status {
    for (size_t i = 0; i < filling_.size(); ++i) RETURN_IF_ERROR(Flush(i));
    RETURN_IF_ERROR(StopThread());
    for (size_t i = 0; i < filling_.size(); ++i) RETURN_IF_ERROR(Flush(i));  // thread-less
    return Status::OK();
  }();
  // The counts of every shard: the same check and properties on every rank.
  std::vector<int64_t> counts = counts_;
  if (group != nullptr && group->size() > 1) {
    RETURN_IF_ERROR(AgreeOnStatus(*group, flushed));
    std::vector<double> sums(counts.begin(), counts.end());  // exact below 2^53
    RETURN_IF_ERROR(group->AllreduceSum(sums.data(), static_cast<int64_t>(sums.size())));
    for (size_t i = 0; i < counts.size(); ++i) counts[i] = static_cast<int64_t>(sums[i]);
  } else {
    RETURN_IF_ERROR(flushed);
  }
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  for (size_t i = 0; i < names_.size(); ++i) {
    if (counts[i] > 0) continue;
    // The writers are dropped with this object: their temp files go too.
    return Status::InvalidArgument(std::string(input) + ": split '" + names_[i] +
                                   "' got 0 of the " + std::to_string(total) + " examples (" +
                                   origins_[i] + "; expected at least one example per split)");
  }
  for (auto& writer : writers_) RETURN_IF_ERROR(writer->Close());
  std::string split_names = "[";
  for (size_t i = 0; i < names_.size(); ++i) {
    if (i > 0) split_names += ", ";
    split_names += "\"" + names_[i] + "\"";
    examples->custom_properties["num_examples_" + names_[i]] = counts[i];
  }
  examples->properties["split_names"] = split_names + "]";
  examples->properties["span"] = span;
  if (version.has_value()) examples->properties["version"] = *version;
  examples->custom_properties["payload_format"] = std::string("FORMAT_TF_EXAMPLE");
  examples->custom_properties["file_format"] = std::string("tfrecords_gzip");
  examples->custom_properties["input_fingerprint"] = fingerprint;
  return Status::OK();
}

}  // namespace edgepipe::components
