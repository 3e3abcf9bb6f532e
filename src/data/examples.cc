#include "src/data/examples.h"

#include <cstdio>
#include <cstring>
#include <set>

#include "src/core/files.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"

namespace edgepipe::data {
namespace {

Status ValidateSpecs(const std::vector<FeatureSpec>& specs) {
  if (specs.empty()) return Status::InvalidArgument("ReadExamples: no feature specs given");
  std::set<std::string_view> names;
  for (const FeatureSpec& s : specs) {
    if (s.name.empty()) return Status::InvalidArgument("feature spec with an empty name");
    if (!names.insert(s.name).second) {
      return Status::InvalidArgument("feature '" + s.name + "' listed twice in the specs");
    }
    if (s.dtype != DType::kFloat32 && s.dtype != DType::kInt64) {
      return Status::InvalidArgument("feature '" + s.name + "': dtype " + DTypeName(s.dtype) +
                                     " not supported (expected float32 or int64)");
    }
    if (s.length <= 0) {
      return Status::InvalidArgument("feature '" + s.name + "': length " +
                                     std::to_string(s.length) + " (expected > 0)");
    }
  }
  return Status::OK();
}

const char* KindName(tensorflow::Feature::KindCase kind) {
  switch (kind) {
    case tensorflow::Feature::kBytesList:
      return "bytes_list";
    case tensorflow::Feature::kFloatList:
      return "float_list";
    case tensorflow::Feature::kInt64List:
      return "int64_list";
    default:
      return "no value (kind not set)";
  }
}

// Accumulates columns as raw bytes; one copy into tensors at the end.
class TableBuilder {
 public:
  TableBuilder(const std::vector<FeatureSpec>& specs, const ReadOptions& options)
      : specs_(specs), options_(options), bytes_(specs.size()) {}

  // Appends the features of one serialized example. `where` is
  // "<file>: record <i>".
  Status Add(const std::string& serialized, const std::string& where) {
    example_.Clear();
    if (!example_.ParseFromString(serialized)) {
      return Status::Corruption(where + ": not a valid tensorflow.Example (" +
                                std::to_string(serialized.size()) + " bytes)");
    }
    const auto& fmap = example_.features().feature();
    if (options_.missing_values == MissingValues::kSkipExample && LacksAValue(fmap)) {
      ++num_skipped_;
      return Status::OK();
    }
    for (size_t c = 0; c < specs_.size(); ++c) {
      const FeatureSpec& spec = specs_[c];
      const bool is_float = spec.dtype == DType::kFloat32;
      const char* unit = is_float ? "floats" : "int64s";
      auto it = fmap.find(spec.name);
      if (it == fmap.end()) {
        return Status::Corruption(where + ": feature '" + spec.name + "' missing (expected " +
                                  std::to_string(spec.length) + " " + unit + ")");
      }
      const tensorflow::Feature& f = it->second;
      const auto want_kind =
          is_float ? tensorflow::Feature::kFloatList : tensorflow::Feature::kInt64List;
      if (f.kind_case() != want_kind) {
        return Status::Corruption(where + ": feature '" + spec.name + "': expected " +
                                  KindName(want_kind) + ", got " + KindName(f.kind_case()));
      }
      const int n = is_float ? f.float_list().value_size() : f.int64_list().value_size();
      if (n != spec.length) {
        return Status::Corruption(where + ": feature '" + spec.name + "': expected " +
                                  std::to_string(spec.length) + " " + unit + ", got " +
                                  std::to_string(n));
      }
      const void* src = is_float ? static_cast<const void*>(f.float_list().value().data())
                                 : static_cast<const void*>(f.int64_list().value().data());
      const size_t nbytes = static_cast<size_t>(n) * (is_float ? sizeof(float) : sizeof(int64_t));
      std::string& dst = bytes_[c];
      const size_t old = dst.size();
      dst.resize(old + nbytes);
      std::memcpy(dst.data() + old, src, nbytes);
    }
    ++num_examples_;
    return Status::OK();
  }

  ExampleTable Finish() {
    ExampleTable table;
    table.num_examples = num_examples_;
    table.num_skipped = num_skipped_;
    table.specs = specs_;
    for (size_t c = 0; c < specs_.size(); ++c) {
      Tensor t(specs_[c].dtype, {num_examples_, specs_[c].length});
      if (t.num_bytes() > 0) std::memcpy(t.raw_data(), bytes_[c].data(), t.num_bytes());
      std::string().swap(bytes_[c]);
      table.columns.push_back(std::move(t));
    }
    return table;
  }

 private:
  // True if some requested feature is absent or has an empty list (of any
  // kind, or no kind set: an all-empty CSV column).
  template <typename FeatureMap>
  bool LacksAValue(const FeatureMap& fmap) const {
    for (const FeatureSpec& spec : specs_) {
      auto it = fmap.find(spec.name);
      if (it == fmap.end()) return true;
      const tensorflow::Feature& f = it->second;
      const int n = f.has_float_list()   ? f.float_list().value_size()
                    : f.has_int64_list() ? f.int64_list().value_size()
                    : f.has_bytes_list() ? f.bytes_list().value_size()
                                         : 0;
      if (n == 0) return true;
    }
    return false;
  }

  const std::vector<FeatureSpec>& specs_;
  const ReadOptions options_;
  std::vector<std::string> bytes_;
  tensorflow::Example example_;  // reused: protobuf keeps the allocations
  int64_t num_examples_ = 0;
  int64_t num_skipped_ = 0;
};

}  // namespace

int ExampleTable::FindColumn(std::string_view name) const {
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

StatusOr<const Tensor*> ExampleTable::Column(std::string_view name) const {
  int i = FindColumn(name);
  if (i < 0) {
    std::string known;
    for (const FeatureSpec& s : specs) known += (known.empty() ? "'" : ", '") + s.name + "'";
    return Status::NotFound("no column '" + std::string(name) + "' (columns: " + known + ")");
  }
  return &columns[static_cast<size_t>(i)];
}

StatusOr<ExampleTable> ReadExamples(const std::vector<std::string>& files,
                                    const std::vector<FeatureSpec>& specs,
                                    const ReadOptions& options) {
  RETURN_IF_ERROR(ValidateSpecs(specs));
  if (files.empty()) return Status::InvalidArgument("ReadExamples: no input files");
  TableBuilder builder(specs, options);
  std::string record;
  for (const std::string& file : files) {
    ASSIGN_OR_RETURN(auto reader, io::TFRecordReader::Open(file));
    for (int64_t i = 0;; ++i) {
      ASSIGN_OR_RETURN(bool more, reader->ReadRecord(&record));
      if (!more) break;
      RETURN_IF_ERROR(builder.Add(record, file + ": record " + std::to_string(i)));
    }
  }
  return builder.Finish();
}

StatusOr<ExampleTable> ParseExamples(const std::vector<std::string>& serialized,
                                     const std::vector<FeatureSpec>& specs, std::string_view name,
                                     const ReadOptions& options) {
  RETURN_IF_ERROR(ValidateSpecs(specs));
  TableBuilder builder(specs, options);
  for (size_t i = 0; i < serialized.size(); ++i) {
    RETURN_IF_ERROR(
        builder.Add(serialized[i], std::string(name) + ": record " + std::to_string(i)));
  }
  return builder.Finish();
}

std::string ShardFileName(std::string_view prefix, int shard, int num_shards) {
  char digits[32];
  std::snprintf(digits, sizeof(digits), "-%05d-of-%05d.gz", shard, num_shards);
  return std::string(prefix) + digits;
}

StatusOr<std::vector<std::string>> SplitFiles(const std::string& examples_uri,
                                              const std::string& split) {
  const std::string dir = JoinPath(examples_uri, "Split-" + split);
  if (!IsDirectory(dir)) return Status::NotFound(dir + ": split folder does not exist");
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(dir));
  std::vector<std::string> files;
  for (const std::string& name : names) {
    if (name.empty() || name[0] == '.' || name.find(".tmp-") != std::string::npos) continue;
    std::string path = JoinPath(dir, name);
    if (IsDirectory(path)) continue;
    files.push_back(std::move(path));
  }
  if (files.empty()) return Status::NotFound(dir + ": split folder holds no files");
  return files;
}

}  // namespace edgepipe::data
