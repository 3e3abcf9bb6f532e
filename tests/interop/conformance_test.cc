// Conformance of edgepipe's TFLite interpreter against the real runtimes:
// for every operator and mode, a small single-op model with seeded random
// inputs and weights runs in our interpreter and in LiteRT.js, tfjs-tflite
// and Arm NN (tests/support/tflite_runtimes.h), and the outputs must agree:
//   float32  |ours - theirs| <= 1e-5·|theirs| + 1e-5;
//   int8     within ±1 quantization step of the output. tfjs-tflite and Arm
//            NN take the int8 model as is; LiteRT.js refuses int8 inputs,
//            so it runs the same op wrapped as float -> QUANTIZE -> op ->
//            DEQUANTIZE -> float (we run that wrapped model too);
//   hybrid   float I/O with int8 weights (dynamic range): within 1% of the
//            output's largest magnitude, since runtimes may quantize the
//            activations differently (XNNPACK) — the reported max error
//            is printed.
// One parametrized test per (op, mode, runtime), so a failure names all three.
// Arm NN 20.08 lacks some ops/modes; those cases are skipped with the reason.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "src/core/files.h"
#include "src/lite/interpreter.h"
#include "src/lite/testing/model_builder.h"
#include "tests/support/tflite_runtimes.h"

namespace edgepipe::testing {
namespace {

namespace schema = lite::schema;
using lite::testing::ModelBuilder;
using lite::testing::PerTensor;
using lite::testing::Quant;

enum class Mode { kFloat, kInt8, kHybrid };

const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kFloat:
      return "float32";
    case Mode::kInt8:
      return "int8";
    default:
      return "hybrid";
  }
}

struct IoDesc {
  std::vector<int32_t> shape;
  Quant q;  // used in int8 mode
  float lo = -3.0f, hi = 3.0f;
};

// Adds the op's constants and the op itself reading `ins`, writing `out`.
using AddOpFn = std::function<void(ModelBuilder&, std::mt19937&, const std::vector<int>&, int)>;

struct OpDef {
  std::vector<IoDesc> inputs;
  IoDesc output;
  AddOpFn add;
};

// ---- weights -------------------------------------------------------------

std::vector<float> RandomFloats(size_t n, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Symmetric int8 weights, per channel along `axis_size` outer (axis 0) or
// inner (last axis) channels, as the converter writes them.
struct QuantWeights {
  std::vector<int8_t> q;
  std::vector<float> scales;
};
QuantWeights QuantizeWeights(const std::vector<float>& w, int channels, bool channel_last) {
  QuantWeights out;
  out.scales.assign(static_cast<size_t>(channels), 0.0f);
  const size_t n = w.size();
  auto channel_of = [&](size_t i) {
    return channel_last ? static_cast<int>(i % static_cast<size_t>(channels))
                        : static_cast<int>(i / (n / static_cast<size_t>(channels)));
  };
  for (size_t i = 0; i < n; ++i) {
    auto& s = out.scales[static_cast<size_t>(channel_of(i))];
    s = std::max(s, std::abs(w[i]));
  }
  for (auto& s : out.scales) s = s > 0 ? s / 127.0f : 1.0f;
  out.q.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const float v = std::round(w[i] / out.scales[static_cast<size_t>(channel_of(i))]);
    out.q[i] = static_cast<int8_t>(std::min(127.0f, std::max(-127.0f, v)));
  }
  return out;
}

Quant PerChannel(const std::vector<float>& scales, int dim) {
  return {scales, std::vector<int64_t>(scales.size(), 0), dim};
}

// Adds float or int8 (per-channel or per-tensor) weights and bias for mode.
// Returns {weights, bias} tensor indices.
std::pair<int, int> AddWeightsAndBias(ModelBuilder& b, std::mt19937& rng, Mode mode,
                                      std::vector<int32_t> w_shape, int channels, bool channel_last,
                                      bool per_channel, float input_scale) {
  size_t n = 1;
  for (int32_t d : w_shape) n *= static_cast<size_t>(d);
  const auto w = RandomFloats(n, rng, -0.5f, 0.5f);
  const auto bias = RandomFloats(static_cast<size_t>(channels), rng, -0.3f, 0.3f);
  const int q_dim = channel_last ? static_cast<int>(w_shape.size()) - 1 : 0;
  if (mode == Mode::kFloat) {
    return {b.AddConstant("weights", schema::TensorType_FLOAT32, w_shape, w),
            b.AddConstant("bias", schema::TensorType_FLOAT32, {channels}, bias)};
  }
  QuantWeights qw = QuantizeWeights(w, per_channel ? channels : 1, channel_last);
  const Quant wq = per_channel ? PerChannel(qw.scales, q_dim) : PerTensor(qw.scales[0], 0);
  const int wi = b.AddConstant("weights", schema::TensorType_INT8, w_shape, qw.q, wq);
  if (mode == Mode::kHybrid) {
    return {wi, b.AddConstant("bias", schema::TensorType_FLOAT32, {channels}, bias)};
  }
  std::vector<int32_t> qb(static_cast<size_t>(channels));
  std::vector<float> b_scales(static_cast<size_t>(channels));
  for (int c = 0; c < channels; ++c) {
    const float s = input_scale * qw.scales[per_channel ? static_cast<size_t>(c) : 0];
    b_scales[static_cast<size_t>(c)] = s;
    qb[static_cast<size_t>(c)] = static_cast<int32_t>(std::round(bias[static_cast<size_t>(c)] / s));
  }
  const Quant bq = per_channel ? PerChannel(b_scales, 0) : PerTensor(b_scales[0], 0);
  return {wi, b.AddConstant("bias", schema::TensorType_INT32, {channels}, qb, bq)};
}

// ---- op definitions ------------------------------------------------------

schema::BuiltinOptionsUnion Options(auto&& table) {
  schema::BuiltinOptionsUnion u;
  u.Set(std::forward<decltype(table)>(table));
  return u;
}

float Quantized(float x, const Quant& q) {
  const float v = std::round(x / q.scales[0]) + static_cast<float>(q.zero_points[0]);
  return std::min(127.0f, std::max(-128.0f, v));
}

// int8 parameters spanning [lo, hi] (lo <= 0 <= hi not required).
Quant RangeQuant(float lo, float hi) {
  const float scale = (hi - lo) / 255.0f;
  return PerTensor(scale, static_cast<int64_t>(std::lround(-128.0f - lo / scale)));
}

OpDef MakeOp(const std::string& op, Mode mode) {
  const Quant in_q = PerTensor(0.03f, 5);  // covers about [-3.99, 3.66]
  OpDef d;
  if (op == "FULLY_CONNECTED") {
    d.inputs = {{{2, 16}, in_q}};
    d.output = {{2, 8}, PerTensor(0.02f, -20)};
    d.add = [mode](ModelBuilder& b, std::mt19937& rng, const std::vector<int>& in, int out) {
      auto [w, bias] = AddWeightsAndBias(b, rng, mode, {8, 16}, 8, false, false, 0.03f);
      schema::FullyConnectedOptionsT o;
      o.fused_activation_function = schema::ActivationFunctionType_RELU;
      b.AddOperator(schema::BuiltinOperator_FULLY_CONNECTED, {in[0], w, bias}, {out}, Options(o));
    };
  } else if (op == "CONV_2D") {
    // 20 output channels: one full 16-channel panel of the int8 GEMM (its
    // vector output stage) and a partial one (the scalar stage).
    d.inputs = {{{1, 7, 7, 3}, in_q}};
    d.output = {{1, 4, 4, 20}, PerTensor(0.025f, -60)};
    d.add = [mode](ModelBuilder& b, std::mt19937& rng, const std::vector<int>& in, int out) {
      auto [w, bias] = AddWeightsAndBias(b, rng, mode, {20, 3, 3, 3}, 20, false, true, 0.03f);
      schema::Conv2DOptionsT o;
      o.padding = schema::Padding_SAME;
      o.stride_h = o.stride_w = 2;
      o.fused_activation_function = schema::ActivationFunctionType_RELU6;
      b.AddOperator(schema::BuiltinOperator_CONV_2D, {in[0], w, bias}, {out}, Options(o));
    };
  } else if (op == "DEPTHWISE_CONV_2D") {
    // 20 channels: one 16-channel vector block and a scalar tail.
    d.inputs = {{{1, 6, 6, 20}, in_q}};
    d.output = {{1, 6, 6, 20}, PerTensor(0.02f, 3)};
    d.add = [mode](ModelBuilder& b, std::mt19937& rng, const std::vector<int>& in, int out) {
      auto [w, bias] = AddWeightsAndBias(b, rng, mode, {1, 3, 3, 20}, 20, true, true, 0.03f);
      schema::DepthwiseConv2DOptionsT o;
      o.padding = schema::Padding_SAME;
      o.stride_h = o.stride_w = 1;
      o.depth_multiplier = 1;
      b.AddOperator(schema::BuiltinOperator_DEPTHWISE_CONV_2D, {in[0], w, bias}, {out}, Options(o));
    };
  } else if (op == "MAX_POOL_2D" || op == "AVERAGE_POOL_2D") {
    const bool max = op == "MAX_POOL_2D";
    // 35 channels: a 32-lane int8 block (8-lane float blocks) and a tail.
    d.inputs = {{{1, 5, 5, 35}, in_q}};
    d.output = {{1, 3, 3, 35}, in_q};
    d.add = [max](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      schema::Pool2DOptionsT o;
      o.padding = schema::Padding_SAME;
      o.stride_h = o.stride_w = 2;
      o.filter_height = o.filter_width = 3;
      b.AddOperator(
          max ? schema::BuiltinOperator_MAX_POOL_2D : schema::BuiltinOperator_AVERAGE_POOL_2D,
          {in[0]}, {out}, Options(o));
    };
  } else if (op == "MEAN") {
    d.inputs = {{{1, 4, 4, 5}, in_q}};
    d.output = {{1, 1, 1, 5}, PerTensor(0.01f, -2)};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      const int axes =
          b.AddConstant("axes", schema::TensorType_INT32, {2}, std::vector<int32_t>{1, 2});
      schema::ReducerOptionsT o;
      o.keep_dims = true;
      b.AddOperator(schema::BuiltinOperator_MEAN, {in[0], axes}, {out}, Options(o));
    };
  } else if (op == "RESHAPE") {
    d.inputs = {{{2, 12}, in_q}};
    d.output = {{2, 3, 4}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      const int shape =
          b.AddConstant("shape", schema::TensorType_INT32, {3}, std::vector<int32_t>{2, 3, 4});
      schema::ReshapeOptionsT o;
      o.new_shape = {2, 3, 4};
      b.AddOperator(schema::BuiltinOperator_RESHAPE, {in[0], shape}, {out}, Options(o));
    };
  } else if (op == "SOFTMAX" || op == "LOGISTIC" || op == "TANH" || op == "RELU" || op == "RELU6" ||
             op == "HARD_SWISH") {
    d.inputs = {{{2, 16}, in_q, -5.0f, 5.0f}};
    d.inputs[0].q = PerTensor(0.04f, 3);
    Quant out_q = PerTensor(0.03f, -100);
    schema::BuiltinOperator code = schema::BuiltinOperator_RELU;
    schema::BuiltinOptionsUnion opts;
    if (op == "SOFTMAX") {
      code = schema::BuiltinOperator_SOFTMAX;
      out_q = PerTensor(1.0f / 256, -128);
      schema::SoftmaxOptionsT o;
      o.beta = 1.0f;
      opts = Options(o);
    } else if (op == "LOGISTIC") {
      code = schema::BuiltinOperator_LOGISTIC;
      out_q = PerTensor(1.0f / 256, -128);
    } else if (op == "TANH") {
      code = schema::BuiltinOperator_TANH;
      out_q = PerTensor(1.0f / 128, 0);
    } else if (op == "RELU6") {
      code = schema::BuiltinOperator_RELU6;
      out_q = PerTensor(6.0f / 255, -128);
    } else if (op == "HARD_SWISH") {
      code = schema::BuiltinOperator_HARD_SWISH;
      out_q = PerTensor(0.025f, -110);
    } else {
      out_q = PerTensor(0.02f, -128);
    }
    d.output = {{2, 16}, out_q};
    d.add = [code, opts](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      b.AddOperator(code, {in[0]}, {out}, opts);
    };
  } else if (op == "ADD" || op == "SUB" || op == "MUL") {
    d.inputs = {{{1, 3, 3, 4}, in_q}, {{1, 1, 1, 4}, PerTensor(0.02f, -10), -2.0f, 2.0f}};
    d.output = {{1, 3, 3, 4}, PerTensor(op == "MUL" ? 0.05f : 0.04f, 2)};
    d.add = [op](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      if (op == "ADD") {
        schema::AddOptionsT o;
        b.AddOperator(schema::BuiltinOperator_ADD, {in[0], in[1]}, {out}, Options(o));
      } else if (op == "SUB") {
        schema::SubOptionsT o;
        b.AddOperator(schema::BuiltinOperator_SUB, {in[0], in[1]}, {out}, Options(o));
      } else {
        schema::MulOptionsT o;
        b.AddOperator(schema::BuiltinOperator_MUL, {in[0], in[1]}, {out}, Options(o));
      }
    };
  } else if (op == "CONCATENATION") {
    d.inputs = {{{1, 2, 2, 3}, in_q}, {{1, 2, 2, 5}, in_q}};
    d.output = {{1, 2, 2, 8}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      schema::ConcatenationOptionsT o;
      o.axis = 3;
      b.AddOperator(schema::BuiltinOperator_CONCATENATION, {in[0], in[1]}, {out}, Options(o));
    };
  } else if (op == "PAD") {
    d.inputs = {{{1, 3, 3, 2}, in_q}};
    d.output = {{1, 6, 6, 2}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      const int pads = b.AddConstant("paddings", schema::TensorType_INT32, {4, 2},
                                     std::vector<int32_t>{0, 0, 1, 2, 2, 1, 0, 0});
      schema::PadOptionsT o;
      b.AddOperator(schema::BuiltinOperator_PAD, {in[0], pads}, {out}, Options(o));
    };
  } else if (op.starts_with("RESIZE_")) {
    // Non-integer factors (3 -> 7 rows, 4 -> 6 columns) exercise the
    // fractional weights; int8 keeps the input's quantization.
    const bool bilinear = op.starts_with("RESIZE_BILINEAR");
    const bool align = op.ends_with("_ALIGN_CORNERS");
    const bool half = op.ends_with("_HALF_PIXEL");
    d.inputs = {{{1, 3, 4, 5}, in_q}};
    d.output = {{1, 7, 6, 5}, in_q};
    d.add = [bilinear, align, half](ModelBuilder& b, std::mt19937&, const std::vector<int>& in,
                                    int out) {
      const int size =
          b.AddConstant("size", schema::TensorType_INT32, {2}, std::vector<int32_t>{7, 6});
      if (bilinear) {
        schema::ResizeBilinearOptionsT o;
        o.align_corners = align;
        o.half_pixel_centers = half;
        b.AddOperator(schema::BuiltinOperator_RESIZE_BILINEAR, {in[0], size}, {out}, Options(o));
      } else {
        schema::ResizeNearestNeighborOptionsT o;
        o.align_corners = align;
        o.half_pixel_centers = half;
        b.AddOperator(schema::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, {in[0], size}, {out},
                      Options(o));
      }
    };
  } else if (op == "DEPTH_TO_SPACE") {
    d.inputs = {{{1, 2, 3, 8}, in_q}};
    d.output = {{1, 4, 6, 2}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      schema::DepthToSpaceOptionsT o;
      o.block_size = 2;
      b.AddOperator(schema::BuiltinOperator_DEPTH_TO_SPACE, {in[0]}, {out}, Options(o));
    };
  } else if (op == "SPACE_TO_DEPTH") {
    d.inputs = {{{1, 4, 6, 3}, in_q}};
    d.output = {{1, 2, 3, 12}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      schema::SpaceToDepthOptionsT o;
      o.block_size = 2;
      b.AddOperator(schema::BuiltinOperator_SPACE_TO_DEPTH, {in[0]}, {out}, Options(o));
    };
  } else if (op == "DENSIFY") {  // a block-sparse constant (CSR of 1x2 blocks), added to x
    d.inputs = {{{4, 6}, in_q}};
    d.output = {{4, 6}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937& rng, const std::vector<int>& in, int out) {
      // Rows 0 and 2 hold blocks at block columns {0, 2} and {1}; rows 1, 3 none.
      const auto values = RandomFloats(6, rng, -2.0f, 2.0f);
      const int s = b.AddConstant("sparse_w", schema::TensorType_FLOAT32, {4, 6}, values);
      auto sp = std::make_unique<schema::SparsityParametersT>();
      sp->traversal_order = {0, 1, 2, 3};
      sp->block_map = {0, 1};
      auto dense = [](int size) {
        auto m = std::make_unique<schema::DimensionMetadataT>();
        m->format = schema::DimensionType_DENSE;
        m->dense_size = size;
        return m;
      };
      auto csr = std::make_unique<schema::DimensionMetadataT>();
      csr->format = schema::DimensionType_SPARSE_CSR;
      schema::Int32VectorT segments, indices;
      segments.values = {0, 2, 2, 3, 3};
      indices.values = {0, 2, 1};
      csr->array_segments.Set(std::move(segments));
      csr->array_indices.Set(std::move(indices));
      sp->dim_metadata.push_back(dense(4));
      sp->dim_metadata.push_back(std::move(csr));
      sp->dim_metadata.push_back(dense(1));
      sp->dim_metadata.push_back(dense(2));
      b.SetSparsity(s, std::move(sp));
      const int w = b.AddTensor("w", schema::TensorType_FLOAT32, {4, 6});
      b.AddOperator(schema::BuiltinOperator_DENSIFY, {s}, {w});
      schema::AddOptionsT o;
      b.AddOperator(schema::BuiltinOperator_ADD, {in[0], w}, {out}, Options(o));
    };
  } else if (op == "Convolution2DTransposeBias") {  // MediaPipe's custom op
    // SAME padding by MediaPipe's rule: 3 rows -> 2·2 + 3 - 2 = 5 (pad 2),
    // 4 columns -> 2·3 + 3 - 1 = 8 (pad 1): both crop cases.
    d.inputs = {{{1, 3, 4, 6}, in_q}};
    d.output = {{1, 5, 8, 5}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937& rng, const std::vector<int>& in, int out) {
      const int w = b.AddConstant("weights", schema::TensorType_FLOAT32, {5, 3, 3, 6},
                                  RandomFloats(5 * 3 * 3 * 6, rng, -0.5f, 0.5f));
      const int bias =
          b.AddConstant("bias", schema::TensorType_FLOAT32, {5}, RandomFloats(5, rng, -0.3f, 0.3f));
      // TfLiteTransposeConvParams: padding SAME (1), stride 2 x 2.
      const int32_t params[3] = {1, 2, 2};
      std::vector<uint8_t> opts(sizeof(params));
      std::memcpy(opts.data(), params, sizeof(params));
      b.AddCustomOperator("Convolution2DTransposeBias", {in[0], w, bias}, {out}, opts);
    };
  } else if (op == "EXP" || op == "LOG" || op == "SQRT" || op == "RSQRT" || op == "ABS" ||
             op == "GELU" || op == "GELU_APPROXIMATE" || op == "LEAKY_RELU") {
    // LOG, SQRT and RSQRT on positive inputs. int8: outputs quantized over
    // the op's range on these inputs; ABS keeps the input's scale (older
    // TFLite kernels, as in tfjs-tflite, require it).
    const bool positive = op == "LOG" || op == "SQRT" || op == "RSQRT";
    const Quant positive_q = RangeQuant(0.0f, 4.0f);
    d.inputs = {
        {{2, 16}, positive ? positive_q : in_q, positive ? 0.1f : -3.0f, positive ? 4.0f : 3.0f}};
    const Quant out_q = op == "EXP"          ? RangeQuant(0.0f, 20.1f)
                        : op == "LOG"        ? RangeQuant(-2.4f, 1.4f)
                        : op == "SQRT"       ? RangeQuant(0.0f, 2.0f)
                        : op == "RSQRT"      ? RangeQuant(0.0f, 3.2f)
                        : op == "ABS"        ? PerTensor(0.03f, -128)
                        : op == "LEAKY_RELU" ? RangeQuant(-0.8f, 3.0f)
                                             : RangeQuant(-0.2f, 3.0f);  // GELU
    d.output = {{2, 16}, out_q};
    d.add = [op](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      if (op == "GELU" || op == "GELU_APPROXIMATE") {
        schema::GeluOptionsT o;
        o.approximate = op == "GELU_APPROXIMATE";
        b.AddOperator(schema::BuiltinOperator_GELU, {in[0]}, {out}, Options(o));
      } else if (op == "LEAKY_RELU") {
        schema::LeakyReluOptionsT o;
        o.alpha = 0.2f;
        b.AddOperator(schema::BuiltinOperator_LEAKY_RELU, {in[0]}, {out}, Options(o));
      } else {
        const auto code = op == "EXP"    ? schema::BuiltinOperator_EXP
                          : op == "LOG"  ? schema::BuiltinOperator_LOG
                          : op == "SQRT" ? schema::BuiltinOperator_SQRT
                          : op == "ABS"  ? schema::BuiltinOperator_ABS
                                         : schema::BuiltinOperator_RSQRT;
        b.AddOperator(code, {in[0]}, {out});
      }
    };
  } else if (op == "DIV" || op == "MAXIMUM" || op == "MINIMUM") {
    // Broadcast [1,3,3,4] by [1,1,1,4]; DIV's divisor in [0.5, 2]. int8
    // MAXIMUM/MINIMUM share one quantization (values are only compared).
    d.inputs = {{{1, 3, 3, 4}, in_q}, {{1, 1, 1, 4}, in_q, 0.5f, 2.0f}};
    d.output = {{1, 3, 3, 4}, op == "DIV" && mode == Mode::kInt8 ? RangeQuant(-8.0f, 8.0f) : in_q};
    d.add = [op](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      if (op == "DIV") {
        schema::DivOptionsT o;
        b.AddOperator(schema::BuiltinOperator_DIV, {in[0], in[1]}, {out}, Options(o));
      } else {
        schema::MaximumMinimumOptionsT o;
        b.AddOperator(
            op == "MAXIMUM" ? schema::BuiltinOperator_MAXIMUM : schema::BuiltinOperator_MINIMUM,
            {in[0], in[1]}, {out}, Options(o));
      }
    };
  } else if (op == "TRANSPOSE") {
    d.inputs = {{{2, 3, 4, 5}, in_q}};
    d.output = {{2, 5, 3, 4}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      const int perm =
          b.AddConstant("perm", schema::TensorType_INT32, {4}, std::vector<int32_t>{0, 3, 1, 2});
      schema::TransposeOptionsT o;
      b.AddOperator(schema::BuiltinOperator_TRANSPOSE, {in[0], perm}, {out}, Options(o));
    };
  } else if (op == "SQUEEZE") {
    d.inputs = {{{1, 3, 1, 4}, in_q}};
    d.output = {{3, 4}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      schema::SqueezeOptionsT o;
      o.squeeze_dims = {0, 2};  // Arm NN 20.08 refuses negative dims
      b.AddOperator(schema::BuiltinOperator_SQUEEZE, {in[0]}, {out}, Options(o));
    };
  } else if (op == "PRELU") {  // a constant per-channel slope (int8: its own scale)
    d.inputs = {{{1, 3, 3, 4}, in_q}};
    d.output = {{1, 3, 3, 4}, mode == Mode::kInt8 ? RangeQuant(-1.5f, 3.0f) : in_q};
    d.add = [mode](ModelBuilder& b, std::mt19937& rng, const std::vector<int>& in, int out) {
      const auto slope = RandomFloats(4, rng, -0.5f, 0.5f);
      int alpha;
      if (mode == Mode::kInt8) {
        const Quant aq = PerTensor(0.5f / 127, 3);
        std::vector<int8_t> q;
        for (float v : slope) q.push_back(static_cast<int8_t>(Quantized(v, aq)));
        alpha = b.AddConstant("alpha", schema::TensorType_INT8, {1, 1, 4}, q, aq);
      } else {
        alpha = b.AddConstant("alpha", schema::TensorType_FLOAT32, {1, 1, 4}, slope);
      }
      b.AddOperator(schema::BuiltinOperator_PRELU, {in[0], alpha}, {out});
    };
  } else if (op == "SLICE") {
    d.inputs = {{{2, 5, 6}, in_q}};
    d.output = {{1, 3, 4}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      const int begin =
          b.AddConstant("begin", schema::TensorType_INT32, {3}, std::vector<int32_t>{1, 1, 2});
      const int size =
          b.AddConstant("size", schema::TensorType_INT32, {3}, std::vector<int32_t>{1, 3, -1});
      schema::SliceOptionsT o;
      b.AddOperator(schema::BuiltinOperator_SLICE, {in[0], begin, size}, {out}, Options(o));
    };
  } else if (op == "STRIDED_SLICE") {
    // dim 0 shrunk (index -1), dim 1 reversed with stride -2 from the end
    // (begin_mask), dim 2 from 1 to the end (end_mask) by 2.
    d.inputs = {{{2, 5, 7}, in_q}};
    d.output = {{3, 3}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      const int begin =
          b.AddConstant("begin", schema::TensorType_INT32, {3}, std::vector<int32_t>{-1, 0, 1});
      const int end =
          b.AddConstant("end", schema::TensorType_INT32, {3}, std::vector<int32_t>{0, -9, 0});
      const int strides =
          b.AddConstant("strides", schema::TensorType_INT32, {3}, std::vector<int32_t>{1, -2, 2});
      schema::StridedSliceOptionsT o;
      o.begin_mask = 0b010;
      o.end_mask = 0b100;
      o.shrink_axis_mask = 0b001;
      b.AddOperator(schema::BuiltinOperator_STRIDED_SLICE, {in[0], begin, end, strides}, {out},
                    Options(o));
    };
  } else if (op == "GATHER") {
    d.inputs = {{{3, 5, 4}, in_q}};
    d.output = {{3, 2, 3, 4}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      const int idx = b.AddConstant("indices", schema::TensorType_INT32, {2, 3},
                                    std::vector<int32_t>{4, 0, 2, 2, 1, 3});
      schema::GatherOptionsT o;
      o.axis = 1;
      b.AddOperator(schema::BuiltinOperator_GATHER, {in[0], idx}, {out}, Options(o));
    };
  } else if (op == "SUM" || op == "REDUCE_MAX") {
    // int8 SUM of 12 values in [-3, 3]: its own output scale.
    d.inputs = {{{2, 3, 4, 5}, in_q}};
    d.output = {{2, 5}, op == "SUM" && mode == Mode::kInt8 ? RangeQuant(-15.0f, 15.0f) : in_q};
    d.add = [op](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      const int axes =
          b.AddConstant("axes", schema::TensorType_INT32, {2}, std::vector<int32_t>{1, -2});
      schema::ReducerOptionsT o;
      b.AddOperator(op == "SUM" ? schema::BuiltinOperator_SUM : schema::BuiltinOperator_REDUCE_MAX,
                    {in[0], axes}, {out}, Options(o));
    };
  } else if (op == "L2_NORMALIZATION") {  // int8 output: TFLite's fixed 1/128, 0
    d.inputs = {{{2, 3, 8}, in_q}};
    d.output = {{2, 3, 8}, mode == Mode::kInt8 ? PerTensor(1.0f / 128, 0) : in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      schema::L2NormOptionsT o;
      b.AddOperator(schema::BuiltinOperator_L2_NORMALIZATION, {in[0]}, {out}, Options(o));
    };
  } else if (op == "BATCH_MATMUL") {  // [2,3,4] x transpose([5,4]) broadcast over the batch
    d.inputs = {{{2, 3, 4}, in_q}, {{5, 4}, in_q}};
    d.output = {{2, 3, 5}, mode == Mode::kInt8 ? RangeQuant(-20.0f, 20.0f) : in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      schema::BatchMatMulOptionsT o;
      o.adj_y = true;
      b.AddOperator(schema::BuiltinOperator_BATCH_MATMUL, {in[0], in[1]}, {out}, Options(o));
    };
  } else if (op == "SPLIT") {  // three pieces, concatenated back in another order
    d.inputs = {{{2, 6, 4}, in_q}};
    d.output = {{2, 6, 4}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      const int axis = b.AddConstant("axis", schema::TensorType_INT32, {}, std::vector<int32_t>{1});
      const Quant q = PerTensor(0.03f, 5);
      const auto type = b.TensorType(in[0]);
      std::vector<int> parts;
      for (int i = 0; i < 3; ++i) {
        parts.push_back(b.AddTensor("part" + std::to_string(i), type, {2, 2, 4},
                                    type == schema::TensorType_INT8 ? q : Quant{}));
      }
      schema::SplitOptionsT o;
      o.num_splits = 3;
      b.AddOperator(schema::BuiltinOperator_SPLIT, {axis, in[0]}, {parts[0], parts[1], parts[2]},
                    Options(o));
      schema::ConcatenationOptionsT c;
      c.axis = 1;
      b.AddOperator(schema::BuiltinOperator_CONCATENATION, {parts[2], parts[0], parts[1]}, {out},
                    Options(c));
    };
  } else if (op == "PACK") {
    d.inputs = {{{3, 4}, in_q}, {{3, 4}, in_q}};
    d.output = {{3, 2, 4}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      schema::PackOptionsT o;
      o.values_count = 2;
      o.axis = 1;
      b.AddOperator(schema::BuiltinOperator_PACK, {in[0], in[1]}, {out}, Options(o));
    };
  } else if (op == "UNPACK") {  // unpacked along axis 1, packed back along axis 0
    d.inputs = {{{3, 2, 4}, in_q}};
    d.output = {{2, 3, 4}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      const Quant q = PerTensor(0.03f, 5);
      const auto type = b.TensorType(in[0]);
      const Quant tq = type == schema::TensorType_INT8 ? q : Quant{};
      const int p0 = b.AddTensor("p0", type, {3, 4}, tq), p1 = b.AddTensor("p1", type, {3, 4}, tq);
      schema::UnpackOptionsT o;
      o.num = 2;
      o.axis = 1;
      b.AddOperator(schema::BuiltinOperator_UNPACK, {in[0]}, {p0, p1}, Options(o));
      schema::PackOptionsT pk;
      pk.values_count = 2;
      pk.axis = 0;
      b.AddOperator(schema::BuiltinOperator_PACK, {p1, p0}, {out}, Options(pk));
    };
  } else if (op.starts_with("TRANSPOSE_CONV")) {  // 4x4 -> 7x8, stride 2, SAME, bias
    // int8: per-channel weights, int32 bias (TFLite's int8 form). _RELU: with
    // the fused activation TRANSPOSE_CONV has since version 4.
    const bool relu = op.ends_with("_RELU");
    d.inputs = {{{1, 4, 4, 6}, in_q}};
    d.output = {{1, 7, 8, 5}, PerTensor(0.04f, relu ? -128 : -10)};
    d.add = [mode, relu](ModelBuilder& b, std::mt19937& rng, const std::vector<int>& in, int out) {
      const int shape = b.AddConstant("output_shape", schema::TensorType_INT32, {4},
                                      std::vector<int32_t>{1, 7, 8, 5});
      auto [w, bias] = AddWeightsAndBias(b, rng, mode, {5, 3, 3, 6}, 5, false, true, 0.03f);
      schema::TransposeConvOptionsT o;
      o.padding = schema::Padding_SAME;
      o.stride_h = o.stride_w = 2;
      if (relu) o.fused_activation_function = schema::ActivationFunctionType_RELU;
      b.AddOperator(schema::BuiltinOperator_TRANSPOSE_CONV, {shape, w, in[0], bias}, {out},
                    Options(o));
    };
  } else if (op == "QUANTIZE") {  // int8 -> int8 requantization (int8 mode only)
    d.inputs = {{{2, 10}, in_q}};
    d.output = {{2, 10}, PerTensor(0.045f, -7)};
    d.add = [](ModelBuilder& b, std::mt19937&, const std::vector<int>& in, int out) {
      b.AddOperator(schema::BuiltinOperator_QUANTIZE, {in[0]}, {out});
    };
  } else if (op == "DEQUANTIZE") {  // float16 constant -> float32, added to the input
    d.inputs = {{{2, 8}, in_q}};
    d.output = {{2, 8}, in_q};
    d.add = [](ModelBuilder& b, std::mt19937& rng, const std::vector<int>& in, int out) {
      const auto w = RandomFloats(8, rng, -2.0f, 2.0f);
      std::vector<uint16_t> half(8);
      for (size_t i = 0; i < 8; ++i) {
        // Exact float -> half for values with <= 10 mantissa bits.
        const float v = std::round(w[i] * 256.0f) / 256.0f;
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        const uint32_t sign = (bits >> 16) & 0x8000;
        const int exp = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
        half[i] = v == 0.0f ? static_cast<uint16_t>(sign)
                            : static_cast<uint16_t>(sign | (exp << 10) | ((bits >> 13) & 0x3ff));
      }
      const int h = b.AddConstant("w_half", schema::TensorType_FLOAT16, {8}, half);
      const int f = b.AddTensor("w_float", schema::TensorType_FLOAT32, {8});
      b.AddOperator(schema::BuiltinOperator_DEQUANTIZE, {h}, {f});
      schema::AddOptionsT o;
      b.AddOperator(schema::BuiltinOperator_ADD, {in[0], f}, {out}, Options(o));
    };
  }
  return d;
}

// ---- model assembly ------------------------------------------------------

struct BuiltCase {
  std::string bytes;
  std::vector<Tensor> inputs;
  float out_scale = 0.0f;  // int8 cases: one output step, in the model's output units
  bool int8_io = false;
};

// wrap: int8 op between float QUANTIZE/DEQUANTIZE (for LiteRT.js).
BuiltCase Build(const std::string& op, Mode mode, bool wrap, uint32_t seed) {
  std::mt19937 rng(seed);
  OpDef d = MakeOp(op, mode);
  ModelBuilder b;
  BuiltCase out;
  std::vector<int> ins;
  const bool int8 = mode == Mode::kInt8;
  for (size_t i = 0; i < d.inputs.size(); ++i) {
    const IoDesc& io = d.inputs[i];
    const std::string name = "x" + std::to_string(i);
    size_t n = 1;
    for (int32_t s : io.shape) n *= static_cast<size_t>(s);
    const auto values = RandomFloats(n, rng, io.lo, io.hi);
    if (!int8) {
      ins.push_back(b.AddInput(name, schema::TensorType_FLOAT32, io.shape));
      Tensor t(DType::kFloat32, Shape(io.shape.begin(), io.shape.end()));
      std::copy(values.begin(), values.end(), t.data<float>());
      out.inputs.push_back(std::move(t));
    } else if (wrap) {
      const int x = b.AddInput(name, schema::TensorType_FLOAT32, io.shape);
      const int q = b.AddTensor(name + "_q", schema::TensorType_INT8, io.shape, io.q);
      b.AddOperator(schema::BuiltinOperator_QUANTIZE, {x}, {q});
      ins.push_back(q);
      Tensor t(DType::kFloat32, Shape(io.shape.begin(), io.shape.end()));
      std::copy(values.begin(), values.end(), t.data<float>());
      out.inputs.push_back(std::move(t));
    } else {
      ins.push_back(b.AddInput(name, schema::TensorType_INT8, io.shape, io.q));
      Tensor t(DType::kInt8, Shape(io.shape.begin(), io.shape.end()));
      for (size_t k = 0; k < n; ++k) {
        t.data<int8_t>()[k] = static_cast<int8_t>(Quantized(values[k], io.q));
      }
      out.inputs.push_back(std::move(t));
    }
  }
  if (!int8) {
    d.add(b, rng, ins, b.AddOutput("y", schema::TensorType_FLOAT32, d.output.shape));
  } else if (wrap) {
    const int yq = b.AddTensor("y_q", schema::TensorType_INT8, d.output.shape, d.output.q);
    d.add(b, rng, ins, yq);
    const int y = b.AddOutput("y", schema::TensorType_FLOAT32, d.output.shape);
    b.AddOperator(schema::BuiltinOperator_DEQUANTIZE, {yq}, {y});
    out.out_scale = d.output.q.scales[0];
  } else {
    d.add(b, rng, ins, b.AddOutput("y", schema::TensorType_INT8, d.output.shape, d.output.q));
    out.out_scale = 1.0f;
    out.int8_io = true;
  }
  out.bytes = b.Finish();
  return out;
}

StatusOr<std::vector<float>> RunOurs(const BuiltCase& c) {
  ASSIGN_OR_RETURN(auto interp, lite::Interpreter::FromBuffer(c.bytes, "conformance.tflite"));
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    RETURN_IF_ERROR(interp->SetInput(static_cast<int>(i), c.inputs[i]));
  }
  RETURN_IF_ERROR(interp->Invoke());
  lite::TensorView v = interp->output(0);
  std::vector<float> out;
  if (v.type == schema::TensorType_INT8) {
    for (int8_t q : v.values<int8_t>()) out.push_back(q);
  } else {
    for (float f : v.values<float>()) out.push_back(f);
  }
  return out;
}

// ---- the parametrized test -----------------------------------------------

using Param = std::tuple<std::string, Mode, TfliteRuntime>;

// Arm NN 20.08 (TfLiteParser + CpuRef) cases it cannot run, with the reason
// observed (see the test log of the commit that added each line).
const std::map<std::pair<std::string, Mode>, std::string>& ArmNNSkips() {
  static const auto* skips = [] {
    auto* skips = new std::map<std::pair<std::string, Mode>, std::string>{
        {{"DEQUANTIZE", Mode::kFloat},
         "Arm NN 20.08 TfLiteParser: 'Unsupported data type = FLOAT16' (no float16 tensors)"},
        {{"PAD", Mode::kInt8},
         "Arm NN 20.08 pads int8 with 0 instead of the output zero point (TFLite, LiteRT.js "
         "and tfjs-tflite pad with the zero point, as we do)"},
    };
    const std::string half_pixel =
        "Arm NN 20.08 disagrees with TFLite's half_pixel_centers (max error 1.4 float, 49 int8 "
        "steps; LiteRT.js and tfjs-tflite agree with us)";
    const std::string nearest_modes =
        "Arm NN 20.08 disagrees with TFLite's RESIZE_NEAREST_NEIGHBOR when align_corners or "
        "half_pixel_centers is set (max error 4.8; LiteRT.js and tfjs-tflite agree with us "
        "exactly)";
    const std::string not_parsed =
        "Arm NN 20.08 TfLiteParser: 'Operator not supported' (no DEPTH_TO_SPACE/SPACE_TO_DEPTH)";
    for (Mode m : {Mode::kFloat, Mode::kInt8}) {
      skips->emplace(std::make_pair(std::string("RESIZE_BILINEAR_HALF_PIXEL"), m), half_pixel);
      skips->emplace(std::make_pair(std::string("RESIZE_NEAREST_NEIGHBOR_ALIGN_CORNERS"), m),
                     nearest_modes);
      skips->emplace(std::make_pair(std::string("RESIZE_NEAREST_NEIGHBOR_HALF_PIXEL"), m),
                     nearest_modes);
      skips->emplace(std::make_pair(std::string("DEPTH_TO_SPACE"), m), not_parsed);
      skips->emplace(std::make_pair(std::string("SPACE_TO_DEPTH"), m), not_parsed);
    }
    skips->emplace(std::make_pair(std::string("DENSIFY"), Mode::kFloat),
                   "Arm NN 20.08 TfLiteParser: 'Operator code 124 is out of range' (no DENSIFY, "
                   "no sparse tensors)");
    for (const char* op : {"LOG", "SQRT", "RSQRT", "ABS", "PRELU", "SUM", "REDUCE_MAX"}) {
      skips->emplace(
          std::make_pair(std::string(op), Mode::kFloat),
          std::string("Arm NN 20.08 TfLiteParser: 'Operator not supported' (") + op + ")");
    }
    for (const char* op : {"LOG", "SQRT", "RSQRT", "ABS", "PRELU", "SUM"}) {
      skips->emplace(
          std::make_pair(std::string(op), Mode::kInt8),
          std::string("Arm NN 20.08 TfLiteParser: 'Operator not supported' (") + op + ")");
    }
    for (const char* op : {"GELU", "GELU_APPROXIMATE"}) {
      for (Mode m : {Mode::kFloat, Mode::kInt8}) {
        skips->emplace(std::make_pair(std::string(op), m),
                       "Arm NN 20.08 reads only deprecated_builtin_code: GELU (150) is 127 there "
                       "('Operator code is out of range')");
      }
    }
    for (Mode m : {Mode::kFloat, Mode::kInt8}) {
      skips->emplace(std::make_pair(std::string("GATHER"), m),
                     "Arm NN 20.08 TfLiteParser: 'Operator not supported' (GATHER)");
      skips->emplace(std::make_pair(std::string("SLICE"), m),
                     "Arm NN 20.08 reads SLICE's size -1 as 4294967295 ('TensorShape set on "
                     "OutputSlot[0] does not match the inferred shape')");
    }
    skips->emplace(std::make_pair(std::string("REDUCE_MAX"), Mode::kInt8),
                   "Arm NN 20.08 TfLiteParser: 'Operator not supported' (REDUCE_MAX)");
    for (Mode m : {Mode::kFloat, Mode::kInt8}) {
      skips->emplace(std::make_pair(std::string("BATCH_MATMUL"), m),
                     "Arm NN 20.08 TfLiteParser: 'Operator code 126 is out of range' (no "
                     "BATCH_MATMUL)");
    }
    skips->emplace(std::make_pair(std::string("UNPACK"), Mode::kInt8),
                   "Arm NN 20.08 aborts on int8 UNPACK ('free(): invalid pointer')");
    for (const char* op : {"TRANSPOSE_CONV", "TRANSPOSE_CONV_RELU"}) {
      for (Mode m : {Mode::kFloat, Mode::kInt8}) {
        skips->emplace(std::make_pair(std::string(op), m),
                       "Arm NN 20.08 TfLiteParser: 'inputs.size() = 4 is not valid, not in {3}' "
                       "(no bias input)");
      }
    }
    skips->emplace(std::make_pair(std::string("Convolution2DTransposeBias"), Mode::kFloat),
                   "Arm NN 20.08 TfLiteParser runs no custom operators");
    return skips;
  }();
  return *skips;
}

// tfjs-tflite 0.0.1-alpha.10 (an older TFLite) cases it cannot run, with the
// error observed.
const std::map<std::pair<std::string, Mode>, std::string>& TfjsTfliteSkips() {
  static const auto* skips = new std::map<std::pair<std::string, Mode>, std::string>{
      {{"EXP", Mode::kInt8},
       "tfjs-tflite 0.0.1-alpha.10: 'Infer() failed' (its EXP kernel predates int8)"},
      {{"LOG", Mode::kInt8},
       "tfjs-tflite 0.0.1-alpha.10 refuses the model ('Can't initialize model'): its LOG "
       "kernel predates int8"},
      {{"DIV", Mode::kInt8},
       "tfjs-tflite 0.0.1-alpha.10: 'Infer() failed' (its DIV takes quantized uint8 only)"},
      {{"TRANSPOSE_CONV_RELU", Mode::kFloat},
       "tfjs-tflite 0.0.1-alpha.10 ignores TRANSPOSE_CONV's fused activation (added in its "
       "version 4): negative outputs where LiteRT.js and we clamp at 0"},
      {{"TRANSPOSE_CONV_RELU", Mode::kInt8},
       "tfjs-tflite 0.0.1-alpha.10 ignores TRANSPOSE_CONV's fused activation (added in its "
       "version 4): outputs below the ReLU's zero point"},
      {{"SQRT", Mode::kInt8},
       "tfjs-tflite 0.0.1-alpha.10 refuses the model ('Can't initialize model'): its SQRT "
       "kernel predates int8"},
  };
  return *skips;
}

class ConformanceTest : public ::testing::TestWithParam<Param> {};

TEST_P(ConformanceTest, MatchesRuntime) {
  const auto& [op, mode, runtime] = GetParam();
  if (mode == Mode::kHybrid && runtime == TfliteRuntime::kArmNN) {
    GTEST_SKIP() << "Arm NN 20.08 has no dynamic-range (hybrid) kernels";
  }
  if (runtime == TfliteRuntime::kArmNN) {
    auto it = ArmNNSkips().find({op, mode});
    if (it != ArmNNSkips().end()) GTEST_SKIP() << it->second;
  }
  if (runtime == TfliteRuntime::kTfjsTflite) {
    auto it = TfjsTfliteSkips().find({op, mode});
    if (it != TfjsTfliteSkips().end()) GTEST_SKIP() << it->second;
  }
  if (runtime == TfliteRuntime::kTfjsTflite && op == "Convolution2DTransposeBias") {
    GTEST_SKIP() << "tfjs-tflite 0.0.1-alpha.10 refuses the model ('Can't initialize model'): "
                    "it has no MediaPipe custom operators (LiteRT.js has)";
  }
  const bool wrap = mode == Mode::kInt8 && runtime == TfliteRuntime::kLiteRtJs;
  const BuiltCase c = Build(op, mode, wrap, 1234);
  char tmpl[] = "/tmp/edgepipe_conformance_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/model.tflite";
  ASSERT_TRUE(WriteFileAtomic(path, c.bytes).ok());

  StatusOr<std::vector<float>> ours = RunOurs(c);
  ASSERT_TRUE(ours.ok()) << ours.status().message();
  RuntimeRunOptions options;
  options.rows_per_invocation = 0;
  auto theirs = RunInTfliteRuntime(runtime, path, c.inputs, options);
  (void)RemoveAll(tmpl);
  ASSERT_TRUE(theirs.ok()) << theirs.status().message();
  ASSERT_EQ(theirs->size(), 1u);
  const std::vector<float>& ref = (*theirs)[0].values;
  ASSERT_EQ(ref.size(), ours->size());

  float max_abs = 0.0f, max_err = 0.0f;
  for (float v : ref) max_abs = std::max(max_abs, std::abs(v));
  int bad = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const float err = std::abs((*ours)[i] - ref[i]);
    max_err = std::max(max_err, err);
    float tol;
    if (mode == Mode::kFloat) {
      tol = 1e-5f * std::abs(ref[i]) + 1e-5f;
    } else if (mode == Mode::kInt8) {
      tol = c.out_scale * 1.0001f + 1e-6f;  // ±1 step
    } else {
      tol = 0.01f * max_abs + 1e-5f;
    }
    if (err > tol && bad++ < 5) {
      ADD_FAILURE() << "element " << i << ": ours " << (*ours)[i] << ", "
                    << TfliteRuntimeName(runtime) << " " << ref[i] << " (tolerance " << tol << ")";
    }
  }
  EXPECT_EQ(bad, 0) << bad << " of " << ref.size() << " elements differ";
  RecordProperty("max_abs_error", std::to_string(max_err));
  std::printf("[ conformance ] %s %s %s: max |error| %g (%s)\n", op.c_str(), ModeName(mode),
              TfliteRuntimeName(runtime), max_err,
              mode == Mode::kInt8 ? (c.int8_io ? "int8 units" : "float units") : "float units");
}

std::vector<Param> AllParams() {
  const std::vector<std::pair<std::string, std::vector<Mode>>> ops = {
      {"FULLY_CONNECTED", {Mode::kFloat, Mode::kInt8, Mode::kHybrid}},
      {"CONV_2D", {Mode::kFloat, Mode::kInt8, Mode::kHybrid}},
      {"DEPTHWISE_CONV_2D", {Mode::kFloat, Mode::kInt8, Mode::kHybrid}},
      {"MAX_POOL_2D", {Mode::kFloat, Mode::kInt8}},
      {"AVERAGE_POOL_2D", {Mode::kFloat, Mode::kInt8}},
      {"MEAN", {Mode::kFloat, Mode::kInt8}},
      {"RESHAPE", {Mode::kFloat, Mode::kInt8}},
      {"SOFTMAX", {Mode::kFloat, Mode::kInt8}},
      {"LOGISTIC", {Mode::kFloat, Mode::kInt8}},
      {"TANH", {Mode::kFloat, Mode::kInt8}},
      {"RELU", {Mode::kFloat, Mode::kInt8}},
      {"RELU6", {Mode::kFloat, Mode::kInt8}},
      {"HARD_SWISH", {Mode::kFloat, Mode::kInt8}},
      {"ADD", {Mode::kFloat, Mode::kInt8}},
      {"SUB", {Mode::kFloat, Mode::kInt8}},
      {"MUL", {Mode::kFloat, Mode::kInt8}},
      {"CONCATENATION", {Mode::kFloat, Mode::kInt8}},
      {"PAD", {Mode::kFloat, Mode::kInt8}},
      {"QUANTIZE", {Mode::kInt8}},
      {"DEQUANTIZE", {Mode::kFloat}},
      {"RESIZE_BILINEAR", {Mode::kFloat, Mode::kInt8}},
      {"RESIZE_BILINEAR_ALIGN_CORNERS", {Mode::kFloat, Mode::kInt8}},
      {"RESIZE_BILINEAR_HALF_PIXEL", {Mode::kFloat, Mode::kInt8}},
      {"RESIZE_NEAREST_NEIGHBOR", {Mode::kFloat, Mode::kInt8}},
      {"RESIZE_NEAREST_NEIGHBOR_ALIGN_CORNERS", {Mode::kFloat, Mode::kInt8}},
      {"RESIZE_NEAREST_NEIGHBOR_HALF_PIXEL", {Mode::kFloat, Mode::kInt8}},
      {"DEPTH_TO_SPACE", {Mode::kFloat, Mode::kInt8}},
      {"SPACE_TO_DEPTH", {Mode::kFloat, Mode::kInt8}},
      {"DENSIFY", {Mode::kFloat}},
      {"Convolution2DTransposeBias", {Mode::kFloat}},
      {"EXP", {Mode::kFloat, Mode::kInt8}},
      {"LOG", {Mode::kFloat, Mode::kInt8}},
      {"SQRT", {Mode::kFloat, Mode::kInt8}},
      {"RSQRT", {Mode::kFloat, Mode::kInt8}},
      {"ABS", {Mode::kFloat, Mode::kInt8}},
      {"GELU", {Mode::kFloat, Mode::kInt8}},
      {"GELU_APPROXIMATE", {Mode::kFloat, Mode::kInt8}},
      {"LEAKY_RELU", {Mode::kFloat, Mode::kInt8}},
      {"DIV", {Mode::kFloat, Mode::kInt8}},
      {"MAXIMUM", {Mode::kFloat, Mode::kInt8}},
      {"MINIMUM", {Mode::kFloat, Mode::kInt8}},
      {"TRANSPOSE", {Mode::kFloat, Mode::kInt8}},
      {"SQUEEZE", {Mode::kFloat, Mode::kInt8}},
      {"PRELU", {Mode::kFloat, Mode::kInt8}},
      {"SLICE", {Mode::kFloat, Mode::kInt8}},
      {"STRIDED_SLICE", {Mode::kFloat, Mode::kInt8}},
      {"GATHER", {Mode::kFloat, Mode::kInt8}},
      {"SUM", {Mode::kFloat, Mode::kInt8}},
      {"REDUCE_MAX", {Mode::kFloat, Mode::kInt8}},
      {"L2_NORMALIZATION", {Mode::kFloat, Mode::kInt8}},
      {"BATCH_MATMUL", {Mode::kFloat, Mode::kInt8}},
      {"SPLIT", {Mode::kFloat, Mode::kInt8}},
      {"PACK", {Mode::kFloat, Mode::kInt8}},
      {"UNPACK", {Mode::kFloat, Mode::kInt8}},
      {"TRANSPOSE_CONV", {Mode::kFloat, Mode::kInt8}},
      {"TRANSPOSE_CONV_RELU", {Mode::kFloat, Mode::kInt8}},
  };
  std::vector<Param> out;
  for (const auto& [op, modes] : ops) {
    for (Mode m : modes) {
      for (TfliteRuntime r :
           {TfliteRuntime::kLiteRtJs, TfliteRuntime::kTfjsTflite, TfliteRuntime::kArmNN}) {
        out.emplace_back(op, m, r);
      }
    }
  }
  return out;
}

std::string ParamName(const ::testing::TestParamInfo<Param>& info) {
  std::string runtime = TfliteRuntimeName(std::get<2>(info.param));
  std::string name = std::get<0>(info.param) + "_" + ModeName(std::get<1>(info.param)) + "_";
  for (char ch : runtime) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Ops, ConformanceTest, ::testing::ValuesIn(AllParams()), ParamName);

}  // namespace
}  // namespace edgepipe::testing
