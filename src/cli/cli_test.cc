// The edgepipe binary's contract on bad input: one line `error: <path>: ...`
// on stderr, a non-zero exit, no crash, and nothing half-written left behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "src/core/files.h"
#include "src/io/tfrecord.h"
#include "tests/support/subprocess.h"

namespace edgepipe {
namespace {

struct CliResult {
  int exit_code;
  std::string out;
  std::string err;
};

CliResult RunCli(const std::string& args) {
  std::string err_path = ::testing::TempDir() + "cli_stderr_" + std::to_string(::getpid());
  auto r = testing::RunCommand(std::string(EDGEPIPE_CLI) + " " + args + " 2>" + err_path);
  auto err = ReadFile(err_path);
  return {r.exit_code, r.out, err.ok() ? *err : ""};
}

std::string TempDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "cli_" + name + "_" + std::to_string(::getpid());
  EXPECT_TRUE(RemoveAll(dir).ok());
  EXPECT_TRUE(CreateDirectories(dir).ok());
  return dir;
}

// The last line of stderr (progress lines may come before it).
std::string LastLine(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

void ExpectOneLineError(const CliResult& r, const std::string& prefix) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(LastLine(r.err).starts_with("error: " + prefix)) << r.err;
  EXPECT_EQ(r.err.find("error: "), r.err.rfind("error: ")) << "more than one error line: " << r.err;
}

// A valid TFRecord of 3 records, cut in the middle of the last one.
std::string WriteTruncatedTfRecord(const std::string& dir) {
  std::string path = JoinPath(dir, "part.tfrecord");
  std::string bytes = io::EncodeRecords({"", "", ""});
  EXPECT_TRUE(WriteFileAtomic(path, bytes.substr(0, bytes.size() - 5)).ok());
  return path;
}

TEST(CliTest, HelpWorksOnEveryVerb) {
  for (const char* verb : {"--help", "run --help", "run mnist --help", "examples show --help"}) {
    CliResult r = RunCli(verb);
    EXPECT_EQ(r.exit_code, 0) << verb << ": " << r.err;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << verb;
  }
}

TEST(CliTest, TruncatedTfRecordIsOneErrorLine) {
  std::string dir = TempDir("truncated");
  std::string path = WriteTruncatedTfRecord(dir);
  CliResult r = RunCli("examples show " + path + " --limit -1");
  ExpectOneLineError(r, path + ": offset ");
}

TEST(CliTest, MissingInputFolderIsOneErrorLineAndWritesNothing) {
  std::string dir = TempDir("missing_input");
  CliResult r = RunCli("run mnist --data " + dir + "/no_such_folder --pipeline-root " + dir +
                       "/root --metadata " + dir + "/m.sqlite --serving-dir " + dir + "/serving");
  ExpectOneLineError(r, dir + "/no_such_folder: ");
  EXPECT_FALSE(PathExists(dir + "/root"));
  EXPECT_FALSE(PathExists(dir + "/serving"));
}

TEST(CliTest, MalformedEvalConfigIsOneErrorLineWithLine) {
  std::string dir = TempDir("bad_eval_config");
  ASSERT_TRUE(CreateDirectories(dir + "/data").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/data/x.tfrecord", "").ok());
  std::string config = dir + "/eval_config.pbtxt";
  ASSERT_TRUE(WriteFileAtomic(config,
                              "model_specs { label_key: \"image_class\" }\n"
                              "metrics_specs { metrics { clas_name: \"X\" } }\n")
                  .ok());
  CliResult r = RunCli("run mnist --data " + dir + "/data --eval-config " + config +
                       " --pipeline-root " + dir + "/root --metadata " + dir + "/m.sqlite");
  ExpectOneLineError(r, config + ": line 2");
  EXPECT_FALSE(PathExists(dir + "/root"));
}

TEST(CliTest, CorruptedTfliteIsOneErrorLine) {
  std::string dir = TempDir("bad_tflite");
  std::string path = dir + "/model.tflite";
  ASSERT_TRUE(
      WriteFileAtomic(path, std::string("\x1c\x00\x00\x00TFL3", 8) + std::string(100, '\x7f'))
          .ok());
  CliResult r = RunCli("lite inspect " + path);
  ExpectOneLineError(r, path + ": ");
}

}  // namespace
}  // namespace edgepipe
