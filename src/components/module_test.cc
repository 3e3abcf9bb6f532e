#include "src/components/module.h"

#include <gtest/gtest.h>

#include "src/components/component_test_util.h"
#include "src/components/trainer.h"
#include "src/components/transform.h"
#include "src/core/sha256.h"

namespace edgepipe::components {
namespace {

std::string ModulePath(const std::string& variant) {
  return std::string(EDGEPIPE_TEST_MODULE_DIR) + "/libtest_module_" + variant + ".so";
}

TEST(ModuleFileTest, LoadsRunFnAndPreprocessingFnAndFingerprintsTheBytes) {
  auto loaded = LoadModuleFile(ModulePath("good"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->module.name, "test_module_good");
  EXPECT_EQ(loaded->module.fingerprint, "sha256:" + *Sha256FileHex(ModulePath("good")));
  ASSERT_TRUE(loaded->module.run_fn);
  ASSERT_TRUE(loaded->module.preprocessing_fn);
  EXPECT_EQ(loaded->pipeline_fn, nullptr);

  // The module's run_fn runs in this process, on edgepipe's own code.
  const std::string dir = FreshTempDir("module_run_fn");
  FnArgs args;
  args.serving_model_dir = dir;
  args.train_steps = 12;
  ASSERT_TRUE(loaded->module.run_fn(args).ok());
  EXPECT_EQ(*ReadFile(JoinPath(dir, "model.txt")), "trained for 12 steps");

  // Loading again gives the same code.
  auto again = LoadModuleFile(ModulePath("good"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again->module.run_fn.target<Status (*)(const FnArgs&)>(),
            *loaded->module.run_fn.target<Status (*)(const FnArgs&)>());
}

// A module file declares that its run_fn trains data-parallel with the
// export macro; the Trainer then runs on every rank under the MPI runner.
TEST(ModuleFileTest, DataParallelRunFnIsDeclaredByItsExport) {
  auto good = LoadModuleFile(ModulePath("good"));
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_FALSE(good->module.data_parallel);
  auto parallel = LoadModuleFile(ModulePath("data_parallel"));
  ASSERT_TRUE(parallel.ok()) << parallel.status().ToString();
  ASSERT_TRUE(parallel->module.run_fn);
  EXPECT_TRUE(parallel->module.data_parallel);
  EXPECT_FALSE(parallel->module.preprocessing_fn);
  for (const auto& [variant, every_rank] :
       std::vector<std::pair<std::string, bool>>{{"good", false}, {"data_parallel", true}}) {
    auto trainer = Trainer({.id = "Trainer",
                            .examples = {"ExampleGen", "examples", "Examples"},
                            .module_file = ModulePath(variant)});
    ASSERT_TRUE(trainer.ok()) << trainer.status().ToString();
    EXPECT_EQ(trainer->runs_on_every_rank, every_rank) << variant;
  }
}

TEST(ModuleFileTest, PipelineFunctionIsExported) {
  auto loaded = LoadModuleFile(ModulePath("pipeline"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_NE(loaded->pipeline_fn, nullptr);
  PipelineArgs args;
  args.pipeline_root = "/somewhere";
  args.params["name"] = "mine";
  // Its own error when --data is missing.
  auto no_data = loaded->pipeline_fn(args);
  ASSERT_FALSE(no_data.ok());
  EXPECT_NE(no_data.status().message().find("needs --data"), std::string::npos);
}

TEST(ModuleFileTest, BadModulesAreErrorsNamingTheFile) {
  auto missing = LoadModuleFile("/no/such/module.so");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_NE(missing.status().message().find("/no/such/module.so"), std::string::npos);

  const std::string dir = FreshTempDir("module_bad");
  const std::string text = JoinPath(dir, "notes.so");
  ASSERT_TRUE(WriteFileAtomic(text, "not an ELF file").ok());
  auto not_elf = LoadModuleFile(text);
  ASSERT_FALSE(not_elf.ok());
  EXPECT_NE(not_elf.status().message().find(text + ": cannot load module"), std::string::npos)
      << not_elf.status().ToString();

  auto undefined = LoadModuleFile(ModulePath("undefined"));
  ASSERT_FALSE(undefined.ok());
  EXPECT_NE(undefined.status().message().find("undefined symbol"), std::string::npos)
      << undefined.status().ToString();

  auto none = LoadModuleFile(ModulePath("no_exports"));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("exports none of edgepipe_run_fn"), std::string::npos)
      << none.status().ToString();

  auto abi = LoadModuleFile(ModulePath("wrong_abi"));
  ASSERT_FALSE(abi.ok());
  EXPECT_NE(abi.status().message().find("built for module ABI 99"), std::string::npos)
      << abi.status().ToString();
  EXPECT_NE(abi.status().message().find("rebuild the module"), std::string::npos);
}

TEST(ModuleFileTest, ComponentsNamingAModuleFileUseItsBytesAsTheCacheKey) {
  const std::string dir = FreshTempDir("module_cache_key");
  // Two copies differing in one trailing byte (ELF ignores it): same code,
  // different bytes, different fingerprints -> a changed module re-runs.
  auto bytes = ReadFile(ModulePath("good"));
  ASSERT_TRUE(bytes.ok());
  const std::string a = JoinPath(dir, "liba.so"), b = JoinPath(dir, "libb.so");
  ASSERT_TRUE(WriteFileAtomic(a, *bytes).ok());
  ASSERT_TRUE(WriteFileAtomic(b, *bytes + std::string(1, '\0')).ok());
  auto trainer_a = Trainer(
      {.examples = {"ExampleGen", "examples", "Examples"}, .module_file = a, .train_steps = 1});
  auto trainer_b = Trainer(
      {.examples = {"ExampleGen", "examples", "Examples"}, .module_file = b, .train_steps = 1});
  ASSERT_TRUE(trainer_a.ok()) << trainer_a.status().ToString();
  ASSERT_TRUE(trainer_b.ok());
  EXPECT_NE(trainer_a->code_fingerprint, trainer_b->code_fingerprint);
  EXPECT_EQ(trainer_a->code_fingerprint, "sha256:" + *Sha256FileHex(a));

  auto transform = Transform({.examples = {"ExampleGen", "examples", "Examples"},
                              .schema = {"SchemaGen", "schema", "Schema"},
                              .module_file = a});
  ASSERT_TRUE(transform.ok()) << transform.status().ToString();
  EXPECT_EQ(transform->code_fingerprint, trainer_a->code_fingerprint);

  // A module without a run_fn cannot be a Trainer's.
  auto no_run_fn = Trainer({.examples = {"ExampleGen", "examples", "Examples"},
                            .module_file = ModulePath("no_exports"),
                            .train_steps = 1});
  EXPECT_FALSE(no_run_fn.ok());
}

}  // namespace
}  // namespace edgepipe::components
