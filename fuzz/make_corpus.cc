// fuzz_corpus TARGET OUT_DIR: writes the seed corpus of TARGET's fuzzer
// (TARGET is the fuzzer's name without "_fuzzer", as fuzz/CMakeLists.txt
// and run_fuzzer.sh name them). Exit code 1 with a message on the first
// failure, 2 on bad usage (listing the targets).
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz/corpus.h"

namespace {

using edgepipe::Status;
namespace fz = edgepipe::fuzz;

struct Target {
  std::string_view name;
  Status (*write_seeds)(const std::string& dir);
};

// One line per fuzz target.
constexpr Target kTargets[] = {
    {"tflite_loader", fz::WriteTfliteLoaderSeeds},
    {"tfrecord", fz::WriteTfrecordSeeds},
    {"example", fz::WriteExampleSeeds},
    {"idx", fz::WriteIdxSeeds},
    {"csv", fz::WriteCsvSeeds},
    {"eval_config", fz::WriteEvalConfigSeeds},
    {"model_json", fz::WriteModelJsonSeeds},
    {"schema", fz::WriteSchemaSeeds},
    {"statistics", fz::WriteStatisticsSeeds},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3) {
    for (const Target& t : kTargets) {
      if (t.name != argv[1]) continue;
      const Status st = t.write_seeds(argv[2]);
      if (!st.ok()) {
        std::fprintf(stderr, "fuzz_corpus %s: %s\n", argv[1], st.ToString().c_str());
        return 1;
      }
      return 0;
    }
  }
  std::fprintf(stderr, "usage: %s TARGET OUT_DIR (targets:", argv[0]);
  for (const Target& t : kTargets) {
    std::fprintf(stderr, " %.*s", static_cast<int>(t.name.size()), t.name.data());
  }
  std::fprintf(stderr, ")\n");
  return 2;
}
