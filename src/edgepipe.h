// edgepipe: everything a pipeline program needs, in one include.
//
// Installed as <edgepipe/edgepipe.h> (`find_package(edgepipe)`, link
// `edgepipe::edgepipe`; README "Installing the library"); inside this
// repository it is "src/edgepipe.h". A pipeline program is written as
// src/examples/mnist/pipeline.cc is: build components, wire their channels
// into a pipeline::Pipeline, run it with pipeline::LocalDagRunner::Run.
//
// The public API — what a user may rely on — is what this header declares:
//   core        Status, StatusOr<T>, RETURN_IF_ERROR / ASSIGN_OR_RETURN: the
//               one error model; Tensor and DType (model inputs, datasets)
//   pipeline    Artifact, Channel, Component, Executor, ExecutionContext,
//               Pipeline, LocalDagRunner, RunOptions, RunResult, and the
//               Resolver queries (LatestArtifact, LatestBlessedModel)
//   components  ImportExampleGen, CsvExampleGen, StatisticsGen, SchemaGen,
//               ExampleValidator, Transform, Trainer, Evaluator, Pusher
//               (TFX's, with their options structs), and the user's code:
//               FnArgs, DataAccessor, RunFn, UserModule, module files
//               (EDGEPIPE_RUN_FN, EDGEPIPE_DATA_PARALLEL_RUN_FN,
//               EDGEPIPE_PREPROCESSING_FN, EDGEPIPE_PIPELINE)
//   transform   PreprocessingFn, Inputs/Outputs and the mappers
//               (ScaleByMinMax, ScaleToZScore, Bucketize,
//               ComputeAndApplyVocabulary, ...), TFTransformOutput
//   nn          the Keras-like model API: Sequential / functional Model,
//               layers (Dense, Dropout, ReLU, Conv2D, DepthwiseConv2D,
//               pooling, BatchNormalization, Normalization, Rescaling,
//               Flatten, Reshape, Add, Concatenate, RandomTranslation, ...),
//               losses, metrics, optimizers, callbacks, SaveModel/LoadModel
//   lite        the TFLite rewriter (rewriter_factory::CreateRewriter,
//               converters::RewriteSavedModel, TFLiteRewriterOptions) and
//               representative datasets for full-integer quantization
//               (calibration.h)
// with the semantics, ownership and thread-safety each of those headers
// states. Everything else under src/ is installed too (these headers include
// it, and tools may use it, e.g. "src/io/tfrecord.h" to write tf.Examples),
// but is internal: kernels, the interpreter and converter internals, the
// metadata store's SQL, eval's extractors and writers, the CLI. Internal
// names may change in any release; so may the public API while the version
// is 0.x (edgepipeConfigVersion.cmake accepts only the same minor version).
//
// Generated protobuf classes reached through these headers (tf.Example,
// TF Metadata's Schema and statistics) are part of the file formats, not of
// the C++ API: rely on their field names, which are upstream's.
//
// Cost: protobuf's and nlohmann::json's headers come with it (pipeline.h and
// module.h need them anyway): about 5 s of CPU to parse at -O0 on the 2-core
// development machine, 1 s more than the headers of a three-component
// pipeline alone. Where that matters, include the individual headers or
// precompile this one (target_precompile_headers(app PRIVATE
// <edgepipe/edgepipe.h>)).
#ifndef EDGEPIPE_EDGEPIPE_H_
#define EDGEPIPE_EDGEPIPE_H_

// core
#include "src/core/status.h"
#include "src/core/tensor.h"

// pipeline
#include "src/pipeline/local_dag_runner.h"
#include "src/pipeline/pipeline.h"
#include "src/pipeline/resolver.h"

// components and the user's module
#include "src/components/csv_example_gen.h"
#include "src/components/evaluator.h"
#include "src/components/example_gen.h"
#include "src/components/example_validator.h"
#include "src/components/module.h"
#include "src/components/pusher.h"
#include "src/components/resolver.h"
#include "src/components/schema_gen.h"
#include "src/components/statistics_gen.h"
#include "src/components/trainer.h"
#include "src/components/transform.h"

// transform
#include "src/transform/tf_transform_output.h"
#include "src/transform/transform_graph.h"

// nn: model building, training, saving
#include "src/nn/augmentation.h"
#include "src/nn/conv.h"
#include "src/nn/model.h"
#include "src/nn/normalization.h"
#include "src/nn/pooling.h"
#include "src/nn/reshaping.h"
#include "src/nn/saving.h"

// lite: the TFLite rewriter
#include "src/lite/calibration.h"
#include "src/lite/rewriter.h"

#endif  // EDGEPIPE_EDGEPIPE_H_
