#include "src/io/text_proto.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <string>

namespace edgepipe::io {

namespace {

// Keeps protobuf's first parse error with its position (protobuf counts lines
// and columns from 0; people count from 1).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!has_error_) {
      has_error_ = true;
      error_ = "line " + std::to_string(line + 1) + " column " + std::to_string(column + 1) + ": " +
               message;
    }
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  bool has_error() const { return has_error_; }
  const std::string& error() const { return error_; }

 private:
  bool has_error_ = false;
  std::string error_;
};

}  // namespace

Status ParseTextProto(std::string_view text, std::string_view where,
                      google::protobuf::Message* message) {
  FirstErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), message)) {
    return Status::InvalidArgument(std::string(where) + ": " +
                                   (errors.has_error() ? errors.error() : "malformed text proto"));
  }
  return Status::OK();
}

}  // namespace edgepipe::io
