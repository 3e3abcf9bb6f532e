// libFuzzer target for the EvalConfig readers (eval/config.h): the input is
// an eval config file, text proto or JSON (an EvalConfig or an EvalRun).
//
// Checked on every input, with both parsers (each must refuse the other's
// syntax cleanly, and mutations cross between the two):
//   - ParseEvalConfigText / ParseEvalConfigJson return a validated config or
//     one clear error "<where>: ...";
//   - a config that is accepted renders (EvalConfigToText, EvalConfigToJson)
//     to text that both parsers accept again with the same contents.
// Seeds: `fuzz_corpus eval_config` (our own renderings of valid configs).
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "src/eval/config.h"

namespace {

namespace eval = edgepipe::eval;
namespace fz = edgepipe::fuzz;

constexpr std::string_view kWhere = "fuzz_eval_config";

// Same contents, by value: protobuf's JSON parser reads "-0" back as +0 and
// NaN is not equal to itself, neither of which changes what a config means.
// Prints the differences otherwise.
bool SameConfig(const eval::tfma::EvalConfig& a, const eval::tfma::EvalConfig& b) {
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  // A scalar that is set to its default equals one left unset (-0.0 is
  // "set" in proto3; the "0" it is read back as is not).
  differencer.set_message_field_comparison(google::protobuf::util::MessageDifferencer::EQUIVALENT);
  std::string report;
  differencer.ReportDifferencesToString(&report);
  const bool same = differencer.Compare(a, b);
  if (!same) std::fprintf(stderr, "fuzzer: %s", report.c_str());
  return same;
}

void CheckRoundTrip(const eval::tfma::EvalConfig& config) {
  auto text = eval::ParseEvalConfigText(eval::EvalConfigToText(config), kWhere);
  if (!text.ok()) std::fprintf(stderr, "fuzzer: %s\n", text.status().ToString().c_str());
  fz::Require(text.ok(), "an accepted EvalConfig, rendered as text, is refused");
  fz::Require(SameConfig(*text, config), "an EvalConfig changes across text");
  auto json = eval::EvalConfigToJson(config);
  fz::Require(json.ok(), "an accepted EvalConfig cannot be rendered as JSON");
  auto back = eval::ParseEvalConfigJson(*json, kWhere);
  if (!back.ok()) std::fprintf(stderr, "fuzzer: %s\n", back.status().ToString().c_str());
  fz::Require(back.ok(), "an accepted EvalConfig, rendered as JSON, is refused");
  fz::Require(SameConfig(*back, config), "an EvalConfig changes across JSON");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string prefix = std::string(kWhere) + ": ";
  auto text = eval::ParseEvalConfigText(input, kWhere);
  if (text.ok()) {
    CheckRoundTrip(*text);
  } else {
    fz::CheckClearError(text.status(), prefix, "ParseEvalConfigText");
  }
  auto json = eval::ParseEvalConfigJson(input, kWhere);
  if (json.ok()) {
    CheckRoundTrip(*json);
  } else {
    fz::CheckClearError(json.status(), prefix, "ParseEvalConfigJson");
  }
  return 0;
}
