// The exported ModelProto's structure (opset, inputs, outputs, nodes, weight
// layout) and the exporter's errors. Numerics against onnxruntime, our
// interpreter and nn::Model::Predict: tests/interop/onnx_interop_test.cc.
#include "src/onnx/onnx_export.h"

#include <gtest/gtest.h>

#include <memory>
#include <span>
#include <string>

#include "src/core/files.h"
#include "src/nn/conv.h"
#include "src/nn/dense.h"
#include "src/nn/model.h"
#include "src/nn/reshaping.h"
#include "src/onnx/proto/onnx.pb.h"

namespace edgepipe::onnx {
namespace {

::onnx::ModelProto Parse(const std::string& bytes) {
  ::onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

std::vector<std::string> OpTypes(const ::onnx::GraphProto& g) {
  std::vector<std::string> ops;
  for (const auto& n : g.node()) ops.push_back(n.op_type());
  return ops;
}

TEST(OnnxExportTest, DenseModelHeaderInputsOutputsAndNodes) {
  nn::Sequential model("mnist");
  ASSERT_TRUE(model
                  .Add(std::make_unique<nn::Dense>(
                      nn::DenseOptions{.units = 8, .activation = nn::Activation::kRelu}))
                  .ok());
  ASSERT_TRUE(model.Add(std::make_unique<nn::Dense>(3)).ok());
  model.set_input_name("image_floats");
  ASSERT_TRUE(model.Build(Shape{5}, 1).ok());
  auto bytes = ExportModelToOnnx(model);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  const ::onnx::ModelProto m = Parse(*bytes);
  EXPECT_EQ(m.ir_version(), 7);
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).domain(), "");
  EXPECT_EQ(m.opset_import(0).version(), 13);
  EXPECT_EQ(m.producer_name(), "edgepipe");
  const ::onnx::GraphProto& g = m.graph();
  ASSERT_EQ(g.input_size(), 1);
  EXPECT_EQ(g.input(0).name(), "image_floats");
  const auto& in = g.input(0).type().tensor_type();
  EXPECT_EQ(in.elem_type(), ::onnx::TensorProto::FLOAT);
  ASSERT_EQ(in.shape().dim_size(), 2);
  EXPECT_EQ(in.shape().dim(0).dim_param(), "batch");
  EXPECT_EQ(in.shape().dim(1).dim_value(), 5);
  ASSERT_EQ(g.output_size(), 1);
  EXPECT_EQ(g.output(0).name(), "output_0");
  EXPECT_EQ(g.output(0).type().tensor_type().shape().dim(1).dim_value(), 3);
  EXPECT_EQ(OpTypes(g), (std::vector<std::string>{"Gemm", "Relu", "Gemm", "Identity"}));
  // Gemm's B is the Keras kernel [in, units], bytes as in the model.
  const ::onnx::TensorProto& kernel = g.initializer(0);
  EXPECT_EQ(kernel.dims_size(), 2);
  EXPECT_EQ(kernel.dims(0), 5);
  EXPECT_EQ(kernel.dims(1), 8);
  EXPECT_EQ(kernel.raw_data().size(), 5u * 8u * sizeof(float));
}

TEST(OnnxExportTest, ConvWeightsAreOihwAndSamePaddingIsExplicit) {
  nn::Sequential model("cnn");
  ASSERT_TRUE(model
                  .Add(std::make_unique<nn::Conv2D>(nn::Conv2DOptions{
                      .filters = 4, .kernel_size = {3, 2}, .strides = {2, 2}, .padding = "same"}))
                  .ok());
  ASSERT_TRUE(model.Build(Shape{6, 5, 2}, 3).ok());
  auto bytes = ExportModelToOnnx(model);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  const ::onnx::GraphProto g = Parse(*bytes).graph();
  EXPECT_EQ(OpTypes(g), (std::vector<std::string>{"Transpose", "Conv", "Transpose", "Identity"}));
  const ::onnx::NodeProto& conv = g.node(1);
  for (const auto& a : conv.attribute()) {
    // H: in 6, out 3, k 3, s 2 -> total 1: {0, 1}; W: in 5, out 3, k 2 -> total 1: {0, 1}.
    if (a.name() == "pads") {
      EXPECT_EQ(std::vector<int64_t>(a.ints().begin(), a.ints().end()),
                (std::vector<int64_t>{0, 0, 1, 1}));
    }
    if (a.name() == "group") {
      EXPECT_EQ(a.i(), 1);
    }
  }
  const ::onnx::TensorProto* w = nullptr;
  for (const auto& t : g.initializer())
    if (t.name() == conv.input(1)) w = &t;
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(w->dims_size(), 4);
  EXPECT_EQ(w->dims(0), 4);  // out
  EXPECT_EQ(w->dims(1), 2);  // in
  EXPECT_EQ(w->dims(2), 3);  // kh
  EXPECT_EQ(w->dims(3), 2);  // kw
  // W[o][i][y][x] = kernel[y][x][i][o]: o=3, i=1, y=2, x=1.
  const nn::Layer& layer = *model.layers()[0];
  const float* k = layer.Weights()[0].data;
  const float* wf = reinterpret_cast<const float*>(w->raw_data().data());
  EXPECT_EQ(wf[((3 * 2 + 1) * 3 + 2) * 2 + 1], k[((2 * 2 + 1) * 2 + 1) * 4 + 3]);
}

// A user's own layer: trains and predicts, but has no ONNX (nor TFLite) op.
class Cube : public nn::Layer {
 public:
  Cube() : Layer("cube_1") {}
  std::string class_name() const override { return "Cube"; }
  std::string default_name_prefix() const override { return "cube"; }
  void Forward(float* out, std::span<const float* const> in, const nn::LayerContext& ctx) override {
    for (int64_t i = 0; i < ctx.batch * NumElements(input_shape()); ++i) {
      out[i] = in[0][i] * in[0][i] * in[0][i];
    }
  }
  void Backward(std::span<float* const>, float*, std::span<const float* const>, const float*,
                const nn::LayerContext&) override {}

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& in) override { return in[0]; }
};

TEST(OnnxExportTest, UnsupportedLayerIsAnErrorNamingTheLayerAndClass) {
  nn::Sequential model("m");
  ASSERT_TRUE(model.Add(std::make_unique<nn::Dense>(3)).ok());
  ASSERT_TRUE(model.Add(std::make_unique<Cube>()).ok());
  ASSERT_TRUE(model.Build(Shape{4}, 1).ok());
  auto bytes = ExportModelToOnnx(model);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), Status::Code::kUnimplemented);
  EXPECT_NE(bytes.status().message().find("onnx export"), std::string::npos);
  EXPECT_NE(bytes.status().message().find("'cube_1' (Cube)"), std::string::npos)
      << bytes.status().message();
}

TEST(OnnxExportTest, MissingModelDirIsAnErrorAndWritesNothing) {
  const std::string out = ::testing::TempDir() + "/onnx_export_missing.onnx";
  auto bytes = ExportSavedModelToOnnx("/nonexistent/edgepipe-model", out);
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(bytes.status().message().find("/nonexistent/edgepipe-model"), std::string::npos)
      << bytes.status().message();
  EXPECT_FALSE(PathExists(out));
}

}  // namespace
}  // namespace edgepipe::onnx
