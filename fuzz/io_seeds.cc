// Seeds of tfrecord_fuzzer, example_fuzzer, idx_fuzzer and csv_fuzzer,
// written by our own TFRecordWriter, Example builders and WriteIdx, and (CSV)
// by hand.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/corpus.h"
#include "src/core/files.h"
#include "src/core/tensor.h"
#include "src/io/byte_stream.h"
#include "src/io/example.h"
#include "src/io/idx.h"
#include "src/io/tfrecord.h"

namespace edgepipe::fuzz {
namespace {

// Examples with the features example_fuzzer's specs read ("image": 4
// floats, "label": 1 int64), and some that miss them in each way.
std::vector<std::pair<std::string, std::string>> SeedExamples() {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&](const std::string& name, const tensorflow::Example& e) {
    out.emplace_back(name, io::SerializeDeterministic(e));
  };
  tensorflow::Example e;
  io::SetFloatFeature("image", {0.0f, 0.25f, 0.5f, 1.0f}, &e);
  io::SetInt64Feature("label", {7}, &e);
  add("mnist_like", e);
  io::SetBytesFeature("id", {"a", std::string("\0\xff", 2)}, &e);
  io::SetFloatFeature("weight", {}, &e);
  add("extra_features", e);
  tensorflow::Example wrong_kind;
  io::SetInt64Feature("image", {1, 2, 3, 4}, &wrong_kind);
  io::SetFloatFeature("label", {1.0f}, &wrong_kind);
  add("wrong_kinds", wrong_kind);
  tensorflow::Example wrong_length;
  io::SetFloatFeature("image", {1.0f, 2.0f, 3.0f}, &wrong_length);
  io::SetInt64Feature("label", {-1, 1}, &wrong_length);
  add("wrong_lengths", wrong_length);
  add("empty", tensorflow::Example());
  return out;
}

}  // namespace

Status WriteTfrecordSeeds(const std::string& dir) {
  RETURN_IF_ERROR(CreateDirectories(dir));
  std::vector<std::string> examples;
  for (const auto& [name, bytes] : SeedExamples()) examples.push_back(bytes);
  const std::vector<std::pair<std::string, std::vector<std::string>>> files = {
      {"empty", {}},
      {"one_empty_record", {""}},
      {"small_records", {"a", "hello tfrecord", std::string(300, 'x')}},
      {"examples", examples},
  };
  for (const auto& [name, records] : files) {
    for (const auto compression : {io::Compression::kNone, io::Compression::kGzip}) {
      const bool gz = compression == io::Compression::kGzip;
      const std::string path = JoinPath(dir, name + (gz ? ".tfrecord.gz" : ".tfrecord"));
      RETURN_IF_ERROR(io::WriteAllRecords(path, records, compression));
      RETURN_IF_ERROR(ReportSeed(path));
    }
  }
  // Two gzip members, as `cat a.gz b.gz` makes (the reader reads both).
  return WriteSeed(dir, "two_members.tfrecord.gz",
                   io::EncodeRecords({"first"}, io::Compression::kGzip) +
                       io::EncodeRecords({"second", ""}, io::Compression::kGzip));
}

Status WriteExampleSeeds(const std::string& dir) {
  for (const auto& [name, bytes] : SeedExamples()) {
    RETURN_IF_ERROR(WriteSeed(dir, name + ".example", bytes));
  }
  return Status::OK();
}

Status WriteIdxSeeds(const std::string& dir) {
  RETURN_IF_ERROR(CreateDirectories(dir));
  const std::vector<std::pair<std::string, Tensor>> tensors = {
      {"images_u8",
       Tensor::FromVector<uint8_t>({2, 2, 3}, {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255})},
      {"labels_u8", Tensor::FromVector<uint8_t>({5}, {0, 1, 2, 9, 7})},
      {"int8", Tensor::FromVector<int8_t>({4}, {-128, -1, 0, 127})},
      {"int32", Tensor::FromVector<int32_t>({2, 3}, {-7, 0, 1, 65536, INT32_MIN, INT32_MAX})},
      {"float32", Tensor::FromVector<float>({2, 2}, {-1.5f, 0.0f, 3.25f, 1e-30f})},
      {"empty_rows", Tensor(DType::kUInt8, {0, 3})},
  };
  for (const auto& [name, tensor] : tensors) {
    for (const bool gz : {false, true}) {
      const std::string path = JoinPath(dir, name + (gz ? ".idx.gz" : ".idx"));
      RETURN_IF_ERROR(io::WriteIdx(path, tensor, gz));
      RETURN_IF_ERROR(ReportSeed(path));
    }
  }
  return Status::OK();
}

Status WriteCsvSeeds(const std::string& dir) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"penguins.csv",
       "species,island,bill_length_mm,flipper_length_mm,body_mass_g,sex,year\n"
       "Adelie,Torgersen,39.1,181,3750,male,2007\n"
       "Adelie,Torgersen,,,,,2007\n"
       "Gentoo,Biscoe,46.1,211,4500,female,2008\n"
       "\"Chinstrap, pygoscelis\",Dream,46.5,192,3500,female,2009\n"},
      {"quoted.csv",
       "\"name\",\"note\"\r\n\"Smith, J.\",\"said \"\"hi\"\"\"\r\n\"two\r\nlines\",\"\"\r\n"},
      {"bom_crlf_no_final_break.csv",
       "\xEF\xBB\xBF"
       "a,b\r\n1,2\r\n\r\n3,4"},
      {"numbers.csv",
       "i,f,big,odd\n"
       "1,1.5,9223372036854775807,nan\n"
       "-2, 3e5 ,9223372036854775808,-inf\n"
       "1_000,.5,,1e999\n"
       "+7,5.,-9223372036854775808,Infinity\n"},
      {"utf8.csv", "city,name\n\xE6\x9D\xB1\xE4\xBA\xAC,Jos\xC3\xA9\n\xF0\x9F\x98\x80,x\n"},
      {"single_column_blank_lines.csv", "a\n\n1\n\n\"\"\n"},
      {"header_only.csv", "a,b,c\n"},
  };
  for (const auto& [name, text] : files) RETURN_IF_ERROR(WriteSeed(dir, name, text));
  // gzip: CsvExampleGen reads *.csv.gz as TFX does.
  return WriteSeed(dir, "penguins.csv.gz", io::GzipCompress(files[0].second));
}

}  // namespace edgepipe::fuzz
