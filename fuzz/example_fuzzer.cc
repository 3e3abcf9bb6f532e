// libFuzzer target for tf.Example parsing: the input is one serialized
// tensorflow.Example (a TFRecord record's payload).
//
// Checked on every input:
//   - io::ParseExample returns an Example or one clear error "<where>: ...";
//   - an Example that parses re-serializes (SerializeDeterministic, what
//     ExampleGen hashes) to bytes that parse to the same message;
//   - data::ParseExamples (FixedLenFeature parsing into dense columns) over
//     the input twice with the specs of kSpecs returns a table of exactly two
//     rows of the declared widths, or one clear error "<name>: record <i>:".
// Seeds: `fuzz_corpus example` (our own builders; some match kSpecs).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "src/data/examples.h"
#include "src/io/example.h"

namespace {

using edgepipe::DType;
using edgepipe::data::FeatureSpec;
namespace fz = edgepipe::fuzz;

constexpr std::string_view kWhere = "fuzz.tfrecord: record 0";
constexpr std::string_view kName = "fuzz.tfrecord";

// The features the seeds carry (fuzz_corpus writes examples with these).
const std::vector<FeatureSpec>& Specs() {
  static const std::vector<FeatureSpec> specs = {{"image", DType::kFloat32, 4},
                                                 {"label", DType::kInt64, 1}};
  return specs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto example = edgepipe::io::ParseExample(bytes, kWhere);
  if (!example.ok()) {
    fz::CheckClearError(example.status(), std::string(kWhere) + ": ", "ParseExample");
  } else {
    const std::string again = edgepipe::io::SerializeDeterministic(*example);
    auto reparsed = edgepipe::io::ParseExample(again, kWhere);
    fz::Require(reparsed.ok(), "a parsed Example does not re-parse after serialization");
    fz::Require(edgepipe::io::SerializeDeterministic(*reparsed) == again,
                "a parsed Example changes across serialize/parse");
  }

  auto table = edgepipe::data::ParseExamples({bytes, bytes}, Specs(), kName);
  if (!table.ok()) {
    fz::CheckClearError(table.status(), std::string(kName) + ": record ", "ParseExamples");
    return 0;
  }
  fz::Require(table->num_examples == 2 && table->columns.size() == Specs().size(),
              "ParseExamples returned a table of the wrong size");
  for (size_t c = 0; c < Specs().size(); ++c) {
    fz::Require(table->columns[c].shape() == edgepipe::Shape{2, Specs()[c].length},
                "ParseExamples returned a column of the wrong shape");
  }
  return 0;
}
