// TFX's model validation across runs: Resolver (latest blessed model) ->
// Evaluator(baseline_model) -> Pusher. Run 1 has no baseline and is
// rubber-stamped; run 2's worse model fails the change threshold and is not
// pushed; run 3 brings back the good model, judged against the blessed one.
// The data and the "trainer" are tiny and made here; the Resolver,
// Evaluator, Pusher and runner are the real ones.
#include <gtest/gtest.h>

#include <random>

#include "src/components/evaluator.h"
#include "src/components/pusher.h"
#include "src/components/resolver.h"
#include "src/core/files.h"
#include "src/eval/output.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"
#include "src/lite/converter.h"
#include "src/lite/rewriter.h"
#include "src/metadata/metadata_store.h"
#include "src/nn/dense.h"
#include "src/nn/model.h"
#include "src/nn/saving.h"
#include "src/pipeline/local_dag_runner.h"
#include "tests/support/temp_dir.h"

namespace edgepipe::components {
namespace {

// 200 examples: x in [0, 1)^2, y = 1 when x0 > x1.
pipeline::Component DataGen() {
  pipeline::Component c;
  c.id = "ExampleGen";
  c.type = "TestExampleGen";
  c.outputs = {{"examples", "Examples"}};
  c.executor = [](pipeline::ExecutionContext& ctx) -> Status {
    ASSIGN_OR_RETURN(pipeline::Artifact * out, ctx.SingleOutput("examples"));
    RETURN_IF_ERROR(CreateDirectories(JoinPath(out->uri, "Split-eval")));
    ASSIGN_OR_RETURN(
        auto writer,
        io::TFRecordWriter::Open(JoinPath(out->uri, "Split-eval/data_tfrecord-00000-of-00001.gz"),
                                 io::Compression::kGzip));
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(0, 1);
    for (int i = 0; i < 200; ++i) {
      const float a = u(rng), b = u(rng);
      tensorflow::Example e;
      io::SetFloatFeature("x", {a, b}, &e);
      io::SetInt64Feature("y", {a > b ? 1 : 0}, &e);
      RETURN_IF_ERROR(writer->Write(io::SerializeDeterministic(e)));
    }
    out->properties["split_names"] = "[\"eval\"]";
    return writer->Close();
  };
  return c;
}

// A "trained" model: logits = x . [[-s, s], [s, -s]], so class 1 wins when
// s * (x0 - x1) > 0: s = 1 is always right, s = -1 always wrong.
pipeline::Component Trainer(int sign, bool lite = false) {
  pipeline::Component c;
  c.id = "Trainer";
  c.type = "TestTrainer";
  c.inputs = {{"examples", {"ExampleGen", "examples", "Examples"}}};
  c.outputs = {{"model", "Model"}};
  c.exec_properties = {{"sign", sign}, {"lite", lite}};
  c.executor = [sign, lite](pipeline::ExecutionContext& ctx) -> Status {
    ASSIGN_OR_RETURN(pipeline::Artifact * out, ctx.SingleOutput("model"));
    nn::Sequential model;
    nn::DenseOptions options;
    options.units = 2;
    options.use_bias = false;
    RETURN_IF_ERROR(model.Add(std::make_unique<nn::Dense>(options)));
    RETURN_IF_ERROR(model.Build(2, 1));
    model.set_input_name("x");
    float* kernel = model.layers()[0]->Weights().at(0).data;
    const float s = static_cast<float>(sign);
    kernel[0] = -s;  // (in 0, unit 0)
    kernel[1] = s;   // (in 0, unit 1)
    kernel[2] = s;   // (in 1, unit 0)
    kernel[3] = -s;  // (in 1, unit 1)
    RETURN_IF_ERROR(nn::SaveModel(model, JoinPath(out->uri, "Format-Serving")));
    if (!lite) return Status::OK();
    ASSIGN_OR_RETURN(std::string tflite, lite::ConvertSequential(model));
    return WriteFileAtomic(JoinPath(out->uri, "Format-Serving/tflite"), tflite);
  };
  return c;
}

// A lite Trainer as the MNIST lite run_fn does it: the full model kept in
// Format-TFMA, the .tflite written from it by the real TFLite rewriter, with
// the test-only weight noise making the conversion unfaithful when asked.
pipeline::Component LiteTrainer(float noise) {
  pipeline::Component c = Trainer(1);
  c.exec_properties["noise"] = static_cast<double>(noise);
  auto full_trainer = c.executor;
  c.executor = [full_trainer, noise](pipeline::ExecutionContext& ctx) -> Status {
    RETURN_IF_ERROR(full_trainer(ctx));
    ASSIGN_OR_RETURN(pipeline::Artifact * out, ctx.SingleOutput("model"));
    const std::string serving = JoinPath(out->uri, "Format-Serving");
    const std::string source = JoinPath(out->uri, "Format-TFMA");
    RETURN_IF_ERROR(RenamePath(serving, source));
    lite::TFLiteRewriterOptions options{.name = "tflite_rewriter"};
    options.test_only_weight_noise = noise;
    ASSIGN_OR_RETURN(auto rewriter, lite::rewriter_factory::CreateRewriter(
                                        lite::RewriterType::kTFLiteRewriter, options));
    return lite::converters::RewriteSavedModel(source, serving, *rewriter,
                                               lite::ModelType::kTFLiteModel);
  };
  return c;
}

constexpr char kEvalConfig[] = R"pb(
  model_specs { label_key: "y" }
  metrics_specs {
    metrics {
      class_name: "SparseCategoricalAccuracy"
      threshold {
        value_threshold { lower_bound { value: 0.0 } }
        change_threshold {
          direction: HIGHER_IS_BETTER
          absolute { value: -1e-10 }
        }
      }
    }
  }
)pb";

class BaselinePipelineTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = edgepipe::testing::FreshTempDir("evaluator_baseline"); }

  pipeline::Pipeline Make(int sign) {
    pipeline::Pipeline p;
    p.name = "baseline_test";
    p.pipeline_root = JoinPath(dir_, "root");
    p.metadata_path = JoinPath(dir_, "metadata.sqlite");
    pipeline::Component gen = DataGen();
    pipeline::Component trainer = Trainer(sign);
    auto resolver = Resolver({});
    EXPECT_TRUE(resolver.ok());
    auto evaluator = Evaluator({.examples = gen.output("examples"),
                                .model = trainer.output("model"),
                                .eval_config_text = kEvalConfig,
                                .baseline_model = resolver->output("model")});
    EXPECT_TRUE(evaluator.ok()) << evaluator.status().message();
    pipeline::Component pusher = Pusher({.model = trainer.output("model"),
                                         .model_blessing = evaluator->output("blessing"),
                                         .base_directory = JoinPath(dir_, "serving")});
    p.components = {*resolver, gen, trainer, *evaluator, pusher};
    return p;
  }

  pipeline::RunResult Run(int sign) {
    auto r = pipeline::LocalDagRunner::Run(Make(sign), {.log = nullptr});
    EXPECT_TRUE(r.ok()) << r.status().message();
    EXPECT_TRUE(r->status().ok()) << r->status().message();
    return *r;
  }

  static const pipeline::Artifact& Out(const pipeline::RunResult& r, const std::string& node,
                                       const std::string& key) {
    return r.node(node)->outputs.at(key).at(0);
  }

  std::string dir_;
};

TEST_F(BaselinePipelineTest, FirstRunIsStampedWorseModelRefusedBetterOneJudgedAgainstBaseline) {
  // Run 1: nothing blessed yet, so no baseline: the change threshold is
  // rubber-stamped, the model blessed and pushed.
  pipeline::RunResult first = Run(1);
  EXPECT_TRUE(first.node("latest_blessed_model_resolver")->outputs.at("model").empty());
  const pipeline::Artifact& blessing1 = Out(first, "Evaluator", "blessing");
  EXPECT_EQ(std::get<int64_t>(blessing1.custom_properties.at("blessed")), 1);
  EXPECT_EQ(blessing1.custom_properties.count("baseline_model_id"), 0u);
  auto eval1 = eval::LoadEvalResult(Out(first, "Evaluator", "evaluation").uri);
  ASSERT_TRUE(eval1.ok()) << eval1.status().message();
  EXPECT_TRUE(eval1->validation.rubber_stamp());
  EXPECT_TRUE(PathExists(JoinPath(Out(first, "Evaluator", "blessing").uri, "BLESSED")));
  EXPECT_EQ(std::get<int64_t>(Out(first, "Pusher", "pushed_model").custom_properties.at("pushed")),
            1);
  const int64_t good_model = Out(first, "Trainer", "model").id;

  // Run 2: a worse model. The resolver finds run 1's; accuracy drops by 1.
  pipeline::RunResult second = Run(-1);
  ASSERT_EQ(second.node("latest_blessed_model_resolver")->outputs.at("model").size(), 1u);
  EXPECT_EQ(Out(second, "latest_blessed_model_resolver", "model").id, good_model);
  const pipeline::Artifact& blessing2 = Out(second, "Evaluator", "blessing");
  EXPECT_EQ(std::get<int64_t>(blessing2.custom_properties.at("blessed")), 0);
  EXPECT_EQ(std::get<int64_t>(blessing2.custom_properties.at("baseline_model_id")), good_model);
  EXPECT_TRUE(PathExists(JoinPath(blessing2.uri, "NOT_BLESSED")));
  auto eval2 = eval::LoadEvalResult(Out(second, "Evaluator", "evaluation").uri);
  ASSERT_TRUE(eval2.ok()) << eval2.status().message();
  EXPECT_FALSE(eval2->validation.validation_ok());
  EXPECT_FALSE(eval2->validation.rubber_stamp());
  // Candidate 0, baseline 1, diff -1 in the overall slice.
  std::map<std::string, double> overall;
  for (const auto& kv : eval2->metrics.at(0).metric_keys_and_values()) {
    if (kv.key().name() != "sparse_categorical_accuracy") continue;
    overall[kv.key().model_name() + (kv.key().is_diff() ? "/diff" : "")] =
        kv.value().double_value().value();
  }
  EXPECT_EQ(overall, (std::map<std::string, double>{
                         {"baseline", 1.0}, {"candidate", 0.0}, {"candidate/diff", -1.0}}));
  EXPECT_EQ(std::get<int64_t>(Out(second, "Pusher", "pushed_model").custom_properties.at("pushed")),
            0);

  // Run 3: the good model again (its Trainer is cached: the same artifact),
  // judged against itself, the latest blessed model: no change, blessed.
  pipeline::RunResult third = Run(1);
  EXPECT_EQ(third.node("Trainer")->outcome, pipeline::NodeResult::Outcome::kCached);
  EXPECT_EQ(Out(third, "latest_blessed_model_resolver", "model").id, good_model);
  const pipeline::Artifact& blessing3 = Out(third, "Evaluator", "blessing");
  EXPECT_EQ(std::get<int64_t>(blessing3.custom_properties.at("blessed")), 1);
  EXPECT_EQ(std::get<int64_t>(blessing3.custom_properties.at("current_model_id")), good_model);
  EXPECT_EQ(std::get<int64_t>(blessing3.custom_properties.at("baseline_model_id")), good_model);

  // The store records the three verdicts: blessed, refused, blessed.
  auto store = metadata::MetadataStore::Open(JoinPath(dir_, "metadata.sqlite"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto blessings = (*store)->GetArtifactsByType("ModelBlessing");
  ASSERT_TRUE(blessings.ok()) << blessings.status().message();
  std::vector<int64_t> verdicts;
  for (const auto& b : *blessings) {
    verdicts.push_back(std::get<int64_t>(b.custom_properties.at("blessed")));
  }
  EXPECT_EQ(verdicts, (std::vector<int64_t>{1, 0, 1}));
}

// On-device cost as a gate: the same accurate .tflite is blessed under a
// generous size limit and refused under a tight one.
TEST_F(BaselinePipelineTest, ALiteModelTooBigForItsDeviceIsNotBlessed) {
  for (double limit : {1e9, 100.0}) {
    SCOPED_TRACE("limit " + std::to_string(limit));
    pipeline::Pipeline p;
    p.name = "device_cost_test_" + std::to_string(static_cast<int64_t>(limit));
    p.pipeline_root = JoinPath(dir_, "root");
    p.metadata_path = JoinPath(dir_, "metadata.sqlite");
    pipeline::Component gen = DataGen();
    pipeline::Component trainer = Trainer(1, /*lite=*/true);
    const std::string config =
        R"pb(
          model_specs { label_key: "y" model_type: "tf_lite" }
          metrics_specs { metrics { class_name: "SparseCategoricalAccuracy" }
                          metrics { class_name: "MACs" }
                          metrics { class_name: "ModelSizeBytes"
                                    threshold { value_threshold { upper_bound { value:)pb" +
        std::to_string(limit) + R"pb(}
                                     } }
        }
      }
    )pb";
    auto evaluator = Evaluator({.examples = gen.output("examples"),
                                .model = trainer.output("model"),
                                .eval_config_text = config});
    ASSERT_TRUE(evaluator.ok()) << evaluator.status().message();
    p.components = {gen, trainer, *evaluator};
    auto r = pipeline::LocalDagRunner::Run(p, {.log = nullptr});
    ASSERT_TRUE(r.ok() && r->status().ok());
    const pipeline::Artifact& blessing = Out(*r, "Evaluator", "blessing");
    EXPECT_EQ(std::get<int64_t>(blessing.custom_properties.at("blessed")), limit > 1e6 ? 1 : 0);
    auto result = eval::LoadEvalResult(Out(*r, "Evaluator", "evaluation").uri);
    ASSERT_TRUE(result.ok()) << result.status().message();
    std::map<std::string, double> overall;
    for (const auto& kv : result->metrics.at(0).metric_keys_and_values()) {
      overall[kv.key().name()] = kv.value().double_value().value();
    }
    EXPECT_EQ(overall["sparse_categorical_accuracy"], 1.0);
    EXPECT_EQ(overall["macs"], 4.0);  // 2 inputs x 2 units, no bias
    auto tflite = ReadFile(JoinPath(Out(*r, "Trainer", "model").uri, "Format-Serving/tflite"));
    ASSERT_TRUE(tflite.ok());
    EXPECT_EQ(overall["model_size_bytes"], static_cast<double>(tflite->size()));
  }
}

}  // namespace
}  // namespace edgepipe::components

namespace edgepipe::components {
namespace {

// Conversion fidelity as a gate: a faithful .tflite is blessed and pushed; one
// whose conversion was corrupted (the rewriter's test-only weight noise) is
// refused by PredictionAgreement against the model it was converted from,
// and not pushed. The store records both blessings.
TEST_F(BaselinePipelineTest, ACorruptedConversionFailsTheFidelityGate) {
  constexpr char kLiteConfig[] = R"pb(
    model_specs { name: "lite" label_key: "y" model_type: "tf_lite" }
    model_specs { name: "full" label_key: "y" }
    metrics_specs {
      metrics { class_name: "SparseCategoricalAccuracy" }
      metrics {
        class_name: "PredictionAgreement"
        threshold { value_threshold { lower_bound { value: 0.99 } } }
      }
      metrics {
        class_name: "MaxAbsOutputDifference"
        threshold { value_threshold { upper_bound { value: 1e-4 } } }
      }
    }
  )pb";
  std::map<int64_t, int64_t> blessed_by_model;  // model artifact id -> blessed
  for (float noise : {0.0f, 2.0f}) {
    SCOPED_TRACE("noise " + std::to_string(noise));
    pipeline::Pipeline p;
    p.name = "fidelity_test";
    p.pipeline_root = JoinPath(dir_, "root");
    p.metadata_path = JoinPath(dir_, "metadata.sqlite");
    pipeline::Component gen = DataGen();
    pipeline::Component trainer = LiteTrainer(noise);
    auto evaluator = Evaluator({.examples = gen.output("examples"),
                                .model = trainer.output("model"),
                                .eval_config_text = kLiteConfig});
    ASSERT_TRUE(evaluator.ok()) << evaluator.status().message();
    pipeline::Component pusher = Pusher({.model = trainer.output("model"),
                                         .model_blessing = evaluator->output("blessing"),
                                         .base_directory = JoinPath(dir_, "serving")});
    p.components = {gen, trainer, *evaluator, pusher};
    auto r = pipeline::LocalDagRunner::Run(p, {.log = nullptr});
    ASSERT_TRUE(r.ok() && r->status().ok()) << (r.ok() ? r->status() : r.status()).message();
    const bool faithful = noise == 0.0f;
    const pipeline::Artifact& blessing = Out(*r, "Evaluator", "blessing");
    EXPECT_EQ(std::get<int64_t>(blessing.custom_properties.at("blessed")), faithful ? 1 : 0);
    EXPECT_EQ(std::get<int64_t>(Out(*r, "Pusher", "pushed_model").custom_properties.at("pushed")),
              faithful ? 1 : 0);
    blessed_by_model[Out(*r, "Trainer", "model").id] = faithful ? 1 : 0;

    auto result = eval::LoadEvalResult(Out(*r, "Evaluator", "evaluation").uri);
    ASSERT_TRUE(result.ok()) << result.status().message();
    double agreement = -1, max_diff = -1, full_accuracy = -1;
    for (const auto& kv : result->metrics.at(0).metric_keys_and_values()) {
      if (kv.key().name() == "prediction_agreement") agreement = kv.value().double_value().value();
      if (kv.key().name() == "max_abs_output_difference") {
        max_diff = kv.value().double_value().value();
      }
      if (kv.key().name() == "sparse_categorical_accuracy" && kv.key().model_name() == "full") {
        full_accuracy = kv.value().double_value().value();
      }
    }
    EXPECT_EQ(full_accuracy, 1.0);  // the source model is right on every example
    if (faithful) {
      EXPECT_EQ(agreement, 1.0);
      EXPECT_LT(max_diff, 1e-5);
      EXPECT_EQ(result->num_disagreements, 0);
    } else {
      EXPECT_LT(agreement, 0.99);
      EXPECT_GT(result->num_disagreements, 0);
      ASSERT_FALSE(result->disagreements.empty());
      // The failure names the gate.
      ASSERT_EQ(result->validation.metric_validations_per_slice_size(), 1);
      bool named = false;
      for (const auto& f : result->validation.metric_validations_per_slice(0).failures()) {
        named = named || f.metric_key().name() == "prediction_agreement";
      }
      EXPECT_TRUE(named);
    }
    // The comparison page is written beside TFMA's files.
    EXPECT_TRUE(PathExists(JoinPath(Out(*r, "Evaluator", "evaluation").uri, "comparison.html")));
  }
  // The store holds both blessings, each naming the model it judged.
  auto store = metadata::MetadataStore::Open(JoinPath(dir_, "metadata.sqlite"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto blessings = (*store)->GetArtifactsByType("ModelBlessing");
  ASSERT_TRUE(blessings.ok()) << blessings.status().message();
  std::map<int64_t, int64_t> recorded;
  for (const auto& b : *blessings) {
    recorded[std::get<int64_t>(b.custom_properties.at("current_model_id"))] =
        std::get<int64_t>(b.custom_properties.at("blessed"));
  }
  EXPECT_EQ(recorded, blessed_by_model);
}

}  // namespace
}  // namespace edgepipe::components
