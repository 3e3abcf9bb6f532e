#include "src/lite/converter_ops/op_common.h"

#include <algorithm>
#include <utility>

namespace edgepipe::lite {

// ---- Registry ---------------------------------------------------------------
// The InferenceOp variant lists the ops; each alternative's rule comes from
// its own file (RuleFor<T>, converter_ops/<op>.cc).

namespace {

template <size_t... I>
std::vector<const ConverterOp*> MakeTable(std::index_sequence<I...>) {
  return {&RuleFor<std::variant_alternative_t<I, InferenceOp>>()...};
}

}  // namespace

const std::vector<const ConverterOp*>& AllRules() {
  static const std::vector<const ConverterOp*> kTable =
      MakeTable(std::make_index_sequence<std::variant_size_v<InferenceOp>>());
  return kTable;
}

const ConverterOp& RuleOf(const InferenceOp& op) { return *AllRules()[op.index()]; }

// ---- Shared helpers -----------------------------------------------------------

bool IsFloatVector(const Tensor& t, int64_t n) {
  return t.dtype() == DType::kFloat32 && t.rank() == 1 && t.dim(0) == n;
}

std::string Describe(const Tensor& t) {
  return std::string(DTypeName(t.dtype())) + " " + ShapeToString(t.shape());
}

int64_t WindowOut(int64_t in, int64_t filter, int stride, int dilation, Padding padding) {
  const int64_t effective = (filter - 1) * dilation + 1;
  if (padding == Padding::kSame) return (in + stride - 1) / stride;
  return in >= effective ? (in - effective) / stride + 1 : 0;
}

int64_t PadBefore(int64_t in, int64_t out, int64_t filter, int stride, int dilation,
                  Padding padding) {
  return WindowPadding(in, out, filter, stride, dilation, padding)[0];
}

Status CheckSpatial(const std::string& where, int stride_h, int stride_w, int dil_h, int dil_w) {
  if (stride_h < 1 || stride_w < 1 || dil_h < 1 || dil_w < 1) {
    return Status::InvalidArgument(where + ": strides and dilations must be >= 1");
  }
  return Status::OK();
}

StatusOr<Shape> Broadcast(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      return Status::InvalidArgument("shapes " + ShapeToString(a) + " and " + ShapeToString(b) +
                                     " do not broadcast");
    }
  }
  return out;
}

int64_t BroadcastIndex(const Shape& shape, const Shape& out_shape, int64_t i) {
  int64_t idx = 0, stride = 1;
  const size_t offset = out_shape.size() - shape.size();
  for (size_t d = out_shape.size(); d-- > 0;) {
    const int64_t coord = i % out_shape[d];
    i /= out_shape[d];
    if (d >= offset) {
      const int64_t dim = shape[d - offset];
      idx += (dim == 1 ? 0 : coord) * stride;
      stride *= dim;
    }
  }
  return idx;
}

float Activate(float v, FusedActivation a) {
  if (a == FusedActivation::kRelu) return std::max(v, 0.0f);
  if (a == FusedActivation::kRelu6) return std::min(std::max(v, 0.0f), 6.0f);
  return v;
}

void FoldIntoKernel(Tensor& kernel, Tensor& bias, const std::vector<float>& s,
                    const std::vector<float>& t) {
  const int64_t channels = bias.dim(0);
  float* k = kernel.data<float>();
  for (int64_t i = 0; i < kernel.num_elements(); ++i) k[i] *= s[static_cast<size_t>(i % channels)];
  float* b = bias.data<float>();
  for (int64_t c = 0; c < channels; ++c) {
    b[c] = b[c] * s[static_cast<size_t>(c)] + t[static_cast<size_t>(c)];
  }
}

void ConvFloat(const Tensor& x, Tensor& y, const Tensor& kernel, const Tensor& bias, int sh, int sw,
               int dh, int dw, Padding padding, bool depthwise, FusedActivation act) {
  const int64_t B = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  const int64_t OH = y.dim(1), OW = y.dim(2), OC = y.dim(3);
  const int64_t KH = kernel.dim(0), KW = kernel.dim(1);
  const int64_t mult = depthwise ? kernel.dim(3) : 0;
  const int64_t ph = PadBefore(H, OH, KH, sh, dh, padding),
                pw = PadBefore(W, OW, KW, sw, dw, padding);
  const float* in = x.data<float>();
  const float* k = kernel.data<float>();
  float* out = y.data<float>();
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t oy = 0; oy < OH; ++oy) {
      for (int64_t ox = 0; ox < OW; ++ox) {
        for (int64_t oc = 0; oc < OC; ++oc) {
          double acc = bias.data<float>()[oc];
          for (int64_t ky = 0; ky < KH; ++ky) {
            const int64_t iy = oy * sh - ph + ky * dh;
            if (iy < 0 || iy >= H) continue;
            for (int64_t kx = 0; kx < KW; ++kx) {
              const int64_t ix = ox * sw - pw + kx * dw;
              if (ix < 0 || ix >= W) continue;
              const float* px = in + ((b * H + iy) * W + ix) * C;
              if (depthwise) {
                // kernel [KH, KW, C, mult], output channel oc = c * mult + m.
                acc += static_cast<double>(px[oc / mult]) * k[(ky * KW + kx) * C * mult + oc];
              } else {
                for (int64_t c = 0; c < C; ++c) {
                  acc += static_cast<double>(px[c]) * k[((ky * KW + kx) * C + c) * OC + oc];
                }
              }
            }
          }
          out[((b * OH + oy) * OW + ox) * OC + oc] = Activate(static_cast<float>(acc), act);
        }
      }
    }
  }
}

StatusOr<Shape> ConvShape(const std::string& where, const Shape& x, const Tensor& k,
                          const Tensor& bias, int stride_h, int stride_w, int dilation_h,
                          int dilation_w, Padding padding, bool depthwise) {
  RETURN_IF_ERROR(CheckSpatial(where, stride_h, stride_w, dilation_h, dilation_w));
  if (x.size() != 4) {
    return Status::InvalidArgument(where + ": input is " + ShapeToString(x) + ", expected NHWC");
  }
  if (k.dtype() != DType::kFloat32 || k.rank() != 4 || k.dim(2) != x[3] || k.dim(0) <= 0 ||
      k.dim(1) <= 0 || k.dim(3) <= 0) {
    return Status::InvalidArgument(where + ": kernel is " + Describe(k) +
                                   ", expected float32 [kh, kw, " + std::to_string(x[3]) +
                                   (depthwise ? ", multiplier]" : ", filters]"));
  }
  const int64_t channels = depthwise ? k.dim(2) * k.dim(3) : k.dim(3);
  if (!IsFloatVector(bias, channels)) {
    return Status::InvalidArgument(where + ": bias is " + Describe(bias) + ", expected float32 [" +
                                   std::to_string(channels) + "]");
  }
  Shape out{x[0], WindowOut(x[1], k.dim(0), stride_h, dilation_h, padding),
            WindowOut(x[2], k.dim(1), stride_w, dilation_w, padding), channels};
  if (out[1] <= 0 || out[2] <= 0) {
    return Status::InvalidArgument(where + ": kernel larger than the input " + ShapeToString(x));
  }
  return out;
}

}  // namespace edgepipe::lite
