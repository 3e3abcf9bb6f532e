// libFuzzer target for the schema reader (components/schema_gen.h): the input
// is a schema.pbtxt, read with ReadSchema as ExampleValidator and the
// Trainer's FnArgs.schema_path reader do (io::ParseTextProto underneath).
//
// Checked on every input:
//   - ReadSchema returns a schema or one clear error "<path>: ..." (the
//     line and column for a parse error);
//   - an accepted schema prints (TextFormat, as SchemaGen writes
//     schema.pbtxt) to text that ParseTextProto reads back with the same
//     contents.
// Seeds: `fuzz_corpus schema` (schemas SchemaGen's inference writes, and a
// hand-written TFDV-style one with comments and every field).
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "fuzz/fuzz_support.h"
#include "src/components/schema_gen.h"
#include "src/io/text_proto.h"

namespace fz = edgepipe::fuzz;
namespace tfmd = edgepipe::data::tfmd;

namespace {

// Same contents, by value (a NaN domain bound equals itself).
bool SameSchema(const tfmd::Schema& a, const tfmd::Schema& b) {
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  std::string report;
  differencer.ReportDifferencesToString(&report);
  const bool same = differencer.Compare(a, b);
  if (!same) std::fprintf(stderr, "fuzzer: %s", report.c_str());
  return same;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::string path = fz::ScratchDir::Get().Write("schema.pbtxt", bytes);
  auto schema = edgepipe::components::ReadSchema(path);
  if (!schema.ok()) {
    fz::CheckClearError(schema.status(), path + ": ", "ReadSchema");
    return 0;
  }
  std::string text;
  fz::Require(google::protobuf::TextFormat::PrintToString(*schema, &text),
              "an accepted schema does not print as text");
  tfmd::Schema back;
  const edgepipe::Status st = edgepipe::io::ParseTextProto(text, "printed", &back);
  if (!st.ok()) std::fprintf(stderr, "fuzzer: %s\n", st.ToString().c_str());
  fz::Require(st.ok(), "an accepted schema, printed as text, is refused");
  fz::Require(SameSchema(*schema, back), "a schema changes across text");
  return 0;
}
