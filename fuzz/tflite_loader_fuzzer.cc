// libFuzzer target for the TFLite model loader (lite::Interpreter::FromBuffer).
//
// Contract checked on every input (interpreter.h): loading never crashes, and
// a rejected file is one non-OK Status whose message is non-empty and starts
// with the name given for errors. A model that loads must also survive
// Invoke on zeroed inputs, at its declared shape and after ResizeInputBatch(2)
// (which may itself be refused, with the same kind of message). Anything else
// -- a crash, an ASan/UBSan report, a leak, or an unclear rejection (abort()
// in fuzz_support.h) -- is a finding: libFuzzer saves the input as crash-<sha1>.
//
// Run through scripts/fuzz.sh (builds with clang, makes the seed corpus with
// `fuzz_corpus tflite_loader`, bounds the time). Single-threaded, as libFuzzer calls it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "src/core/status.h"
#include "src/lite/interpreter.h"

namespace {

using edgepipe::Status;
using edgepipe::lite::Interpreter;

constexpr std::string_view kName = "fuzz.tflite";

void CheckClearError(const Status& st, const char* step) {
  edgepipe::fuzz::CheckClearError(st, std::string(kName) + ": ", step);
}

// Zeroes every input, invokes, and reads every output byte so that ASan sees
// a wrong output pointer or size. Returns the Invoke status.
Status ZeroInvokeAndRead(Interpreter& interp) {
  std::vector<uint8_t> zeros;
  for (int i = 0; i < interp.num_inputs(); ++i) {
    zeros.assign(interp.input(i).bytes, 0);
    Status st = interp.SetInput(i, zeros.data(), zeros.size());
    // The size comes from the interpreter itself: a refusal is a bug.
    if (!st.ok()) {
      std::fprintf(stderr, "tflite_loader_fuzzer: SetInput(%d) refused its own size: %s\n", i,
                   st.ToString().c_str());
      std::abort();
    }
  }
  Status st = interp.Invoke();
  if (!st.ok()) return st;
  volatile uint8_t sink = 0;
  for (int o = 0; o < interp.num_outputs(); ++o) {
    const auto view = interp.output(o);
    const auto* bytes = static_cast<const uint8_t*>(view.data);
    uint8_t acc = 0;
    for (size_t b = 0; b < view.bytes; ++b) acc ^= bytes[b];
    sink = sink ^ acc;
  }
  (void)sink;
  return Status::OK();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A quarter of the default arena limit: a model whose plan is merely huge
  // (a 500 MB input) is then refused by that limit (a tested error path)
  // instead of tripping -rss_limit_mb, where the arena, the zeroed input
  // copy below and ASan's quarantine add up to over 2 GB. Allocations outside
  // the arena still count against the RSS limit.
  edgepipe::lite::InterpreterOptions options;
  options.max_arena_bytes = size_t{256} << 20;
  auto loaded = Interpreter::FromBuffer(std::string_view(reinterpret_cast<const char*>(data), size),
                                        std::string(kName), options);
  if (!loaded.ok()) {
    CheckClearError(loaded.status(), "FromBuffer");
    return 0;
  }
  Interpreter& interp = **loaded;
  CheckClearError(ZeroInvokeAndRead(interp), "Invoke (declared shape)");
  const Status resized = interp.ResizeInputBatch(2);
  CheckClearError(resized, "ResizeInputBatch(2)");
  // A refused resize leaves the interpreter at its previous shape (documented
  // rollback): it must still run.
  CheckClearError(ZeroInvokeAndRead(interp),
                  resized.ok() ? "Invoke (batch 2)" : "Invoke (after a refused resize)");
  return 0;
}
