// The edgepipe binary's contract on bad input: one line `error: <path>: ...`
// on stderr, a non-zero exit, no crash, and nothing half-written left behind.
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "src/core/files.h"
#include "src/core/parallel.h"
#include "src/core/tensor.h"
#include "src/data/statistics.h"
#include "src/data/validation.h"
#include "src/io/example.h"
#include "src/io/idx.h"
#include "src/io/tfrecord.h"
#include "src/lite/interpreter.h"
#include "tests/support/bounded_child.h"
#include "tests/support/subprocess.h"
#include "tests/support/tiny_mnist.h"

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
  for (const char* verb : {"--help",
                           "run --help",
                           "run mnist --help",
                           "examples --help",
                           "examples show --help",
                           "runs --help",
                           "executions --help",
                           "artifacts --help",
                           "lineage --help",
                           "eval --help",
                           "eval show --help",
                           "lite --help",
                           "lite inspect --help",
                           "lite predict --help",
                           "lite convert --help",
                           "lite bench --help",
                           "stats --help",
                           "stats show --help",
                           "stats html --help",
                           "onnx --help",
                           "onnx export --help"}) {
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

// ---- verbs on a real pipeline run -------------------------------------------

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

// One pipeline run shared by the tests below (training dominates the time).
class CliPipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(TempDir("pipeline"));
    ASSERT_TRUE(CreateDirectories(*dir_ + "/data").ok());
    ASSERT_TRUE(testing::WriteTinyMnist(*dir_ + "/data", 300).ok());
    db_ = new std::string(*dir_ + "/metadata.sqlite");
    // Threshold 0: every model is blessed and pushed, whatever 50 steps learn.
    CliResult r = RunCli("run mnist --data " + *dir_ + "/data --pipeline-root " + *dir_ +
                         "/root --metadata " + *db_ + " --serving-dir " + *dir_ +
                         "/serving --train-steps 50 --eval-steps 5 --accuracy-threshold 0 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    run_ = new nlohmann::json(nlohmann::json::parse(r.out));
  }
  static void TearDownTestSuite() {
    RemoveAll(*dir_).ok();
    delete dir_;
    delete db_;
    delete run_;
  }

  static std::string Meta() { return " --metadata " + *db_; }

  // `artifacts --json` entries, optionally of one type.
  static std::vector<nlohmann::json> Artifacts(const std::string& type) {
    CliResult r = RunCli("artifacts --json" + Meta() + (type.empty() ? "" : " --type " + type));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out).get<std::vector<nlohmann::json>>();
  }
  static nlohmann::json ArtifactOf(const std::string& type, const std::string& producer) {
    for (const auto& a : Artifacts(type)) {
      if (a["producer_node"] == producer) return a;
    }
    ADD_FAILURE() << "no " << type << " artifact from " << producer;
    return nlohmann::json::object();
  }
  static std::string LiteModelPath() {
    return ArtifactOf("Model", "Trainer.mnist_lite")["uri"].get<std::string>() +
           "/Format-Serving/tflite";
  }
  static std::string EvalExamplesPath() {
    return ArtifactOf("Examples", "ImportExampleGen")["uri"].get<std::string>() +
           "/Split-eval/data_tfrecord-00000-of-00001.gz";
  }

  static std::string* dir_;
  static std::string* db_;
  static nlohmann::json* run_;
};
std::string* CliPipelineTest::dir_ = nullptr;
std::string* CliPipelineTest::db_ = nullptr;
nlohmann::json* CliPipelineTest::run_ = nullptr;

TEST_F(CliPipelineTest, RunsListsTheRun) {
  CliResult r = RunCli("runs" + Meta());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string run_id = (*run_)["run_id"];
  EXPECT_TRUE(r.out.starts_with("RUN_ID")) << r.out;
  EXPECT_NE(r.out.find(run_id), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mnist_native_keras"), std::string::npos) << r.out;

  CliResult j = RunCli("runs --json" + Meta());
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto runs = nlohmann::json::parse(j.out);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["run_id"], run_id);
  // TFX's eleven: ExampleGen, StatisticsGen, SchemaGen, ExampleValidator,
  // Transform, 2 Trainers, 2 Evaluators, 2 Pushers.
  EXPECT_EQ(runs[0]["num_executions"], 11);
}

TEST_F(CliPipelineTest, ExecutionsListsEveryNodeOfTheRun) {
  const std::string run_id = (*run_)["run_id"];
  CliResult j = RunCli("executions --json --run " + run_id + Meta());
  ASSERT_EQ(j.exit_code, 0) << j.err;
  std::vector<std::string> nodes;
  for (const auto& e : nlohmann::json::parse(j.out)) {
    nodes.push_back(e["node_id"]);
    EXPECT_EQ(e["state"], "COMPLETE") << e.dump();
    EXPECT_EQ(e["run_id"], run_id);
  }
  std::sort(nodes.begin(), nodes.end());
  EXPECT_EQ(nodes, (std::vector<std::string>{"Evaluator.mnist", "Evaluator.mnist_lite",
                                             "ExampleValidator", "ImportExampleGen", "Pusher.mnist",
                                             "Pusher.mnist_lite", "SchemaGen", "StatisticsGen",
                                             "Trainer.mnist", "Trainer.mnist_lite", "Transform"}));

  CliResult r = RunCli("executions" + Meta());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("ID")) << r.out;
  EXPECT_NE(r.out.find("Trainer.mnist_lite"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("COMPLETE"), std::string::npos) << r.out;

  CliResult unknown = RunCli("executions --run no_such_run" + Meta());
  ExpectOneLineError(unknown, *db_ + ": ");
}

TEST_F(CliPipelineTest, ArtifactsFiltersByType) {
  std::vector<nlohmann::json> models = Artifacts("Model");
  ASSERT_EQ(models.size(), 2u);
  for (const auto& m : models) EXPECT_EQ(m["type"], "Model");

  CliResult r = RunCli("artifacts --type Model" + Meta());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Header + one row per model.
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;
  EXPECT_NE(r.out.find(models[0]["uri"].get<std::string>()), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("PushedModel"), std::string::npos) << r.out;

  // The text table carries the key properties.
  CliResult all = RunCli("artifacts" + Meta());
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("blessed=1"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("pushed=1"), std::string::npos) << all.out;
}

TEST_F(CliPipelineTest, LineageOfThePushedModelReachesTheExamples) {
  nlohmann::json pushed = ArtifactOf("PushedModel", "Pusher.mnist_lite");
  nlohmann::json examples = ArtifactOf("Examples", "ImportExampleGen");
  const std::string id = std::to_string(pushed["id"].get<int64_t>());

  CliResult j = RunCli("lineage --json " + id + Meta());
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto graph = nlohmann::json::parse(j.out);
  EXPECT_EQ(graph["root_artifact_id"], pushed["id"]);
  bool has_examples = false;
  for (const auto& a : graph["artifacts"]) has_examples |= a["id"] == examples["id"];
  EXPECT_TRUE(has_examples) << j.out;

  CliResult r = RunCli("lineage " + id + Meta());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("artifact " + id + " PushedModel")) << r.out;
  EXPECT_NE(r.out.find("Pusher.mnist_lite"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Trainer.mnist_lite"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(examples["uri"].get<std::string>()), std::string::npos) << r.out;

  // Downstream from the examples: both trainers consumed them.
  CliResult down =
      RunCli("lineage --downstream " + std::to_string(examples["id"].get<int64_t>()) + Meta());
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.out.find("Trainer.mnist "), std::string::npos) << down.out;
  EXPECT_NE(down.out.find("Trainer.mnist_lite"), std::string::npos) << down.out;
  EXPECT_NE(down.out.find(pushed["uri"].get<std::string>()), std::string::npos) << down.out;

  CliResult unknown = RunCli("lineage 99999" + Meta());
  ExpectOneLineError(unknown, *db_ + ": artifact 99999");
}

TEST_F(CliPipelineTest, EvalShowPrintsTheMetrics) {
  nlohmann::json evaluation = ArtifactOf("ModelEvaluation", "Evaluator.mnist_lite");
  const std::string uri = evaluation["uri"];
  CliResult r = RunCli("eval show " + uri);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("sparse_categorical_accuracy"), std::string::npos) << r.out;

  CliResult j = RunCli("eval show --json " + uri);
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto out = nlohmann::json::parse(j.out);
  ASSERT_FALSE(out["metrics"].empty()) << j.out;
  EXPECT_NE(out["metrics"][0].dump().find("sparse_categorical_accuracy"), std::string::npos)
      << j.out;
  // The same accuracy `run mnist` reported.
  double run_accuracy = -1;
  for (const auto& m : (*run_)["models"]) {
    if (m["model"] == "mnist_lite") run_accuracy = m["sparse_categorical_accuracy"];
  }
  double shown_accuracy = -2;
  for (const auto& kv : out["metrics"][0]["metricKeysAndValues"]) {
    if (kv["key"]["name"] == "sparse_categorical_accuracy") {
      shown_accuracy = kv["value"]["doubleValue"];
    }
  }
  EXPECT_DOUBLE_EQ(shown_accuracy, run_accuracy) << j.out;
}

// The lite evaluation holds the .tflite beside the model it was converted
// from: `eval show` prints them side by side; `eval diff` compares two
// evaluations and writes the comparison page on request.
TEST_F(CliPipelineTest, EvalShowAndDiffPutModelsSideBySide) {
  const std::string lite = ArtifactOf("ModelEvaluation", "Evaluator.mnist_lite")["uri"];
  const std::string full = ArtifactOf("ModelEvaluation", "Evaluator.mnist")["uri"];
  CliResult show = RunCli("eval show " + lite);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("left:  mnist_lite"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("right: mnist"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("disagreements: 0 examples"), std::string::npos) << show.out;

  const std::string page = JoinPath(*dir_, "diff.html");
  CliResult diff = RunCli("eval diff " + lite + " " + full + " --html " + page);
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  // Both evaluated the same eval split: the same example count, delta 0.
  bool count_row = false;
  for (size_t at = diff.out.find("example_count"); at != std::string::npos;
       at = diff.out.find("example_count", at + 1)) {
    const std::string line = diff.out.substr(at, diff.out.find('\n', at) - at);
    count_row = count_row || line.find(" 0") != std::string::npos;
  }
  EXPECT_TRUE(count_row) << diff.out;
  auto html = ReadFile(page);
  ASSERT_TRUE(html.ok()) << html.status().message();
  EXPECT_NE(html->find("id=\"metrics\""), std::string::npos);
  ExpectOneLineError(RunCli("eval diff " + lite + " " + *dir_ + "/nope"), *dir_ + "/nope");
}

TEST_F(CliPipelineTest, LiteInspectShowsTheMnistModel) {
  CliResult r = RunCli("lite inspect " + LiteModelPath());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("FULLY_CONNECTED"), std::string::npos) << r.out;
  // 784*64+64 + 64*64+64 + 64*10+10.
  EXPECT_NE(r.out.find("55050"), std::string::npos) << r.out;

  CliResult j = RunCli("lite inspect --json " + LiteModelPath());
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto s = nlohmann::json::parse(j.out);
  EXPECT_EQ(s["num_parameters"], 55050);
  EXPECT_EQ(s["operators"][0]["op"], "FULLY_CONNECTED");
}

TEST_F(CliPipelineTest, LitePredictMatchesTheInterpreter) {
  const std::string model = LiteModelPath();
  const std::string examples = EvalExamplesPath();
  CliResult r = RunCli("lite predict " + model + " --examples " + examples + " --limit 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;

  auto interp = lite::Interpreter::FromFile(model);
  ASSERT_TRUE(interp.ok()) << interp.status().message();
  auto reader = io::TFRecordReader::Open(examples);
  ASSERT_TRUE(reader.ok());
  for (int i = 0; i < 3; ++i) {
    std::string record;
    ASSERT_TRUE(*(*reader)->ReadRecord(&record));
    auto example = io::ParseExample(record, "test");
    ASSERT_TRUE(example.ok());
    const auto& v = example->features().feature().at("image_floats").float_list().value();
    auto out = (*interp)->Run(Tensor::FromVector<float>({1, 784}, {v.begin(), v.end()}));
    ASSERT_TRUE(out.ok()) << out.status().message();
    const float* logits = out->data<float>();
    int argmax = 0;
    for (int k = 1; k < 10; ++k) {
      if (logits[k] > logits[argmax]) argmax = k;
    }
    EXPECT_EQ(lines[i]["index"], i);
    EXPECT_EQ(lines[i]["argmax"], argmax) << lines[i].dump();
    const auto& printed = lines[i]["outputs"].begin().value();
    ASSERT_EQ(printed.size(), 10u);
    for (int k = 0; k < 10; ++k) EXPECT_FLOAT_EQ(printed[k].get<float>(), logits[k]);
  }

  // --input: the first example again, as JSON.
  auto first =
      JsonLines(RunCli("examples show " + examples + " --limit 1").out)[0]["image_floats"].dump();
  CliResult j = RunCli("lite predict " + model + " --input '" + first + "'");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  std::vector<nlohmann::json> one = JsonLines(j.out);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0]["outputs"], lines[0]["outputs"]);
}

TEST_F(CliPipelineTest, LitePredictErrorsAreOneLine) {
  const std::string model = LiteModelPath();
  const std::string examples = EvalExamplesPath();
  ExpectOneLineError(RunCli("lite predict " + model), model + ": ");
  ExpectOneLineError(
      RunCli("lite predict " + model + " --examples " + examples + " --feature nope"),
      examples + ": offset 0: no feature 'nope'");
  ExpectOneLineError(RunCli("lite predict " + model + " --input '[1, 2]'"),
                     "--input: input 'image_floats' example 0: expected 784 values, got 2");
}

TEST_F(CliPipelineTest, LitePredictRefusesNonFiniteOutputs) {
  const std::string model = LiteModelPath();
  // A NaN pixel makes every logit NaN; JSON would print it as null.
  tensorflow::Example e;
  std::vector<float> pixels(784, 0.0f);
  pixels[5] = std::numeric_limits<float>::quiet_NaN();
  io::SetFloatFeature("image_floats", pixels, &e);
  const std::string examples = *dir_ + "/nan.tfrecord";
  ASSERT_TRUE(
      io::WriteAllRecords(examples, {io::SerializeDeterministic(e)}, io::Compression::kNone).ok());
  CliResult r = RunCli("lite predict " + model + " --examples " + examples);
  ExpectOneLineError(r, model + ": example 0: output '");
  EXPECT_NE(r.err.find("' element 0 is NaN (expected finite values)"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("null"), std::string::npos) << r.out;
}

TEST_F(CliPipelineTest, LiteConvertWritesAModelInspectReads) {
  nlohmann::json native = ArtifactOf("Model", "Trainer.mnist");
  std::string out = *dir_ + "/converted/m.tflite";
  CliResult r = RunCli("lite convert " + native["uri"].get<std::string>() + " " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(PathExists(out));
  CliResult inspect = RunCli("lite inspect --json " + out);
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_EQ(nlohmann::json::parse(inspect.out)["num_parameters"], 55050);

  // The native model converted here predicts what the native Evaluator's
  // model would: compare with the Trainer's own tflite on one example only
  // for shape, since the two trainers train different models.
  CliResult p = RunCli("lite predict " + out + " --examples " + EvalExamplesPath() + " --limit 1");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(JsonLines(p.out).size(), 1u);

  // A folder without a saved model: one error line naming it.
  std::string empty = TempDir("convert_empty");
  ExpectOneLineError(RunCli("lite convert " + empty + " " + *dir_ + "/x.tflite"), empty);
  EXPECT_FALSE(PathExists(*dir_ + "/x.tflite"));
}

// lite predict's other sources give the same answers as --input: a .npy
// array of examples, an image file (resized; pixels / 255 for MNIST's
// image_floats), and an int8-I/O model fed quantized inputs.
TEST_F(CliPipelineTest, LitePredictTakesNpyImagesAndInt8Inputs) {
  const std::string model = LiteModelPath();
  const std::string examples = EvalExamplesPath();
  std::vector<nlohmann::json> shown =
      JsonLines(RunCli("examples show " + examples + " --limit 2").out);
  ASSERT_EQ(shown.size(), 2u);
  std::vector<float> two;  // 2 x 784
  for (const auto& e : shown) {
    for (const auto& v : e["image_floats"]) two.push_back(v.get<float>());
  }
  ASSERT_EQ(two.size(), 2u * 784);
  CliResult json =
      RunCli("lite predict " + model + " --input '" +
             nlohmann::json({shown[0]["image_floats"], shown[1]["image_floats"]}).dump() + "'");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const std::vector<nlohmann::json> expected = JsonLines(json.out);
  ASSERT_EQ(expected.size(), 2u);

  // .npy: float32 [2, 784], as numpy.save writes it (format 1.0).
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 784), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string npy = std::string("\x93NUMPY\x01\x00", 8);
  npy += static_cast<char>(header.size() & 0xff);
  npy += static_cast<char>(header.size() >> 8);
  npy += header + std::string(reinterpret_cast<const char*>(two.data()), two.size() * 4);
  const std::string npy_path = *dir_ + "/two.npy";
  ASSERT_TRUE(WriteFileAtomic(npy_path, npy).ok());
  CliResult from_npy = RunCli("lite predict " + model + " --input-file " + npy_path);
  ASSERT_EQ(from_npy.exit_code, 0) << from_npy.err;
  EXPECT_EQ(JsonLines(from_npy.out), expected);
  // A damaged .npy is one line naming the file.
  ASSERT_TRUE(WriteFileAtomic(*dir_ + "/bad.npy", npy.substr(0, npy.size() - 4)).ok());
  ExpectOneLineError(RunCli("lite predict " + model + " --input-file " + *dir_ + "/bad.npy"),
                     *dir_ + "/bad.npy");

  // An image: the first digit as a 56x56 PNG (each pixel doubled); resized
  // back to 28x28 with half-pixel centers it is the digit again. The raw
  // image_floats are pixel values 0..255, hence --image-range 0,255.
  std::vector<uint8_t> pixels(56 * 56);
  for (int y = 0; y < 56; ++y) {
    for (int x = 0; x < 56; ++x) {
      pixels[y * 56 + x] = static_cast<uint8_t>(std::lround(two[(y / 2) * 28 + x / 2]));
    }
  }
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  image.width = image.height = 56;
  image.format = PNG_FORMAT_GRAY;
  const std::string png_path = *dir_ + "/digit.png";
  ASSERT_TRUE(png_image_write_to_file(&image, png_path.c_str(), 0, pixels.data(), 0, nullptr));
  CliResult from_png =
      RunCli("lite predict " + model + " --image " + png_path + " --image-range 0,255");
  ASSERT_EQ(from_png.exit_code, 0) << from_png.err;
  std::vector<nlohmann::json> png_lines = JsonLines(from_png.out);
  ASSERT_EQ(png_lines.size(), 1u);
  EXPECT_EQ(png_lines[0]["argmax"], expected[0]["argmax"]);
  const auto& a = png_lines[0]["outputs"].begin().value();
  const auto& b = expected[0]["outputs"].begin().value();
  for (size_t k = 0; k < 10; ++k) {
    EXPECT_NEAR(a[k].get<double>(), b[k].get<double>(), 1e-5 * (1 + std::fabs(b[k].get<double>())));
  }

  // int8 I/O: the same model converted to full integer with int8 inputs and
  // outputs, fed the quantized first digit, agrees with its float-I/O twin.
  const std::string saved = ArtifactOf("Model", "Trainer.mnist")["uri"];
  const std::string reps =
      " --quantize int8 --representative-examples " + examples + " --representative-count 20";
  ASSERT_EQ(RunCli("lite convert " + saved + " " + *dir_ + "/io8.tflite" + reps +
                   " --inference-type int8")
                .exit_code,
            0);
  ASSERT_EQ(RunCli("lite convert " + saved + " " + *dir_ + "/f32io.tflite" + reps).exit_code, 0);
  const std::string first = shown[0]["image_floats"].dump();
  CliResult int8 =
      RunCli("lite predict " + *dir_ + "/io8.tflite --quantize-inputs --input '" + first + "'");
  ASSERT_EQ(int8.exit_code, 0) << int8.err;
  CliResult f32 = RunCli("lite predict " + *dir_ + "/f32io.tflite --input '" + first + "'");
  ASSERT_EQ(f32.exit_code, 0) << f32.err;
  EXPECT_EQ(JsonLines(int8.out)[0]["argmax"], JsonLines(f32.out)[0]["argmax"]);
  // Without --quantize-inputs, floats are not int8 values: a clear error.
  ExpectOneLineError(RunCli("lite predict " + *dir_ + "/io8.tflite --input '" + first + "'"),
                     *dir_ + "/io8.tflite: example 0: input 'image_floats' is int8");
}

TEST_F(CliPipelineTest, LiteConvertQuantizes) {
  const std::string model = ArtifactOf("Model", "Trainer.mnist")["uri"];
  const std::string dir = *dir_ + "/quantized";
  auto convert = [&](const std::string& mode, const std::string& extra) -> int64_t {
    std::string out = dir + "/" + mode + ".tflite";
    CliResult r = RunCli("lite convert " + model + " " + out + " --quantize " + mode + extra);
    EXPECT_EQ(r.exit_code, 0) << mode << ": " << r.err;
    auto bytes = ReadFile(out);
    return bytes.ok() ? static_cast<int64_t>(bytes->size()) : -1;
  };
  const int64_t float32 = convert("none", "");
  // 55050 weights: 4 bytes each as float32, 2 as float16, 1 as int8.
  ASSERT_GT(float32, 55050 * 4);
  const int64_t float16 = convert("float16", "");
  EXPECT_GT(float16, 55050 * 2);
  EXPECT_LT(float16, float32 * 6 / 10);
  const int64_t dynamic = convert("dynamic", "");
  EXPECT_GT(dynamic, 55050);
  EXPECT_LT(dynamic, float32 * 35 / 100);
  const int64_t int8 = convert(
      "int8", " --representative-examples " + EvalExamplesPath() + " --representative-count 20");
  EXPECT_GT(int8, 55050);
  EXPECT_LT(int8, float32 * 35 / 100);

  // Full integer needs a representative dataset: the library says which option.
  ExpectOneLineError(RunCli("lite convert " + model + " " + dir + "/bad.tflite --quantize int8"),
                     "TFLiteRewriter option 'quantization_enable_full_integer'");
  EXPECT_FALSE(PathExists(dir + "/bad.tflite"));
  ExpectOneLineError(RunCli("lite convert " + model + " " + dir + "/bad.tflite --quantize int8 " +
                            "--representative-examples " + EvalExamplesPath() + " --feature nope"),
                     EvalExamplesPath() + ": offset 0: no float feature 'nope'");
}

TEST_F(CliPipelineTest, LiteBenchPrintsLatency) {
  CliResult r = RunCli("lite bench " + LiteModelPath() + " --runs 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("latency (us): mean "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("examples/s"), std::string::npos) << r.out;

  CliResult j = RunCli("lite bench --json --runs 5 --batch 4 " + LiteModelPath());
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto out = nlohmann::json::parse(j.out);
  EXPECT_EQ(out["runs"], 5);
  EXPECT_EQ(out["batch"], 4);
  EXPECT_EQ(out["latencies_us"].size(), 5u);
  EXPECT_GT(out["mean_us"].get<double>(), 0);
  EXPECT_LE(out["min_us"].get<double>(), out["median_us"].get<double>());
  EXPECT_LE(out["median_us"].get<double>(), out["p90_us"].get<double>());
  EXPECT_LE(out["p90_us"].get<double>(), out["max_us"].get<double>());
  EXPECT_FALSE(out.contains("profile"));

  // --profile: one line per operator kind and per operator (the MLP's
  // FULLY_CONNECTED layers, with their GFLOP/s and output shapes).
  CliResult p = RunCli("lite bench --runs 3 --profile " + LiteModelPath());
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find("profile (3 more runs, median us): Invoke "), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("FULLY_CONNECTED"), std::string::npos) << p.out;
  CliResult pj = RunCli("lite bench --json --runs 3 --profile " + LiteModelPath());
  ASSERT_EQ(pj.exit_code, 0) << pj.err;
  auto prof = nlohmann::json::parse(pj.out)["profile"];
  ASSERT_FALSE(prof["operators"].empty()) << pj.out;
  for (const auto& op : prof["operators"]) {
    EXPECT_GE(op["median_us"].get<double>(), 0.0);
    EXPECT_FALSE(op["output_shape"].get<std::string>().empty());
  }
  EXPECT_EQ(prof["kinds"][0]["op"], prof["operators"][0]["op"]);
}

// ---- error paths without a pipeline -----------------------------------------

// `onnx export` of the Trainer's Model artifact (Format-Serving/ inside):
// an ONNX ModelProto (ir_version 7 first: bytes 08 07); a folder without a
// saved model is one error line and writes nothing. onnxruntime runs the
// export in tests/interop/onnx_interop_test.cc.
TEST_F(CliPipelineTest, OnnxExportWritesAModel) {
  const std::string native = ArtifactOf("Model", "Trainer.mnist")["uri"];
  const std::string out = *dir_ + "/onnx/m.onnx";
  CliResult r = RunCli("onnx export " + native + " " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ONNX opset 13"), std::string::npos) << r.out;
  auto bytes = ReadFile(out);
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(bytes->starts_with(std::string("\x08\x07", 2)));

  std::string empty = TempDir("onnx_empty");
  ExpectOneLineError(RunCli("onnx export " + empty + " " + *dir_ + "/x.onnx"), "onnx export: ");
  EXPECT_FALSE(PathExists(*dir_ + "/x.onnx"));
}

TEST(CliTest, MissingMetadataIsOneErrorLineAndNotCreated) {
  std::string dir = TempDir("missing_db");
  std::string db = dir + "/none.sqlite";
  for (const std::string verb : {"runs", "executions", "artifacts", "lineage 1"}) {
    CliResult r = RunCli(verb + " --metadata " + db);
    ExpectOneLineError(r, db + ": ");
    EXPECT_FALSE(PathExists(db)) << verb;
  }
}

// A StatisticsGen-shaped folder: Split-train/FeatureStats.pb of 3 examples.
std::string WriteStatisticsFolder(const std::string& dir) {
  std::vector<std::string> records;
  for (int i = 0; i < 3; ++i) {
    tensorflow::Example e;
    io::SetFloatFeature("image_floats", {0.0f, static_cast<float>(i)}, &e);
    io::SetBytesFeature("kind", {i == 2 ? "cat" : "dog"}, &e);
    records.push_back(io::SerializeDeterministic(e));
  }
  std::string data = JoinPath(dir, "data.tfrecord");
  EXPECT_TRUE(io::WriteAllRecords(data, records, io::Compression::kNone).ok());
  ThreadPool pool(1);
  auto stats = data::ComputeStatistics({data}, "train", {}, &pool);
  EXPECT_TRUE(stats.ok());
  data::tfmd::DatasetFeatureStatisticsList list;
  *list.add_datasets() = *stats;
  std::string uri = JoinPath(dir, "statistics");
  EXPECT_TRUE(CreateDirectories(JoinPath(uri, "Split-train")).ok());
  EXPECT_TRUE(
      WriteFileAtomic(JoinPath(uri, "Split-train/FeatureStats.pb"), list.SerializeAsString()).ok());
  return uri;
}

TEST(CliTest, StatsShowPrintsFeaturesPerSplit) {
  std::string uri = WriteStatisticsFolder(TempDir("stats_show"));
  CliResult r = RunCli("stats show " + uri);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("split train: 3 examples"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("median"), std::string::npos) << r.out;
  // image_floats: values 0,0,0,1,0,2: mean 0.5, min 0, median 0, max 2, 4 zeros.
  EXPECT_NE(r.out.find("image_floats  FLOAT  3      0        2       0.5"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("dog (2), cat (1)"), std::string::npos) << r.out;
  CliResult one = RunCli("stats show " + uri + "/Split-train/FeatureStats.pb");
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("split train: 3 examples"), std::string::npos) << one.out;
}

TEST(CliTest, StatsShowBadInputIsOneErrorLine) {
  std::string dir = TempDir("stats_bad");
  ExpectOneLineError(RunCli("stats show " + dir + "/missing"), dir + "/missing");
  ExpectOneLineError(RunCli("stats show " + dir), dir + ": no Split-*");
  std::string file = JoinPath(dir, "FeatureStats.pb");
  ASSERT_TRUE(WriteFileAtomic(file, "\xff\xff\xff").ok());
  ExpectOneLineError(RunCli("stats show " + file), file + ": not a valid");
}

// An ExampleValidator-shaped folder: Split-train without anomalies, Split-eval
// with a new column, a value out of range and drift of "kind".
std::string WriteAnomaliesFolder(const std::string& dir) {
  auto stats = [](int n, int offset, const char* name) {
    data::StatisticsAccumulator acc({});
    for (int i = 0; i < n; ++i) {
      tensorflow::Example e;
      io::SetInt64Feature("label", {i % 3 + offset}, &e);
      io::SetBytesFeature("kind", {i < n / 2 + offset ? "cat" : "dog"}, &e);
      if (offset > 0) io::SetFloatFeature("extra", {1}, &e);
      EXPECT_TRUE(acc.AddExample(e).ok());
    }
    return acc.Finish(name);
  };
  auto train = stats(10, 0, "train");
  auto eval = stats(10, 3, "eval");
  data::tfmd::Schema schema;
  auto* label = schema.add_feature();
  label->set_name("label");
  label->set_type(data::tfmd::INT);
  label->mutable_int_domain()->set_min(0);
  label->mutable_int_domain()->set_max(2);
  auto* kind = schema.add_feature();
  kind->set_name("kind");
  kind->set_type(data::tfmd::BYTES);
  kind->mutable_drift_comparator()->mutable_infinity_norm()->set_threshold(0.2);
  std::string uri = JoinPath(dir, "anomalies");
  for (const auto& [split, result] :
       {std::pair{"train", data::ValidateStatistics(train, schema)},
        std::pair{"eval", data::ValidateStatistics(eval, schema, {.previous = &train})}}) {
    EXPECT_TRUE(result.ok());
    std::string folder = JoinPath(uri, std::string("Split-") + split);
    EXPECT_TRUE(CreateDirectories(folder).ok());
    EXPECT_TRUE(
        WriteFileAtomic(JoinPath(folder, "SchemaDiff.pb"), result->anomalies.SerializeAsString())
            .ok());
  }
  return uri;
}

TEST(CliTest, AnomaliesShowPrintsOneLinePerAnomaly) {
  for (const char* verb : {"anomalies --help", "anomalies show --help"}) {
    CliResult help = RunCli(verb);
    EXPECT_EQ(help.exit_code, 0) << verb << ": " << help.err;
    EXPECT_NE(help.out.find("Usage"), std::string::npos) << verb;
  }
  std::string uri = WriteAnomaliesFolder(TempDir("anomalies_show"));
  CliResult r = RunCli("anomalies show " + uri);
  ASSERT_EQ(r.exit_code, 0) << r.err;  // anomalies are findings, not errors
  EXPECT_EQ(
      r.out,
      "split eval: 3 anomalies (" + uri +
          "/Split-eval/SchemaDiff.pb)\n"
          "  feature 'extra': SCHEMA_NEW_COLUMN: New column 'extra' (FLOAT, in 10 of 10 "
          "examples) is in the data but not in the schema.\n"
          "  feature 'kind': COMPARATOR_L_INFTY_HIGH: The L-infinity distance of feature 'kind' "
          "between the current data and the previous data is 0.3, above the drift_comparator "
          "threshold 0.2. The value that differs most is \"cat\".\n"
          "  feature 'label': INT_TYPE_BIG_INT: Feature 'label' has values as large as 5, above "
          "the schema's int_domain max 2.\n"
          "  drift of 'kind': infinity_norm 0.3 (threshold 0.2)\n"
          "split train: no anomalies (" +
          uri + "/Split-train/SchemaDiff.pb)\n");
  CliResult one = RunCli("anomalies show " + uri + "/Split-train/SchemaDiff.pb");
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, "split (file): no anomalies (" + uri + "/Split-train/SchemaDiff.pb)\n");
}

TEST(CliTest, AnomaliesShowBadInputIsOneErrorLine) {
  std::string dir = TempDir("anomalies_bad");
  ExpectOneLineError(RunCli("anomalies show " + dir + "/missing"), dir + "/missing");
  ExpectOneLineError(RunCli("anomalies show " + dir), dir + ": no Split-*");
  std::string file = JoinPath(dir, "SchemaDiff.pb");
  ASSERT_TRUE(WriteFileAtomic(file, "\xff\xff\xff").ok());
  ExpectOneLineError(RunCli("anomalies show " + file), file + ": not a valid Anomalies proto");
  ExpectOneLineError(RunCli("anomalies show /dev/zero"), "/dev/zero");
  EXPECT_EQ(RunCli("anomalies").exit_code, 1);  // a verb is required
}

TEST(CliTest, StatsHtmlWritesThePageToAFileOrStdout) {
  std::string dir = TempDir("stats_html");
  std::string uri = WriteStatisticsFolder(dir);
  std::string file = JoinPath(dir, "page.html");
  CliResult r = RunCli("stats html " + uri + " -o " + file + " --top-values 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  auto page = ReadFile(file);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_TRUE(page->starts_with("<!DOCTYPE html>"));
  EXPECT_NE(page->find("<b>image_floats</b>"), std::string::npos);
  EXPECT_NE(page->find("<b>train</b>: 3 examples"), std::string::npos);
  // --top-values 1: only dog, the most frequent, is charted.
  EXPECT_NE(page->find("<title>dog: train"), std::string::npos);
  EXPECT_EQ(page->find("<title>cat: train"), std::string::npos);
  CliResult out = RunCli("stats html " + uri + "/Split-train/FeatureStats.pb");
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_TRUE(out.out.starts_with("<!DOCTYPE html>"));
  EXPECT_NE(out.out.find("<b>kind</b>"), std::string::npos);
}

TEST(CliTest, StatsHtmlBadInputIsOneErrorLine) {
  std::string dir = TempDir("stats_html_bad");
  ExpectOneLineError(RunCli("stats html " + dir + "/missing"), dir + "/missing");
  std::string file = JoinPath(dir, "FeatureStats.pb");
  ASSERT_TRUE(WriteFileAtomic(file, "\xff\xff\xff").ok());
  ExpectOneLineError(RunCli("stats html " + file), file + ": not a valid");
  // A dataset name that is not UTF-8: protobuf refuses it, and its own log
  // line is not printed besides ours.
  ASSERT_TRUE(WriteFileAtomic(file, std::string("\x0a\x03\x0a\x01\xff", 5)).ok());
  CliResult utf8 = RunCli("stats html " + file);
  ExpectOneLineError(utf8, file + ": not a valid");
  EXPECT_EQ(std::count(utf8.err.begin(), utf8.err.end(), '\n'), 1) << utf8.err;
  std::string uri = WriteStatisticsFolder(dir);
  ExpectOneLineError(RunCli("stats html " + uri + " -o " + dir + "/no_such_dir/page.html"),
                     dir + "/no_such_dir/page.html");
  EXPECT_FALSE(PathExists(dir + "/no_such_dir"));
}

TEST(CliTest, MissingEvalDirIsOneErrorLine) {
  std::string dir = TempDir("missing_eval") + "/no_such_eval";
  ExpectOneLineError(RunCli("eval show " + dir), dir);
}

TEST(CliTest, MissingTfliteIsOneErrorLineForEveryLiteVerb) {
  std::string path = TempDir("missing_tflite") + "/none.tflite";
  for (const std::string verb : {"inspect", "bench", "predict --input '[1]'"}) {
    ExpectOneLineError(RunCli("lite " + verb + " " + path), path);
  }
}

// ---- issue 8: bounded input, bounded memory, checked numbers ---------------

TEST(CliTest, OptionParsingErrorsAreOneErrorLine) {
  std::string dir = TempDir("parse_errors");
  const std::string f = dir + "/x.tfrecord";
  const std::pair<std::string, std::string> cases[] = {
      {"examples show " + f + " --bogus", "The following argument was not expected: --bogus"},
      {"examples show " + f + " --limit", "--limit: 1 required"},
      {"examples show", "FILE is required"},
      {"lite bench " + f + " --runs abc", "--runs: expected an integer in [1, 1000000], got 'abc'"},
      {"no-such-verb", "A subcommand is required"},
      {"", "A subcommand is required"},
  };
  for (const auto& [args, message] : cases) {
    CliResult r = RunCli(args);
    ExpectOneLineError(r, "");
    EXPECT_NE(r.err.find(message), std::string::npos) << args << ": " << r.err;
    EXPECT_EQ(r.out, "") << args;
  }
}

TEST(CliTest, NumbersAreRangeChecked) {
  std::string dir = TempDir("ranges");
  const std::string m = dir + "/none.tflite";
  const std::string run = "run mnist --data " + dir + " --pipeline-root " + dir +
                          "/root --metadata " + dir + "/m.sqlite ";
  const std::string steps = "expected an integer in [1, 1000000000], got '";
  const std::string limit = "expected -1 (all) or an integer in [1, 9007199254740992], got '";
  const std::string threshold = "expected a finite number in [0, 1], got '";
  const std::pair<std::string, std::string> cases[] = {
      {run + "--train-steps 0", "--train-steps: " + steps + "0'"},
      {run + "--train-steps -1", "--train-steps: " + steps + "-1'"},
      {run + "--train-steps abc", "--train-steps: " + steps + "abc'"},
      {run + "--train-steps 100000000000", "--train-steps: " + steps + "100000000000'"},
      {run + "--eval-steps 0", "--eval-steps: " + steps + "0'"},
      {run + "--accuracy-threshold nan", "--accuracy-threshold: " + threshold + "nan'"},
      {run + "--accuracy-threshold 1.5", "--accuracy-threshold: " + threshold + "1.5'"},
      {run + "--accuracy-threshold -0.1", "--accuracy-threshold: " + threshold + "-0.1'"},
      {run + "--accuracy-threshold inf", "--accuracy-threshold: " + threshold + "inf'"},
      {"lite bench " + m + " --threads 100000",
       "--threads: expected an integer in [1, 256], got '100000'"},
      {"lite bench " + m + " --threads 0", "--threads: expected an integer in [1, 256], got '0'"},
      {"lite bench " + m + " --runs 0", "--runs: expected an integer in [1, 1000000], got '0'"},
      {"lite bench " + m + " --runs 100000000000",
       "--runs: expected an integer in [1, 1000000], got '100000000000'"},
      {"lite bench " + m + " --batch 0", "--batch: expected an integer in [1, 65536], got '0'"},
      {"lite bench " + m + " --batch 100000000000",
       "--batch: expected an integer in [1, 65536], got '100000000000'"},
      {"lite predict " + m + " --input '[1]' --limit 0", "--limit: " + limit + "0'"},
      {"examples show " + m + " --limit -5", "--limit: " + limit + "-5'"},
      {"examples show " + m + " --limit abc", "--limit: " + limit + "abc'"},
      {"lineage 0 --metadata " + dir + "/m.sqlite", "ARTIFACT_ID: expected an integer in [1, "},
      {"stats show " + dir + " --top-values -1",
       "--top-values: expected an integer in [0, 1000], got '-1'"},
      {"stats html " + dir + " --top-values 0",
       "--top-values: expected an integer in [1, 1000], got '0'"},
  };
  for (const auto& [args, message] : cases) {
    CliResult r = RunCli(args);
    ExpectOneLineError(r, message);
  }
  // Refused at parsing: nothing was created.
  EXPECT_FALSE(PathExists(dir + "/root"));
  EXPECT_FALSE(PathExists(dir + "/m.sqlite"));
}

// Peak RSS of `edgepipe <args>` (stderr to a file) and its result.
struct BoundedRun {
  CliResult cli;
  int64_t peak_rss_kb;
};
BoundedRun RunCliMeasured(const std::string& args) {
  std::string base = ::testing::TempDir() + "cli_measured_" + std::to_string(::getpid());
  testing::ChildResult r = testing::RunCommandWithPeakRss(std::string(EDGEPIPE_CLI) + " " + args +
                                                          " >" + base + ".out 2>" + base + ".err");
  auto out = ReadFile(base + ".out");
  auto err = ReadFile(base + ".err");
  return {{r.exit_code, out.ok() ? *out : "", err.ok() ? *err : ""}, r.peak_rss_kb};
}

// Endless devices, files over a cap (sparse: no disk used), gzip bombs and
// huge record lengths: one error line, exit 1, and no more memory than a
// command that fails at once on a missing file (plus a margin far below
// every cap, which is 16 MiB or more).
TEST(CliTest, UntrustedInputIsBoundedInBytesAndMemory) {
  std::string dir = TempDir("bounded");
  namespace fs = std::filesystem;
  auto sparse = [&](const std::string& name, uintmax_t bytes, const std::string& head) {
    std::string path = dir + "/" + name;
    EXPECT_TRUE(WriteFileAtomic(path, head).ok());
    fs::resize_file(path, bytes);
    return path;
  };
  auto symlink_zero = [&](const std::string& path) {
    EXPECT_TRUE(CreateDirectories(fs::path(path).parent_path().string()).ok());
    fs::create_symlink("/dev/zero", path);
    return path;
  };
  const std::string zero = "/dev/zero: is a character device, expected a regular file";
  const std::string run = "run mnist --pipeline-root " + dir + "/root --metadata " + dir +
                          "/m.sqlite --serving-dir " + dir + "/serving ";
  // Data folders: IDX from /dev/zero, and IDX as a gzip bomb (1 GiB of zeros
  // after a header that declares 1 x 784 bytes).
  symlink_zero(dir + "/zero_data/images-idx3-ubyte");
  symlink_zero(dir + "/zero_data/labels-idx1-ubyte");
  ASSERT_TRUE(CreateDirectories(dir + "/bomb_data").ok());
  {
    std::string header("\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x1c\x00\x00\x00\x1c", 16);
    const std::string member = io::GzipCompress(std::string(16 << 20, '\0'));
    std::string bomb = io::GzipCompress(header);
    for (int i = 0; i < 64; ++i) bomb += member;
    ASSERT_TRUE(WriteFileAtomic(dir + "/bomb_data/images-idx3-ubyte.gz", bomb).ok());
    Tensor labels(DType::kUInt8, {1});
    labels.data<uint8_t>()[0] = 3;
    ASSERT_TRUE(io::WriteIdx(dir + "/bomb_data/labels-idx1-ubyte.gz", labels, true).ok());
  }
  ASSERT_TRUE(CreateDirectories(dir + "/data").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/data/x.tfrecord", io::EncodeRecords({""})).ok());
  symlink_zero(dir + "/zero_model/model.json");
  // A record header (with a valid length CRC) claiming 100 MB, and the
  // 100 MB after it.
  const std::string big_record =
      sparse("big.tfrecord", 12 + 100'000'000 + 4, io::EncodeRecordHeader(100'000'000));
  const std::string big_tflite = sparse("big.tflite", uintmax_t{1} << 31, "");
  const std::string big_config = sparse("big_config.pbtxt", (16 << 20) + 1, "");

  const std::pair<std::string, std::string> cases[] = {
      {"lite inspect /dev/zero", zero},
      {"lite predict /dev/zero --input '[1]'", zero},
      {"lite bench /dev/zero", zero},
      {"examples show /dev/zero", zero},
      {"lite convert " + dir + "/zero_model " + dir + "/out.tflite",
       dir + "/zero_model/model.json: is a character device"},
      {run + "--data " + dir + "/data --eval-config /dev/zero", zero},
      {run + "--data " + dir + "/zero_data", dir + "/zero_data/images-idx3-ubyte: is a character"},
      {run + "--data " + dir + "/bomb_data",
       dir + "/bomb_data/images-idx3-ubyte.gz: offset 16: IDX data size mismatch (dims [1, 28, "
             "28] of uint8 need 784 bytes, got more (reading stopped there))"},
      {"lite inspect " + big_tflite,
       big_tflite + ": file is 2147483648 bytes, expected at most 2147483647"},
      {run + "--data " + dir + "/data --eval-config " + big_config,
       big_config + ": file is 16777217 bytes, expected at most 16777216"},
      {"examples show " + big_record,
       big_record + ": offset 0: record length 100000000 bytes, expected at most 67108864"},
  };
  const BoundedRun baseline = RunCliMeasured("lite inspect " + dir + "/missing.tflite");
  ASSERT_EQ(baseline.cli.exit_code, 1) << baseline.cli.err;
  for (const auto& [args, message] : cases) {
    BoundedRun r = RunCliMeasured(args);
    ExpectOneLineError(r.cli, "");
    EXPECT_NE(r.cli.err.find(message), std::string::npos) << args << ": " << r.cli.err;
    EXPECT_LT(r.peak_rss_kb, baseline.peak_rss_kb + (32 << 10)) << args;
  }
  EXPECT_FALSE(PathExists(dir + "/serving"));
}

TEST(CliTest, EvalConfigThresholdOnAnUncomputedMetricIsRefusedBeforeTraining) {
  std::string dir = TempDir("threshold_metric");
  ASSERT_TRUE(CreateDirectories(dir + "/data").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/data/x.tfrecord", io::EncodeRecords({""})).ok());
  std::string config = dir + "/eval_config.pbtxt";
  ASSERT_TRUE(WriteFileAtomic(config,
                              "model_specs { label_key: \"image_class\" }\n"
                              "metrics_specs { metrics { class_name: \"ExampleCount\" }\n"
                              "  thresholds { key: \"auc\" value { value_threshold {\n"
                              "    lower_bound { value: 0.5 } } } } }\n")
                  .ok());
  CliResult r = RunCli("run mnist --data " + dir + "/data --eval-config " + config +
                       " --pipeline-root " + dir + "/root --metadata " + dir + "/m.sqlite");
  ExpectOneLineError(r, config +
                            ": metrics_specs[0].thresholds[\"auc\"]: threshold on metric "
                            "\"auc\", which this metrics spec does not compute");
  EXPECT_FALSE(PathExists(dir + "/root"));
}

TEST(CliTest, InputWithoutExamplesIsOneErrorLineNamingTheFile) {
  std::string dir = TempDir("no_examples");
  ASSERT_TRUE(CreateDirectories(dir + "/data").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/data/x.tfrecord", "").ok());
  CliResult r = RunCli("run mnist --data " + dir + "/data --pipeline-root " + dir +
                       "/root --metadata " + dir + "/m.sqlite --serving-dir " + dir + "/serving");
  ExpectOneLineError(r, "");
  EXPECT_NE(r.err.find(dir + "/data/x.tfrecord: holds no records (expected at least one "
                             "tf.Example)"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(PathExists(dir + "/serving"));
}

}  // namespace
}  // namespace edgepipe

namespace edgepipe {
namespace {

#ifdef EDGEPIPE_TEST_MODULE_DIR
// `edgepipe run PIPELINE.so`: a user's pipeline library whose Transform names
// a user's module file; the same runner, caching, metadata and verbs.
TEST(CliLibraryPipelineTest, RunsAUsersPipelineLibraryAndCachesIt) {
  const std::string dir = TempDir("library_pipeline");
  ASSERT_TRUE(CreateDirectories(dir + "/data").ok());
  ASSERT_TRUE(testing::WriteTinyMnist(dir + "/data", 120).ok());
  const std::string modules = EDGEPIPE_TEST_MODULE_DIR;
  const std::string args = modules + "/libtest_module_pipeline.so --data " + dir +
                           "/data --module-file " + modules +
                           "/libtest_module_good.so --pipeline-root " + dir + "/root --metadata " +
                           dir + "/metadata.sqlite --set name=tiny";
  CliResult first = RunCli("run " + args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("5 nodes executed, 0 cached"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("data: no anomalies"), std::string::npos) << first.out;
  EXPECT_TRUE(PathExists(dir + "/root/tiny/Transform"));

  CliResult second = RunCli("run " + args + " --json");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  auto j = nlohmann::json::parse(second.out);
  EXPECT_EQ(j["pipeline"], "tiny");
  EXPECT_EQ(j["executed"], 0);
  EXPECT_EQ(j["cached"], 5);

  CliResult runs = RunCli("runs --json --metadata " + dir + "/metadata.sqlite");
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  auto listed = nlohmann::json::parse(runs.out);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["pipeline_name"], "tiny") << runs.out;
}

TEST(CliLibraryPipelineTest, BadLibrariesAreOneErrorLine) {
  const std::string dir = TempDir("library_bad");
  const std::string modules = EDGEPIPE_TEST_MODULE_DIR;
  CliResult missing = RunCli("run " + dir + "/nope.so");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("error: " + dir + "/nope.so: module file does not exist"),
            std::string::npos)
      << missing.err;
  CliResult no_pipeline = RunCli("run " + modules + "/libtest_module_good.so");
  EXPECT_EQ(no_pipeline.exit_code, 1);
  EXPECT_NE(no_pipeline.err.find("defines no pipeline"), std::string::npos) << no_pipeline.err;
  CliResult own_error = RunCli("run " + modules + "/libtest_module_pipeline.so");
  EXPECT_EQ(own_error.exit_code, 1);
  EXPECT_NE(own_error.err.find("this pipeline needs --data"), std::string::npos) << own_error.err;
  CliResult bad_set =
      RunCli("run " + modules + "/libtest_module_pipeline.so --set novalue --data " + dir);
  EXPECT_EQ(bad_set.exit_code, 1);
  EXPECT_NE(bad_set.err.find("expected KEY=VALUE"), std::string::npos) << bad_set.err;
}
#endif

}  // namespace
}  // namespace edgepipe
