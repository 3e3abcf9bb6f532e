#include "src/components/example_gen.h"

#include <sys/stat.h>

#include <algorithm>
#include <memory>

#include "src/core/files.h"
#include "src/core/sha256.h"
#include "src/core/tensor.h"
#include "src/io/example.h"
#include "src/io/idx.h"
#include "src/io/tfrecord.h"

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

// TFX fingerprints a span by its files' names, sizes and modification times.
StatusOr<std::string> Fingerprint(const InputFiles& files) {
  std::string text;
  for (const std::string& path : files.all) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return Status::IOError(path + ": cannot stat");
    text += path + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
            "." + std::to_string(st.st_mtim.tv_nsec) + "\n";
  }
  return Sha256Hex(text);
}

// Streams examples into one writer per split.
class SplitWriter {
 public:
  static StatusOr<SplitWriter> Open(const std::string& uri,
                                    const std::vector<SplitConfig>& splits) {
    SplitWriter w;
    for (const SplitConfig& split : splits) {
      w.total_buckets_ += split.hash_buckets;
      w.bucket_end_.push_back(w.total_buckets_);
      std::string dir = JoinPath(uri, "Split-" + split.name);
      RETURN_IF_ERROR(CreateDirectories(dir));
      ASSIGN_OR_RETURN(auto writer,
                       io::TFRecordWriter::Open(JoinPath(dir, "data_tfrecord-00000-of-00001.gz"),
                                                io::Compression::kGzip));
      w.writers_.push_back(std::move(writer));
    }
    w.counts_.assign(splits.size(), 0);
    return w;
  }

  Status Add(const std::string& serialized_deterministic) {
    int bucket = PartitionBucket(serialized_deterministic, total_buckets_);
    size_t split = 0;
    while (bucket >= bucket_end_[split]) ++split;
    ++counts_[split];
    return writers_[split]->Write(serialized_deterministic);
  }

  Status Close() {
    for (auto& writer : writers_) RETURN_IF_ERROR(writer->Close());
    return Status::OK();
  }
  const std::vector<int64_t>& counts() const { return counts_; }
  int total_buckets() const { return total_buckets_; }

 private:
  int total_buckets_ = 0;
  std::vector<int> bucket_end_;
  std::vector<std::unique_ptr<io::TFRecordWriter>> writers_;
  std::vector<int64_t> counts_;
};

Status ImportIdx(const std::string& images_path, const std::string& labels_path, SplitWriter* out) {
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
    // Raw intensities (0..255): scaling is the pipeline's Transform's job.
    for (int64_t j = 0; j < pixels; ++j) floats[j] = px[i * pixels + j];
    example.Clear();
    io::SetFloatFeature(kImageKey, floats, &example);
    io::SetInt64Feature(kLabelKey, {static_cast<int64_t>(lb[i])}, &example);
    RETURN_IF_ERROR(out->Add(io::SerializeDeterministic(example)));
  }
  return Status::OK();
}

Status ImportTFRecord(const std::string& path, SplitWriter* out) {
  ASSIGN_OR_RETURN(auto reader, io::TFRecordReader::Open(path));
  std::string record;
  for (;;) {
    uint64_t offset = reader->offset();
    ASSIGN_OR_RETURN(bool more, reader->ReadRecord(&record));
    if (!more) break;
    ASSIGN_OR_RETURN(tensorflow::Example example,
                     io::ParseExample(record, path + ": offset " + std::to_string(offset)));
    RETURN_IF_ERROR(out->Add(io::SerializeDeterministic(example)));
  }
  if (reader->records_read() == 0) {
    return Status::InvalidArgument(path + ": holds no records (expected at least one tf.Example)");
  }
  return Status::OK();
}

Status Generate(pipeline::ExecutionContext& ctx, const ImportExampleGenOptions& options) {
  ASSIGN_OR_RETURN(InputFiles inputs, FindInputs(options.input_base));
  ASSIGN_OR_RETURN(pipeline::Artifact * examples_ptr, ctx.SingleOutput("examples"));
  pipeline::Artifact& examples = *examples_ptr;
  ASSIGN_OR_RETURN(SplitWriter writer, SplitWriter::Open(examples.uri, options.splits));
  for (const auto& [images, labels] : inputs.idx_pairs) {
    RETURN_IF_ERROR(ImportIdx(images, labels, &writer));
  }
  for (const std::string& path : inputs.tfrecords) RETURN_IF_ERROR(ImportTFRecord(path, &writer));
  // A split without examples would only fail later (a Trainer or Evaluator
  // with nothing to read); the writers are dropped, so nothing is published.
  int64_t total = 0;
  for (int64_t c : writer.counts()) total += c;
  for (size_t i = 0; i < options.splits.size(); ++i) {
    if (writer.counts()[i] > 0) continue;
    return Status::InvalidArgument(
        options.input_base + ": split '" + options.splits[i].name + "' got 0 of the " +
        std::to_string(total) + " examples (hash_buckets " +
        std::to_string(options.splits[i].hash_buckets) + " of " +
        std::to_string(writer.total_buckets()) + "; expected at least one example per split)");
  }
  RETURN_IF_ERROR(writer.Close());

  std::string split_names = "[";
  for (size_t i = 0; i < options.splits.size(); ++i) {
    if (i > 0) split_names += ", ";
    split_names += "\"" + options.splits[i].name + "\"";
    examples.custom_properties["num_examples_" + options.splits[i].name] = writer.counts()[i];
  }
  examples.properties["split_names"] = split_names + "]";
  examples.properties["span"] = int64_t{0};
  examples.custom_properties["payload_format"] = std::string("FORMAT_TF_EXAMPLE");
  examples.custom_properties["file_format"] = std::string("tfrecords_gzip");
  ASSIGN_OR_RETURN(std::string fingerprint, Fingerprint(inputs));
  examples.custom_properties["input_fingerprint"] = fingerprint;
  return Status::OK();
}

}  // namespace

int PartitionBucket(std::string_view serialized_example, int total_buckets) {
  Sha256Digest digest = Sha256(serialized_example);
  // The digest as one big-endian integer, reduced byte by byte (Horner).
  uint32_t remainder = 0;
  for (uint8_t byte : digest) remainder = (remainder * 256 + byte) % total_buckets;
  return static_cast<int>(remainder);
}

StatusOr<pipeline::Component> ImportExampleGen(const ImportExampleGenOptions& options) {
  if (options.splits.empty()) return Status::InvalidArgument("ImportExampleGen: no splits");
  nlohmann::json splits = nlohmann::json::array();
  for (const SplitConfig& split : options.splits) {
    if (split.name.empty() || split.hash_buckets <= 0) {
      return Status::InvalidArgument("ImportExampleGen: split '" + split.name +
                                     "': expected a name and hash_buckets > 0");
    }
    splits.push_back({{"name", split.name}, {"hash_buckets", split.hash_buckets}});
  }
  ASSIGN_OR_RETURN(InputFiles inputs, FindInputs(options.input_base));
  ASSIGN_OR_RETURN(std::string fingerprint, Fingerprint(inputs));

  pipeline::Component c;
  c.id = options.id;
  c.type = "ImportExampleGen";
  c.outputs = {{"examples", "Examples"}};
  c.exec_properties = {{"input_base", options.input_base},
                       {"output_config", {{"split_config", {{"splits", splits}}}}},
                       {"input_fingerprint", fingerprint}};
  c.executor = [options](pipeline::ExecutionContext& ctx) { return Generate(ctx, options); };
  return c;
}

}  // namespace edgepipe::components
