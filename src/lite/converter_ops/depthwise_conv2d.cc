// DepthwiseConv2D -> DEPTHWISE_CONV_2D (weights [1, kh, kw, C*mult], int8 per
// channel on axis 3); ONNX Conv with group = C, W [C * mult, 1, kh, kw].
#include "src/lite/converter_ops/op_common.h"

namespace edgepipe::lite {
namespace {

class DepthwiseConv2DRule : public TypedConverterOp<DepthwiseConv2DOp> {
 public:
  const char* kind() const override { return "DepthwiseConv2D"; }

  StatusOr<Shape> Infer(const std::string& where, const DepthwiseConv2DOp& c,
                        const std::vector<Shape>& in) const override {
    return ConvShape(where, in[0], c.kernel, c.bias, c.stride_h, c.stride_w, c.dilation_h,
                     c.dilation_w, c.padding, /*depthwise=*/true);
  }

  FusedActivation* Slot(DepthwiseConv2DOp& c) const override { return &c.activation; }

  bool Fold(DepthwiseConv2DOp& c, const std::vector<float>& s,
            const std::vector<float>& t) const override {
    FoldIntoKernel(c.kernel, c.bias, s, t);
    return true;
  }

  StatusOr<Tensor> Eval(const DepthwiseConv2DOp& c, const std::vector<const Tensor*>& in,
                        const Shape& out_shape) const override {
    Tensor y(DType::kFloat32, out_shape);
    ConvFloat(*in[0], y, c.kernel, c.bias, c.stride_h, c.stride_w, c.dilation_h, c.dilation_w,
              c.padding, true, c.activation);
    return y;
  }

  Status Tflite(const DepthwiseConv2DOp& c, const LoweredNode& node,
                TfliteEmitter& e) const override {
    const std::string prefix = e.Prefix(node);
    const int in_v = node.inputs[0];
    const Tensor& k = c.kernel;
    // Keras [kh, kw, C, mult] and TFLite [1, kh, kw, C*mult] share one
    // memory order (channel c*mult + m is fastest): only the shape changes.
    std::vector<float> t(k.data<float>(), k.data<float>() + k.num_elements());
    TfliteEmitter::Weights w = e.EmitWeights(
        prefix + "depthwise", Dims({1, k.dim(0), k.dim(1), k.dim(2) * k.dim(3)}), t, true, 3);
    const int bias = e.EmitBias(prefix + "BiasAdd/ReadVariableOp", c.bias, in_v, w);
    const int out =
        e.Output(node.output,
                 TfliteEmitter::FusedName(prefix, "BiasAdd;" + prefix + "depthwise", c.activation));
    int version = e.WeightedVersion(schema::BuiltinOperator_DEPTHWISE_CONV_2D, w.int8);
    if (version == 1 && (c.dilation_h != 1 || c.dilation_w != 1)) version = 2;
    schema::OperatorT& op = e.AddOp(schema::BuiltinOperator_DEPTHWISE_CONV_2D,
                                    {e.tensor(in_v), w.tensor, bias}, {out}, version);
    schema::DepthwiseConv2DOptionsT opts;
    opts.padding = ToSchema(c.padding);
    opts.stride_h = c.stride_h;
    opts.stride_w = c.stride_w;
    opts.depth_multiplier = static_cast<int32_t>(k.dim(3));
    opts.dilation_h_factor = c.dilation_h;
    opts.dilation_w_factor = c.dilation_w;
    opts.fused_activation_function = ToSchema(c.activation);
    op.builtin_options.Set(opts);
    return Status::OK();
  }

  Status Onnx(const DepthwiseConv2DOp& c, OnnxNode& e) const override {
    // Keras [kh, kw, C, mult] -> ONNX [C * mult, 1, kh, kw]; output channel
    // c * mult + m reads input channel c (group = C), as in TFLite.
    const int64_t kh = c.kernel.dim(0), kw = c.kernel.dim(1), ch = c.kernel.dim(2),
                  mult = c.kernel.dim(3);
    std::vector<float> w(static_cast<size_t>(kh * kw * ch * mult));
    const float* k = c.kernel.data<float>();
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t i = 0; i < ch; ++i)
          for (int64_t m = 0; m < mult; ++m)
            w[static_cast<size_t>(((i * mult + m) * kh + y) * kw + x)] =
                k[((y * kw + x) * ch + i) * mult + m];
    e.ConvNode(c.name, w, {ch * mult, 1, kh, kw}, c.bias, ch, c.stride_h, c.stride_w, c.dilation_h,
               c.dilation_w, c.padding, c.activation);
    return Status::OK();
  }

  std::vector<RuntimeVersionRow> runtime_versions() const override {
    return {{schema::BuiltinOperator_DEPTHWISE_CONV_2D, 1, "1.5.0"},
            {schema::BuiltinOperator_DEPTHWISE_CONV_2D, 2, "1.12.0"},
            {schema::BuiltinOperator_DEPTHWISE_CONV_2D, 3, "1.14.0"},
            {schema::BuiltinOperator_DEPTHWISE_CONV_2D, 6, "2.3.0"}};
  }
};

}  // namespace

EDGEPIPE_CONVERTER_OP(DepthwiseConv2DOp, DepthwiseConv2DRule)

}  // namespace edgepipe::lite
