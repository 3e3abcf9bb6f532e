// Pool2D -> MAX_POOL_2D / AVERAGE_POOL_2D (int8: the output keeps the input's
// scale and zero point, as TFLite requires); ONNX MaxPool / AveragePool
// (count_include_pad = 0: TF divides by the in-bounds count) in NCHW.
#include <algorithm>
#include <cmath>

#include "src/lite/converter_ops/op_common.h"

namespace edgepipe::lite {
namespace {

class Pool2DRule : public TypedConverterOp<Pool2DOp> {
 public:
  const char* kind() const override { return "Pool2D"; }

  StatusOr<Shape> Infer(const std::string& where, const Pool2DOp& p,
                        const std::vector<Shape>& in) const override {
    const Shape& x = in[0];
    RETURN_IF_ERROR(CheckSpatial(where, p.stride_h, p.stride_w, 1, 1));
    if (x.size() != 4 || p.filter_h < 1 || p.filter_w < 1) {
      return Status::InvalidArgument(where + ": input is " + ShapeToString(x) +
                                     ", expected NHWC and a filter >= 1");
    }
    Shape out{x[0], WindowOut(x[1], p.filter_h, p.stride_h, 1, p.padding),
              WindowOut(x[2], p.filter_w, p.stride_w, 1, p.padding), x[3]};
    if (out[1] <= 0 || out[2] <= 0) {
      return Status::InvalidArgument(where + ": pool window larger than the input " +
                                     ShapeToString(x));
    }
    return out;
  }

  StatusOr<Tensor> Eval(const Pool2DOp& p, const std::vector<const Tensor*>& in,
                        const Shape& out_shape) const override {
    const Tensor& x = *in[0];
    Tensor y(DType::kFloat32, out_shape);
    const float* px = x.data<float>();
    float* py = y.data<float>();
    const int64_t B = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
    const int64_t OH = y.dim(1), OW = y.dim(2);
    const int64_t ph = PadBefore(H, OH, p.filter_h, p.stride_h, 1, p.padding);
    const int64_t pw = PadBefore(W, OW, p.filter_w, p.stride_w, 1, p.padding);
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t oy = 0; oy < OH; ++oy) {
        for (int64_t ox = 0; ox < OW; ++ox) {
          for (int64_t c = 0; c < C; ++c) {
            double acc = p.kind == PoolKind::kMax ? -INFINITY : 0.0;
            int64_t count = 0;
            for (int64_t ky = 0; ky < p.filter_h; ++ky) {
              const int64_t iy = oy * p.stride_h - ph + ky;
              if (iy < 0 || iy >= H) continue;
              for (int64_t kx = 0; kx < p.filter_w; ++kx) {
                const int64_t ix = ox * p.stride_w - pw + kx;
                if (ix < 0 || ix >= W) continue;
                const double v = px[((b * H + iy) * W + ix) * C + c];
                acc = p.kind == PoolKind::kMax ? std::max(acc, v) : acc + v;
                ++count;
              }
            }
            // Average pooling divides by the in-bounds count (TFLite's rule).
            if (p.kind == PoolKind::kAverage)
              acc /= static_cast<double>(std::max<int64_t>(count, 1));
            py[((b * OH + oy) * OW + ox) * C + c] = static_cast<float>(acc);
          }
        }
      }
    }
    return y;
  }

  Status Tflite(const Pool2DOp& p, const LoweredNode& node, TfliteEmitter& e) const override {
    const std::string prefix = e.Prefix(node);
    const int in_v = node.inputs[0];
    const bool max = p.kind == PoolKind::kMax;
    // int8 pooling keeps the input's scale and zero point (TFLite requires it).
    const int out = e.Output(node.output, prefix + (max ? "MaxPool" : "AvgPool"),
                             e.full() ? std::optional<QuantParams>(e.params(in_v)) : std::nullopt);
    schema::OperatorT& op =
        e.AddOp(max ? schema::BuiltinOperator_MAX_POOL_2D : schema::BuiltinOperator_AVERAGE_POOL_2D,
                {e.tensor(in_v)}, {out}, e.SimpleVersion());
    schema::Pool2DOptionsT opts;
    opts.padding = ToSchema(p.padding);
    opts.stride_h = p.stride_h;
    opts.stride_w = p.stride_w;
    opts.filter_height = p.filter_h;
    opts.filter_width = p.filter_w;
    op.builtin_options.Set(opts);
    return Status::OK();
  }

  Status Onnx(const Pool2DOp& p, OnnxNode& e) const override {
    const Shape& x = e.InShape(0);
    const Shape& y = e.OutShape();
    const auto ph = WindowPadding(x[1], y[1], p.filter_h, p.stride_h, 1, p.padding);
    const auto pw = WindowPadding(x[2], y[2], p.filter_w, p.stride_w, 1, p.padding);
    const std::string nchw = e.ToNchw(p.name);
    e.w.Node(p.kind == PoolKind::kMax ? "MaxPool" : "AveragePool", {nchw}, p.name + "/nchw_out",
             p.name);
    e.w.IntsAttr("kernel_shape", {p.filter_h, p.filter_w});
    e.w.IntsAttr("strides", {p.stride_h, p.stride_w});
    e.w.IntsAttr("pads", {ph[0], pw[0], ph[1], pw[1]});
    if (p.kind == PoolKind::kAverage) e.w.IntAttr("count_include_pad", 0);
    e.ToNhwc(p.name + "/nchw_out", e.out, p.name);
    return Status::OK();
  }

  std::vector<RuntimeVersionRow> runtime_versions() const override {
    return {{schema::BuiltinOperator_AVERAGE_POOL_2D, 1, "1.5.0"},
            {schema::BuiltinOperator_AVERAGE_POOL_2D, 2, "1.14.0"},
            {schema::BuiltinOperator_MAX_POOL_2D, 1, "1.5.0"},
            {schema::BuiltinOperator_MAX_POOL_2D, 2, "1.14.0"}};
  }
};

}  // namespace

EDGEPIPE_CONVERTER_OP(Pool2DOp, Pool2DRule)

}  // namespace edgepipe::lite
