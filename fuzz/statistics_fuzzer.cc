// libFuzzer target for the statistics reader (components/statistics_gen.h):
// the input is a FeatureStats.pb (binary DatasetFeatureStatisticsList), read
// with ReadStatistics from an artifact folder (Split-fuzz/FeatureStats.pb),
// as SchemaGen, `edgepipe stats show` and `stats html` read it.
//
// Checked on every input:
//   - ReadStatistics returns the statistics or one clear error "<path>: ...";
//   - what it accepts, every consumer takes without a crash or undefined
//     behaviour: SummarizeStatistics (`stats show`); the HTML page
//     (RenderStatisticsPage), which must be valid UTF-8 holding only the
//     page's own tags whatever the strings in the statistics; InferSchema
//     (SchemaGen), a schema or a clear error, and an inferred schema prints
//     to text that ParseTextProto (ReadSchema) reads back.
// Seeds: `fuzz_corpus statistics` (FeatureStats.pb of small example sets, as
// StatisticsGen writes them).
#include <google/protobuf/text_format.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "src/components/statistics_gen.h"
#include "src/data/schema_inference.h"
#include "src/data/statistics.h"
#include "src/data/statistics_html.h"
#include "src/io/text_proto.h"

namespace fz = edgepipe::fuzz;
namespace data = edgepipe::data;

namespace {

bool ValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    const int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (int k = 1; k < n; ++k) {
      const unsigned char cc = s[i + k];
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

// Every '<' of the page opens one of the page's own tags.
bool OnlyOwnTags(const std::string& page) {
  static const std::set<std::string> kTags = {
      "!DOCTYPE", "html",  "head", "meta", "title", "style", "body",   "h1",     "h2",
      "p",        "span",  "i",    "b",    "br",    "input", "select", "option", "table",
      "thead",    "tbody", "tr",   "th",   "td",    "svg",   "path",   "text",   "script"};
  for (size_t at = page.find('<'); at != std::string::npos; at = page.find('<', at + 1)) {
    size_t k = at + 1;
    if (k < page.size() && page[k] == '/') ++k;
    const size_t start = k;
    while (k < page.size() && (std::isalnum(static_cast<unsigned char>(page[k])) || page[k] == '!'))
      ++k;
    if (kTags.count(page.substr(start, k - start)) == 0) {
      std::fprintf(stderr, "fuzzer: foreign tag at %zu: %.60s\n", at, page.c_str() + at);
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(input), size);
  static const bool made = [] {
    return edgepipe::CreateDirectories(fz::ScratchDir::Get().path() + "/Split-fuzz").ok();
  }();
  fz::Require(made, "cannot create the scratch split folder");
  const std::string path = fz::ScratchDir::Get().Write("Split-fuzz/FeatureStats.pb", bytes);
  auto splits = edgepipe::components::ReadStatistics(fz::ScratchDir::Get().path());
  if (!splits.ok()) {
    fz::CheckClearError(splits.status(), path + ": ", "ReadStatistics");
    return 0;
  }
  std::vector<data::NamedStatistics> named;
  for (const auto& split : *splits) {
    for (const auto& dataset : split.statistics.datasets()) {
      (void)data::SummarizeStatistics(dataset, 5);
      named.push_back({split.split, &dataset});
    }
  }
  const std::string page = edgepipe::components::RenderStatisticsPage(*splits, "fuzz");
  fz::Require(ValidUtf8(page), "the statistics page is not valid UTF-8");
  fz::Require(OnlyOwnTags(page), "the statistics page holds a tag from the data");
  if (named.empty()) return 0;
  auto schema = data::InferSchema(named);
  if (!schema.ok()) {
    fz::CheckClearError(schema.status(), "", "InferSchema");
    return 0;
  }
  std::string text;
  fz::Require(google::protobuf::TextFormat::PrintToString(*schema, &text),
              "an inferred schema does not print as text");
  data::tfmd::Schema back;
  const edgepipe::Status st = edgepipe::io::ParseTextProto(text, "schema.pbtxt", &back);
  if (!st.ok()) std::fprintf(stderr, "fuzzer: %s\n", st.ToString().c_str());
  fz::Require(st.ok(), "an inferred schema, printed as text, is refused by ReadSchema's parser");
  return 0;
}
