// Seed corpora of the fuzz targets, made by our own writers at fuzz time
// (nothing binary is committed): `fuzz_corpus TARGET OUT_DIR` (make_corpus.cc)
// calls the writer of TARGET. Each writer creates OUT_DIR if needed, writes a
// few small valid files of its format, prints one "<path>: <n> bytes" line
// per file and returns the first error.
#ifndef EDGEPIPE_FUZZ_CORPUS_H_
#define EDGEPIPE_FUZZ_CORPUS_H_

#include <cstdio>
#include <string>
#include <string_view>

#include "src/core/files.h"
#include "src/core/status.h"

namespace edgepipe::fuzz {

Status WriteTfliteLoaderSeeds(const std::string& dir);  // tflite_seeds.cc
Status WriteTfrecordSeeds(const std::string& dir);      // io_seeds.cc
Status WriteExampleSeeds(const std::string& dir);       // io_seeds.cc
Status WriteIdxSeeds(const std::string& dir);           // io_seeds.cc
Status WriteCsvSeeds(const std::string& dir);           // io_seeds.cc
Status WriteEvalConfigSeeds(const std::string& dir);    // eval_config_seeds.cc
Status WriteModelJsonSeeds(const std::string& dir);     // model_json_seeds.cc
Status WriteSchemaSeeds(const std::string& dir);        // statistics_seeds.cc
Status WriteStatisticsSeeds(const std::string& dir);    // statistics_seeds.cc

// Prints the line of a seed file a writer of ours has just written.
inline Status ReportSeed(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  std::printf("%s: %zu bytes\n", path.c_str(), bytes.size());
  return Status::OK();
}

// Writes one seed file `<dir>/<name>` and prints its line.
inline Status WriteSeed(const std::string& dir, const std::string& name, std::string_view bytes) {
  RETURN_IF_ERROR(CreateDirectories(dir));
  const std::string path = JoinPath(dir, name);
  RETURN_IF_ERROR(WriteFileAtomic(path, bytes));
  return ReportSeed(path);
}

}  // namespace edgepipe::fuzz

#endif  // EDGEPIPE_FUZZ_CORPUS_H_
