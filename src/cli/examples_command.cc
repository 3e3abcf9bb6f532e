// `edgepipe examples show`: tf.Example records as JSON lines.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "src/cli/command_registry.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"

namespace edgepipe::cli {

namespace {

// ---- examples show ------------------------------------------------------------

Status ShowExamples(const std::string& path, int64_t limit) {
  ASSIGN_OR_RETURN(auto reader, io::TFRecordReader::Open(path));
  std::string record;
  for (int64_t i = 0; limit < 0 || i < limit; ++i) {
    uint64_t offset = reader->offset();
    ASSIGN_OR_RETURN(bool more, reader->ReadRecord(&record));
    if (!more) break;
    ASSIGN_OR_RETURN(tensorflow::Example example,
                     io::ParseExample(record, path + ": offset " + std::to_string(offset)));
    nlohmann::json row = nlohmann::json::object();
    for (const auto& [name, feature] : example.features().feature()) {
      nlohmann::json values = nlohmann::json::array();
      if (feature.has_float_list()) {
        for (float v : feature.float_list().value()) values.push_back(v);
      } else if (feature.has_int64_list()) {
        for (int64_t v : feature.int64_list().value()) values.push_back(v);
      } else if (feature.has_bytes_list()) {
        for (const std::string& v : feature.bytes_list().value()) values.push_back(v);
      }
      row[name] = values;
    }
    std::printf("%s\n", row.dump().c_str());
  }
  return Status::OK();
}

}  // namespace

void RegisterExamplesCommand(CLI::App& app) {
  CLI::App* examples = app.add_subcommand("examples", "Read TFRecord files of tf.Example");
  examples->require_subcommand(1);
  CLI::App* show = examples->add_subcommand("show", "Print examples as JSON lines");
  auto path = std::make_shared<std::string>();
  auto limit = std::make_shared<int64_t>(5);
  show->add_option("FILE", *path, "A .tfrecord or .tfrecord.gz file")->required();
  show->add_option("--limit", *limit, "How many examples (-1: all)")
      ->capture_default_str()
      ->check(AllOrAtLeastOne(kMaxExamples));
  show->callback([path, limit] { SetCommandStatus(ShowExamples(*path, *limit)); });
}

}  // namespace edgepipe::cli
