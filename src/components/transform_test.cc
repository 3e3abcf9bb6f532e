#include "src/components/transform.h"

#include <gtest/gtest.h>

#include "src/components/component_test_util.h"
#include "src/components/schema_gen.h"
#include "src/data/examples.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"
#include "src/transform/tf_transform_output.h"

namespace edgepipe::components {
namespace {

// An Examples artifact with train (x = 0..8) and eval (x = 100, 101) splits,
// and a Schema artifact for it.
struct Inputs {
  pipeline::Artifact examples, schema;
};

Inputs WriteInputs(const std::string& root) {
  Inputs in;
  in.examples.type_name = "Examples";
  in.examples.uri = JoinPath(root, "examples");
  in.examples.properties["split_names"] = std::string("[\"train\", \"eval\"]");
  auto write = [&](const std::string& split, std::vector<int> xs) {
    std::vector<std::string> records;
    for (int x : xs) {
      tensorflow::Example e;
      io::SetFloatFeature("x", {static_cast<float>(x)}, &e);
      io::SetBytesFeature("color", {x % 2 ? "red" : "blue"}, &e);
      records.push_back(io::SerializeDeterministic(e));
    }
    const std::string dir = JoinPath(in.examples.uri, "Split-" + split);
    EXPECT_TRUE(CreateDirectories(dir).ok());
    EXPECT_TRUE(
        io::WriteAllRecords(JoinPath(dir, "data.gz"), records, io::Compression::kGzip).ok());
  };
  write("train", {0, 1, 2, 3, 4, 5, 6, 7, 8});
  write("eval", {100, 101});
  in.schema.type_name = "Schema";
  in.schema.uri = JoinPath(root, "schema");
  EXPECT_TRUE(CreateDirectories(in.schema.uri).ok());
  EXPECT_TRUE(WriteFileAtomic(SchemaPath(in.schema.uri),
                              "feature { name: \"x\" type: FLOAT shape { dim { size: 1 } } }\n"
                              "feature { name: \"color\" type: BYTES }\n")
                  .ok());
  return in;
}

UserModule Module() {
  UserModule m;
  m.name = "test_module";
  m.fingerprint = "f1";
  m.preprocessing_fn = [](const transform::Inputs& in, transform::Outputs* out) {
    (*out)["x_xf"] = transform::ScaleTo01(in["x"]);
    (*out)["color_xf"] = transform::ComputeAndApplyVocabulary(in["color"]);
    return Status::OK();
  };
  return m;
}

pipeline::Channel ExamplesChannel() { return {"ImportExampleGen", "examples", "Examples"}; }
pipeline::Channel SchemaChannel() { return {"SchemaGen", "schema", "Schema"}; }

TEST(TransformComponentTest, AnalyzesTrainAndTransformsEverySplit) {
  const std::string root = FreshTempDir("transform_component");
  auto component =
      Transform({.examples = ExamplesChannel(), .schema = SchemaChannel(), .module = Module()});
  ASSERT_TRUE(component.ok()) << component.status().message();
  EXPECT_EQ(component->code_fingerprint, "f1");
  ExecutorHarness harness(*component, root);
  Inputs in = WriteInputs(root);
  harness.inputs["examples"].push_back(in.examples);
  harness.inputs["schema"].push_back(in.schema);
  Status st = harness.Run(*component);
  ASSERT_TRUE(st.ok()) << st.message();

  const pipeline::Artifact& transformed = harness.output("transformed_examples");
  EXPECT_EQ(std::get<std::string>(transformed.properties.at("split_names")),
            "[\"train\",\"eval\"]");
  EXPECT_EQ(std::get<int64_t>(transformed.custom_properties.at("num_examples_eval")), 2);
  // Analyzed on train only (min 0, max 8): eval's 100 maps far above 1.
  auto files = data::SplitFiles(transformed.uri, "eval");
  ASSERT_TRUE(files.ok());
  EXPECT_NE((*files)[0].find("/Split-eval/transformed_examples-00000-of-00001.gz"),
            std::string::npos);
  auto table =
      data::ReadExamples(*files, {{"x_xf", DType::kFloat32, 1}, {"color_xf", DType::kInt64, 1}});
  ASSERT_TRUE(table.ok()) << table.status().message();
  EXPECT_FLOAT_EQ((*table->Column("x_xf"))->data<float>()[0], 100.0f / 8);
  // Train has 5 "blue" (even) and 4 "red": blue is entry 0.
  EXPECT_EQ((*table->Column("color_xf"))->data<int64_t>()[0], 0);
  EXPECT_EQ((*table->Column("color_xf"))->data<int64_t>()[1], 1);

  auto tft = transform::TFTransformOutput::Read(harness.output("transform_graph").uri);
  ASSERT_TRUE(tft.ok()) << tft.status().message();
  EXPECT_EQ(tft->raw_schema().feature_size(), 2);
  EXPECT_EQ(tft->transformed_schema().feature_size(), 2);
}

TEST(TransformComponentTest, RefusesBadConfigurationWithClearErrors) {
  UserModule no_fn = Module();
  no_fn.preprocessing_fn = nullptr;
  auto missing =
      Transform({.examples = ExamplesChannel(), .schema = SchemaChannel(), .module = no_fn});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("defines no preprocessing_fn"), std::string::npos);
  auto wrong_type =
      Transform({.examples = ExamplesChannel(), .schema = ExamplesChannel(), .module = Module()});
  EXPECT_FALSE(wrong_type.ok());

  const std::string root = FreshTempDir("transform_component_bad");
  auto component = Transform({.examples = ExamplesChannel(),
                              .schema = SchemaChannel(),
                              .module = Module(),
                              .analyze_splits = {"test"}});
  ASSERT_TRUE(component.ok());
  ExecutorHarness harness(*component, root);
  Inputs in = WriteInputs(root);
  harness.inputs["examples"].push_back(in.examples);
  harness.inputs["schema"].push_back(in.schema);
  Status st = harness.Run(*component);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("analyze split 'test'"), std::string::npos) << st.message();

  // A preprocessing_fn reading a feature the schema lacks names module and feature.
  UserModule typo = Module();
  typo.preprocessing_fn = [](const transform::Inputs& in, transform::Outputs* out) {
    (*out)["y"] = transform::ScaleTo01(in["colour"]);
    return Status::OK();
  };
  auto typo_component =
      Transform({.examples = ExamplesChannel(), .schema = SchemaChannel(), .module = typo});
  ASSERT_TRUE(typo_component.ok());
  ExecutorHarness harness2(*typo_component, JoinPath(root, "2"));
  harness2.inputs = harness.inputs;
  st = harness2.Run(*typo_component);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("test_module"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("'colour'"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace edgepipe::components
