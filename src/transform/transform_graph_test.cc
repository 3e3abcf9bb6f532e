#include "src/transform/transform_graph.h"

#include <gtest/gtest.h>

#include <cmath>

#include "src/io/example.h"
#include "src/io/text_proto.h"
#include "src/io/tfrecord.h"
#include "src/nn/normalization.h"
#include "src/transform/tf_transform_output.h"
#include "tests/support/temp_dir.h"

namespace edgepipe::transform {
namespace {

using ::edgepipe::testing::FreshTempDir;

tfmd::Schema TestSchema() {
  tfmd::Schema schema;
  EXPECT_TRUE(io::ParseTextProto(R"pb(
                                   feature {
                                     name: "x"
                                     type: FLOAT
                                     shape { dim { size: 1 } }
                                   }
                                   feature {
                                     name: "v"
                                     type: FLOAT
                                     shape { dim { size: 3 } }
                                   }
                                   feature {
                                     name: "n"
                                     type: INT
                                     presence { min_count: 1 }
                                   }
                                   feature {
                                     name: "s"
                                     type: BYTES
                                     presence { min_count: 1 }
                                   }
                                 )pb",
                                 "test schema", &schema)
                  .ok());
  return schema;
}

// Ten examples: x = 0..9, v = (x, 2x, -x), n = x % 3, s = "a" x4, "b" x3,
// "c" x3 (ties b/c broken by value, descending: c before b); example 9 has no n.
std::vector<tensorflow::Example> TestExamples() {
  std::vector<tensorflow::Example> out;
  const char* s[] = {"a", "b", "a", "c", "b", "a", "c", "b", "c", "a"};
  for (int i = 0; i < 10; ++i) {
    tensorflow::Example e;
    const float x = static_cast<float>(i);
    io::SetFloatFeature("x", {x}, &e);
    io::SetFloatFeature("v", {x, 2 * x, -x}, &e);
    if (i != 9) io::SetInt64Feature("n", {i % 3}, &e);
    io::SetBytesFeature("s", {s[i]}, &e);
    out.push_back(e);
  }
  return out;
}

std::string WriteExamples(const std::string& dir,
                          const std::vector<tensorflow::Example>& examples) {
  std::vector<std::string> records;
  for (const auto& e : examples) records.push_back(io::SerializeDeterministic(e));
  const std::string path = JoinPath(dir, "data.tfrecord.gz");
  EXPECT_TRUE(io::WriteAllRecords(path, records, io::Compression::kGzip).ok());
  return path;
}

Status FullFn(const Inputs& in, Outputs* out) {
  (*out)["x_mm"] = ScaleByMinMax(in["x"], -0.5, 0.5);
  (*out)["x_01"] = ScaleTo01(in["x"]);
  (*out)["x_z"] = ScaleToZScore(in["x"]);
  (*out)["v_z"] = ScaleToZScore(in["v"]);
  (*out)["x_bucket"] = Bucketize(in["x"], 4);
  (*out)["x_log"] = Log(in["x"]);
  (*out)["x_clip"] = Clip(in["x"], 2, 7.5);
  (*out)["n_clip"] = Clip(in["n"], 0.5, 1);
  (*out)["s_id"] = ComputeAndApplyVocabulary(in["s"]);
  (*out)["s_top2"] = ComputeAndApplyVocabulary(in["s"], /*top_k=*/2, 0, /*num_oov_buckets=*/3);
  (*out)["n_id"] = ComputeAndApplyVocabulary(in["n"]);
  (*out)["x_z_of_mm"] = ScaleToZScore(ScaleByMinMax(in["x"], 0, 10));  // a second phase
  (*out)["s"] = in["s"];
  return Status::OK();
}

struct Analyzed {
  std::string dir;
  std::string file;
  TransformGraph graph;
};

Analyzed AnalyzeTestData(const std::string& name) {
  Analyzed a;
  a.dir = FreshTempDir(name);
  a.file = WriteExamples(a.dir, TestExamples());
  auto graph = BuildTransformGraph(TestSchema(), FullFn);
  EXPECT_TRUE(graph.ok()) << graph.status().ToString();
  a.graph = std::move(graph).value();
  ThreadPool pool(2);
  Status s = Analyze(&a.graph, {a.file}, &pool);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return a;
}

const Analyzer& AnalyzerOf(const TransformGraph& g, const std::string& output) {
  return g.analyzers()[static_cast<size_t>(
      g.nodes()[static_cast<size_t>(g.outputs().at(output))].analyzer)];
}

TEST(TransformGraphTest, AnalyzersComputeTfTransformResults) {
  Analyzed a = AnalyzeTestData("transform_analyzers");
  const TransformGraph& g = a.graph;
  EXPECT_EQ(g.NumPhases(), 2);
  const Analyzer& mm = AnalyzerOf(g, "x_mm");
  EXPECT_EQ(mm.min, 0.0);
  EXPECT_EQ(mm.max, 9.0);
  EXPECT_EQ(mm.count, 10);
  // scale_by_min_max and scale_to_0_1 of x share one analyzer.
  EXPECT_EQ(g.nodes()[static_cast<size_t>(g.outputs().at("x_mm"))].analyzer,
            g.nodes()[static_cast<size_t>(g.outputs().at("x_01"))].analyzer);
  const Analyzer& z = AnalyzerOf(g, "x_z");
  EXPECT_DOUBLE_EQ(z.mean, 4.5);
  EXPECT_DOUBLE_EQ(z.variance, 8.25);  // population variance of 0..9
  // Over every element of v: x, 2x, -x for x in 0..9.
  const Analyzer& vz = AnalyzerOf(g, "v_z");
  EXPECT_EQ(vz.count, 30);
  EXPECT_NEAR(vz.mean, 4.5 * 2 / 3, 1e-12);
  const Analyzer& q = AnalyzerOf(g, "x_bucket");
  EXPECT_EQ(q.boundaries, (std::vector<double>{2, 4, 7}));  // lower 1/4, 2/4, 3/4 quantiles
  const Analyzer& voc = AnalyzerOf(g, "s_id");
  EXPECT_EQ(voc.vocabulary, (std::vector<std::string>{"a", "c", "b"}));
  EXPECT_EQ(voc.frequencies, (std::vector<int64_t>{4, 3, 3}));
  EXPECT_EQ(AnalyzerOf(g, "s_top2").vocabulary, (std::vector<std::string>{"a", "c"}));
  // Integers are counted as decimal strings; example 9 has no n: 0 x3, 1 x3, 2 x3.
  EXPECT_EQ(AnalyzerOf(g, "n_id").vocabulary, (std::vector<std::string>{"2", "1", "0"}));
  // Second phase: z-score of x scaled to [0, 10]: mean 5, same spread.
  const Analyzer& z2 = AnalyzerOf(g, "x_z_of_mm");
  EXPECT_NEAR(z2.mean, 5.0, 1e-6);
  EXPECT_NEAR(z2.variance, 8.25 * (10.0 / 9) * (10.0 / 9), 1e-5);
}

TEST(TransformGraphTest, MappersTransformEachExample) {
  Analyzed a = AnalyzeTestData("transform_mappers");
  const TransformGraph& g = a.graph;
  auto scratch = g.NewScratch();
  std::vector<tensorflow::Example> raw = TestExamples();
  auto floats = [](const tensorflow::Example& e, const std::string& k) {
    const auto& v = e.features().feature().at(k).float_list().value();
    return std::vector<float>(v.begin(), v.end());
  };
  auto ints = [](const tensorflow::Example& e, const std::string& k) {
    const auto& v = e.features().feature().at(k).int64_list().value();
    return std::vector<int64_t>(v.begin(), v.end());
  };
  for (int i = 0; i < 10; ++i) {
    tensorflow::Example out;
    ASSERT_TRUE(g.TransformExample(raw[static_cast<size_t>(i)], scratch.get(), &out).ok());
    const double x = i;
    EXPECT_NEAR(floats(out, "x_mm")[0], x / 9 - 0.5, 1e-6);
    EXPECT_NEAR(floats(out, "x_01")[0], x / 9, 1e-6);
    EXPECT_NEAR(floats(out, "x_z")[0], (x - 4.5) / std::sqrt(8.25), 1e-6);
    EXPECT_EQ(floats(out, "v_z").size(), 3u);
    EXPECT_EQ(ints(out, "x_bucket")[0], x < 2 ? 0 : x < 4 ? 1 : x < 7 ? 2 : 3);
    if (i == 0) {
      EXPECT_TRUE(std::isinf(floats(out, "x_log")[0]));
    } else {
      EXPECT_NEAR(floats(out, "x_log")[0], std::log(x), 1e-6);
    }
    EXPECT_EQ(floats(out, "x_clip")[0], static_cast<float>(std::clamp(x, 2.0, 7.5)));
    const std::string s =
        raw[static_cast<size_t>(i)].features().feature().at("s").bytes_list().value(0);
    EXPECT_EQ(ints(out, "s_id")[0], s == "a" ? 0 : s == "c" ? 1 : 2);
    if (s == "b") {
      EXPECT_GE(ints(out, "s_top2")[0], 2);  // an OOV bucket after the two entries
      EXPECT_LT(ints(out, "s_top2")[0], 5);
    } else {
      EXPECT_EQ(ints(out, "s_top2")[0], s == "a" ? 0 : 1);
    }
    EXPECT_EQ(out.features().feature().at("s").bytes_list().value(0), s);
    if (i == 9) {
      // An absent raw feature gives absent outputs.
      EXPECT_EQ(out.features().feature().count("n_clip"), 0u);
      EXPECT_EQ(out.features().feature().count("n_id"), 0u);
    } else {
      EXPECT_EQ(ints(out, "n_clip")[0], std::clamp<int64_t>(i % 3, 1, 1));
      EXPECT_EQ(ints(out, "n_id")[0], 2 - i % 3);
    }
  }
}

TEST(TransformGraphTest, TransformFilesKeepsOrderAndJsonRoundTripAgrees) {
  Analyzed a = AnalyzeTestData("transform_files");
  ThreadPool pool(2);
  const std::string out_path = JoinPath(a.dir, "out.gz");
  auto written = TransformFiles(a.graph, {a.file, a.file}, out_path, &pool);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(*written, 20);
  auto records = io::ReadAllRecords(out_path);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 20u);

  // The graph read back from its JSON transforms every example identically.
  auto copy = TransformGraph::FromJson(a.graph.ToJson(), "graph.json");
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->ToJson(), a.graph.ToJson());
  auto scratch = copy->NewScratch();
  std::vector<tensorflow::Example> raw = TestExamples();
  for (size_t i = 0; i < 20; ++i) {
    tensorflow::Example out;
    ASSERT_TRUE(copy->TransformExample(raw[i % 10], scratch.get(), &out).ok());
    EXPECT_EQ(io::SerializeDeterministic(out), (*records)[i]) << "record " << i;
  }
}

TEST(TransformGraphTest, MisuseIsAnErrorNamingTheMapperAndFeature) {
  auto on_bytes = BuildTransformGraph(TestSchema(), [](const Inputs& in, Outputs* out) {
    (*out)["y"] = ScaleToZScore(in["s"]);
    return Status::OK();
  });
  ASSERT_FALSE(on_bytes.ok());
  EXPECT_NE(on_bytes.status().message().find("scale_to_z_score(s)"), std::string::npos)
      << on_bytes.status().ToString();
  auto unknown = BuildTransformGraph(TestSchema(), [](const Inputs& in, Outputs* out) {
    (*out)["y"] = ScaleTo01(in["nope"]);
    return Status::OK();
  });
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("no feature 'nope'"), std::string::npos);
  auto none =
      BuildTransformGraph(TestSchema(), [](const Inputs&, Outputs*) { return Status::OK(); });
  EXPECT_FALSE(none.ok());
  auto bad_range = BuildTransformGraph(TestSchema(), [](const Inputs& in, Outputs* out) {
    (*out)["y"] = ScaleByMinMax(in["x"], 1, 1);
    return Status::OK();
  });
  EXPECT_FALSE(bad_range.ok());
  auto fn_error = BuildTransformGraph(
      TestSchema(), [](const Inputs&, Outputs*) { return Status::InvalidArgument("mine"); });
  ASSERT_FALSE(fn_error.ok());
  EXPECT_NE(fn_error.status().message().find("mine"), std::string::npos);
}

TEST(TransformGraphTest, WrongListKindNamesTheFeature) {
  Analyzed a = AnalyzeTestData("transform_kind");
  tensorflow::Example raw = TestExamples()[0];
  io::SetInt64Feature("x", {1}, &raw);
  tensorflow::Example out;
  Status s = a.graph.TransformExample(raw, a.graph.NewScratch().get(), &out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("feature 'x': int64_list"), std::string::npos) << s.ToString();
}

TEST(TransformGraphTest, FromJsonRejectsMalformedGraphs) {
  Analyzed a = AnalyzeTestData("transform_json");
  const nlohmann::json good = a.graph.ToJson();
  auto expect_error = [&](nlohmann::json j, const std::string& needle) {
    auto g = TransformGraph::FromJson(j, "g.json");
    ASSERT_FALSE(g.ok()) << needle;
    EXPECT_NE(g.status().message().find(needle), std::string::npos) << g.status().ToString();
    EXPECT_NE(g.status().message().find("g.json"), std::string::npos);
  };
  nlohmann::json j = good;
  j["version"] = 99;
  expect_error(j, ".version");
  j = good;
  j["nodes"][1]["op"] = "explode";
  expect_error(j, "unknown op 'explode'");
  j = good;
  j["nodes"][1]["input"] = 50;
  expect_error(j, "is not an earlier node");
  j = good;
  j["analyzers"][0]["input"] = 1000;
  expect_error(j, "is not a node");
  j = good;
  j["outputs"]["x_mm"] = 999;
  expect_error(j, "outputs");
  j = good;
  j["raw_features"][0]["kind"] = "complex";
  expect_error(j, "complex");
  expect_error(nlohmann::json::array(), ".format");
}

TEST(TransformGraphTest, ServingTransformComposesAffineMappersOnly) {
  Analyzed a = AnalyzeTestData("transform_serving");
  const std::string uri = JoinPath(a.dir, "transform_graph");
  ASSERT_TRUE(WriteTransformOutput(uri, a.graph, TestSchema()).ok());
  auto out = TFTransformOutput::Read(uri);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->transformed_schema().feature_size(), 13);
  auto mm = out->ServingTransformFor("x_mm");
  ASSERT_TRUE(mm.ok());
  EXPECT_EQ(mm->raw_feature, "x");
  EXPECT_FLOAT_EQ(mm->scale, 1.0f / 9);
  EXPECT_FLOAT_EQ(mm->offset, -0.5f);
  // The composition equals applying both mappers (as the transformed
  // examples do) to float rounding.
  auto z2 = out->ServingTransformFor("x_z_of_mm");
  ASSERT_TRUE(z2.ok());
  auto scratch = out->graph().NewScratch();
  tensorflow::Example t;
  ASSERT_TRUE(out->graph().TransformExample(TestExamples()[7], scratch.get(), &t).ok());
  EXPECT_NEAR(7 * z2->scale + z2->offset,
              t.features().feature().at("x_z_of_mm").float_list().value(0), 1e-5);
  auto bucket = out->ServingTransformFor("x_bucket");
  ASSERT_FALSE(bucket.ok());
  EXPECT_EQ(bucket.status().code(), Status::Code::kUnimplemented);
  EXPECT_NE(bucket.status().message().find("bucketize"), std::string::npos);
  EXPECT_FALSE(out->ServingTransformFor("missing").ok());
  auto layer = out->TransformFeaturesLayer("x_mm");
  ASSERT_TRUE(layer.ok());
  EXPECT_EQ((*layer)->class_name(), "Rescaling");
  // A missing artifact names the file.
  auto missing = TFTransformOutput::Read(JoinPath(a.dir, "nothing"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("transform_graph.json"), std::string::npos);
}

}  // namespace
}  // namespace edgepipe::transform
