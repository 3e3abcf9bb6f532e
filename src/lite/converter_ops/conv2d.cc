// Conv2D -> CONV_2D (weights [out, kh, kw, in], int8 per channel); ONNX Conv
// with W [out, in, kh, kw], wrapped in NHWC<->NCHW Transposes.
#include "src/lite/converter_ops/op_common.h"

namespace edgepipe::lite {
namespace {

class Conv2DRule : public TypedConverterOp<Conv2DOp> {
 public:
  const char* kind() const override { return "Conv2D"; }

  StatusOr<Shape> Infer(const std::string& where, const Conv2DOp& c,
                        const std::vector<Shape>& in) const override {
    return ConvShape(where, in[0], c.kernel, c.bias, c.stride_h, c.stride_w, c.dilation_h,
                     c.dilation_w, c.padding, /*depthwise=*/false);
  }

  FusedActivation* Slot(Conv2DOp& c) const override { return &c.activation; }

  bool Fold(Conv2DOp& c, const std::vector<float>& s, const std::vector<float>& t) const override {
    FoldIntoKernel(c.kernel, c.bias, s, t);
    return true;
  }

  StatusOr<Tensor> Eval(const Conv2DOp& c, const std::vector<const Tensor*>& in,
                        const Shape& out_shape) const override {
    Tensor y(DType::kFloat32, out_shape);
    ConvFloat(*in[0], y, c.kernel, c.bias, c.stride_h, c.stride_w, c.dilation_h, c.dilation_w,
              c.padding, false, c.activation);
    return y;
  }

  Status Tflite(const Conv2DOp& c, const LoweredNode& node, TfliteEmitter& e) const override {
    const std::string prefix = e.Prefix(node);
    const int in_v = node.inputs[0];
    const Tensor& k = c.kernel;
    const int64_t kh = k.dim(0), kw = k.dim(1), ci = k.dim(2), co = k.dim(3);
    // Keras [kh, kw, in, out] -> TFLite [out, kh, kw, in].
    std::vector<float> t(static_cast<size_t>(k.num_elements()));
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t i = 0; i < ci; ++i)
          for (int64_t o = 0; o < co; ++o)
            t[static_cast<size_t>(((o * kh + y) * kw + x) * ci + i)] =
                k.data<float>()[((y * kw + x) * ci + i) * co + o];
    TfliteEmitter::Weights w = e.EmitWeights(prefix + "Conv2D", Dims({co, kh, kw, ci}), t, true, 0);
    const int bias = e.EmitBias(prefix + "BiasAdd/ReadVariableOp", c.bias, in_v, w);
    const int out =
        e.Output(node.output,
                 TfliteEmitter::FusedName(prefix, "BiasAdd;" + prefix + "Conv2D", c.activation));
    schema::OperatorT& op =
        e.AddOp(schema::BuiltinOperator_CONV_2D, {e.tensor(in_v), w.tensor, bias}, {out},
                e.WeightedVersion(schema::BuiltinOperator_CONV_2D, w.int8));
    schema::Conv2DOptionsT opts;
    opts.padding = ToSchema(c.padding);
    opts.stride_h = c.stride_h;
    opts.stride_w = c.stride_w;
    opts.dilation_h_factor = c.dilation_h;
    opts.dilation_w_factor = c.dilation_w;
    opts.fused_activation_function = ToSchema(c.activation);
    op.builtin_options.Set(opts);
    return Status::OK();
  }

  Status Onnx(const Conv2DOp& c, OnnxNode& e) const override {
    // Keras [kh, kw, in, out] -> ONNX [out, in, kh, kw].
    const int64_t kh = c.kernel.dim(0), kw = c.kernel.dim(1), ci = c.kernel.dim(2),
                  co = c.kernel.dim(3);
    std::vector<float> w(static_cast<size_t>(kh * kw * ci * co));
    const float* k = c.kernel.data<float>();
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t i = 0; i < ci; ++i)
          for (int64_t o = 0; o < co; ++o)
            w[static_cast<size_t>(((o * ci + i) * kh + y) * kw + x)] =
                k[((y * kw + x) * ci + i) * co + o];
    e.ConvNode(c.name, w, {co, ci, kh, kw}, c.bias, 1, c.stride_h, c.stride_w, c.dilation_h,
               c.dilation_w, c.padding, c.activation);
    return Status::OK();
  }

  std::vector<RuntimeVersionRow> runtime_versions() const override {
    return {{schema::BuiltinOperator_CONV_2D, 1, "1.5.0"},
            {schema::BuiltinOperator_CONV_2D, 3, "1.14.0"},
            {schema::BuiltinOperator_CONV_2D, 5, "2.4.0"}};
  }
};

}  // namespace

EDGEPIPE_CONVERTER_OP(Conv2DOp, Conv2DRule)

}  // namespace edgepipe::lite
