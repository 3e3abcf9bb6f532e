#include "src/lite/converter_graph.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>

namespace edgepipe::lite {

const std::string& OpName(const InferenceOp& op) {
  return std::visit([](const auto& o) -> const std::string& { return o.name; }, op);
}

const std::vector<std::string>& OpInputs(const InferenceOp& op) {
  return std::visit([](const auto& o) -> const std::vector<std::string>& { return o.inputs; }, op);
}

const char* OpKindName(const InferenceOp& op) {
  static constexpr const char* kNames[] = {
      "Dense",      "Conv2D", "DepthwiseConv2D", "BatchNormalization",
      "Pool2D",     "Mean",   "Reshape",         "Softmax",
      "Activation", "Binary", "Concat",          "Pad"};
  static_assert(std::size(kNames) == std::variant_size_v<InferenceOp>);
  return kNames[op.index()];
}

std::array<int64_t, 2> WindowPadding(int64_t in, int64_t out, int64_t filter, int stride,
                                     int dilation, Padding padding) {
  if (padding == Padding::kValid) return {0, 0};
  const int64_t effective = (filter - 1) * dilation + 1;
  const int64_t total = std::max<int64_t>((out - 1) * stride + effective - in, 0);
  return {total / 2, total - total / 2};
}

namespace {

std::string Where(size_t index, const InferenceOp& op) {
  return "converter: op " + std::to_string(index) + " (" + OpKindName(op) + " '" + OpName(op) +
         "')";
}

bool IsFloatVector(const Tensor& t, int64_t n) {
  return t.dtype() == DType::kFloat32 && t.rank() == 1 && t.dim(0) == n;
}

std::string Describe(const Tensor& t) {
  return std::string(DTypeName(t.dtype())) + " " + ShapeToString(t.shape());
}

// Output size of a window op along one spatial dim (TF's rule).
int64_t WindowOut(int64_t in, int64_t filter, int stride, int dilation, Padding padding) {
  const int64_t effective = (filter - 1) * dilation + 1;
  if (padding == Padding::kSame) return (in + stride - 1) / stride;
  return in >= effective ? (in - effective) / stride + 1 : 0;
}

int64_t PadBefore(int64_t in, int64_t out, int64_t filter, int stride, int dilation,
                  Padding padding) {
  return WindowPadding(in, out, filter, stride, dilation, padding)[0];
}

// numpy broadcast of two shapes; -1 (batch) matches -1 or 1.
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

Status CheckSpatial(const std::string& where, int stride_h, int stride_w, int dil_h, int dil_w) {
  if (stride_h < 1 || stride_w < 1 || dil_h < 1 || dil_w < 1) {
    return Status::InvalidArgument(where + ": strides and dilations must be >= 1");
  }
  return Status::OK();
}

// Shape of `op`'s output from its input shapes; validates weights.
StatusOr<Shape> InferShape(const std::string& where, const InferenceOp& op,
                           const std::vector<Shape>& in) {
  const size_t expected_inputs =
      std::holds_alternative<ConcatOp>(op)                                                   ? 0
      : std::holds_alternative<BinaryOp>(op) && !std::get<BinaryOp>(op).constant.has_value() ? 2
                                                                                             : 1;
  if (expected_inputs == 0 ? in.size() < 1 : in.size() != expected_inputs) {
    return Status::InvalidArgument(
        where + ": takes " +
        (expected_inputs ? std::to_string(expected_inputs) : std::string("one or more")) +
        " input(s), got " + std::to_string(in.size()));
  }
  const Shape& x = in[0];
  if (const auto* d = std::get_if<DenseOp>(&op)) {
    const Tensor& k = d->kernel;
    if (x.size() != 2) {
      return Status::InvalidArgument(where + ": input is " + ShapeToString(x) +
                                     ", expected [batch, features] (Flatten first)");
    }
    if (k.dtype() != DType::kFloat32 || k.rank() != 2 || k.dim(0) != x[1] || k.dim(1) <= 0) {
      return Status::InvalidArgument(where + ": kernel is " + Describe(k) + ", expected float32 [" +
                                     std::to_string(x[1]) + ", units]");
    }
    if (!IsFloatVector(d->bias, k.dim(1))) {
      return Status::InvalidArgument(where + ": bias is " + Describe(d->bias) +
                                     ", expected float32 [" + std::to_string(k.dim(1)) + "]");
    }
    return Shape{x[0], k.dim(1)};
  }
  if (const auto* c = std::get_if<Conv2DOp>(&op)) {
    RETURN_IF_ERROR(CheckSpatial(where, c->stride_h, c->stride_w, c->dilation_h, c->dilation_w));
    const Tensor& k = c->kernel;
    if (x.size() != 4) {
      return Status::InvalidArgument(where + ": input is " + ShapeToString(x) + ", expected NHWC");
    }
    if (k.dtype() != DType::kFloat32 || k.rank() != 4 || k.dim(2) != x[3] || k.dim(0) <= 0 ||
        k.dim(1) <= 0 || k.dim(3) <= 0) {
      return Status::InvalidArgument(where + ": kernel is " + Describe(k) +
                                     ", expected float32 [kh, kw, " + std::to_string(x[3]) +
                                     ", filters]");
    }
    if (!IsFloatVector(c->bias, k.dim(3))) {
      return Status::InvalidArgument(where + ": bias is " + Describe(c->bias) +
                                     ", expected float32 [" + std::to_string(k.dim(3)) + "]");
    }
    Shape out{x[0], WindowOut(x[1], k.dim(0), c->stride_h, c->dilation_h, c->padding),
              WindowOut(x[2], k.dim(1), c->stride_w, c->dilation_w, c->padding), k.dim(3)};
    if (out[1] <= 0 || out[2] <= 0) {
      return Status::InvalidArgument(where + ": kernel larger than the input " + ShapeToString(x));
    }
    return out;
  }
  if (const auto* c = std::get_if<DepthwiseConv2DOp>(&op)) {
    RETURN_IF_ERROR(CheckSpatial(where, c->stride_h, c->stride_w, c->dilation_h, c->dilation_w));
    const Tensor& k = c->kernel;
    if (x.size() != 4) {
      return Status::InvalidArgument(where + ": input is " + ShapeToString(x) + ", expected NHWC");
    }
    if (k.dtype() != DType::kFloat32 || k.rank() != 4 || k.dim(2) != x[3] || k.dim(0) <= 0 ||
        k.dim(1) <= 0 || k.dim(3) <= 0) {
      return Status::InvalidArgument(where + ": kernel is " + Describe(k) +
                                     ", expected float32 [kh, kw, " + std::to_string(x[3]) +
                                     ", multiplier]");
    }
    const int64_t channels = k.dim(2) * k.dim(3);
    if (!IsFloatVector(c->bias, channels)) {
      return Status::InvalidArgument(where + ": bias is " + Describe(c->bias) +
                                     ", expected float32 [" + std::to_string(channels) + "]");
    }
    Shape out{x[0], WindowOut(x[1], k.dim(0), c->stride_h, c->dilation_h, c->padding),
              WindowOut(x[2], k.dim(1), c->stride_w, c->dilation_w, c->padding), channels};
    if (out[1] <= 0 || out[2] <= 0) {
      return Status::InvalidArgument(where + ": kernel larger than the input " + ShapeToString(x));
    }
    return out;
  }
  if (const auto* p = std::get_if<Pool2DOp>(&op)) {
    RETURN_IF_ERROR(CheckSpatial(where, p->stride_h, p->stride_w, 1, 1));
    if (x.size() != 4 || p->filter_h < 1 || p->filter_w < 1) {
      return Status::InvalidArgument(where + ": input is " + ShapeToString(x) +
                                     ", expected NHWC and a filter >= 1");
    }
    Shape out{x[0], WindowOut(x[1], p->filter_h, p->stride_h, 1, p->padding),
              WindowOut(x[2], p->filter_w, p->stride_w, 1, p->padding), x[3]};
    if (out[1] <= 0 || out[2] <= 0) {
      return Status::InvalidArgument(where + ": pool window larger than the input " +
                                     ShapeToString(x));
    }
    return out;
  }
  if (const auto* m = std::get_if<MeanOp>(&op)) {
    std::set<int64_t> axes;
    for (int a : m->axes) {
      const int64_t axis = a < 0 ? a + static_cast<int64_t>(x.size()) : a;
      if (axis <= 0 || axis >= static_cast<int64_t>(x.size()) || !axes.insert(axis).second) {
        return Status::InvalidArgument(where + ": axis " + std::to_string(a) +
                                       " is the batch, out of range or repeated for input " +
                                       ShapeToString(x));
      }
    }
    if (axes.empty()) return Status::InvalidArgument(where + ": no axes");
    Shape out;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!axes.count(static_cast<int64_t>(i))) {
        out.push_back(x[i]);
      } else if (m->keep_dims) {
        out.push_back(1);
      }
    }
    return out;
  }
  if (const auto* r = std::get_if<ReshapeOp>(&op)) {
    int64_t known = 1, inferred = -1;
    const int64_t total = NumElements(Shape(x.begin() + 1, x.end()));
    Shape out{x[0]};
    for (size_t i = 0; i < r->shape.size(); ++i) {
      const int64_t d = r->shape[i];
      if (d == -1 && inferred < 0) {
        inferred = static_cast<int64_t>(i);
      } else if (d <= 0) {
        return Status::InvalidArgument(where + ": target shape " + ShapeToString(r->shape) +
                                       " has a bad dimension");
      } else {
        known *= d;
      }
      out.push_back(d);
    }
    if (inferred >= 0) {
      if (total % known != 0) {
        return Status::InvalidArgument(where + ": cannot reshape " + ShapeToString(x) + " to " +
                                       ShapeToString(r->shape));
      }
      out[static_cast<size_t>(inferred) + 1] = total / known;
    } else if (known != total) {
      return Status::InvalidArgument(where + ": cannot reshape " + ShapeToString(x) + " to " +
                                     ShapeToString(r->shape));
    }
    return out;
  }
  if (std::holds_alternative<SoftmaxOp>(op) || std::holds_alternative<ActivationOp>(op) ||
      std::holds_alternative<BatchNormOp>(op)) {
    if (x.size() < 2) return Status::InvalidArgument(where + ": input rank must be >= 2");
    return x;
  }
  if (const auto* b = std::get_if<BinaryOp>(&op)) {
    StatusOr<Shape> out = Status::OK();
    if (b->constant.has_value()) {
      if (b->constant->dtype() != DType::kFloat32 || b->constant->num_elements() <= 0) {
        return Status::InvalidArgument(where + ": constant is " + Describe(*b->constant) +
                                       ", expected float32");
      }
      out = Broadcast(x, b->constant->shape());
    } else {
      out = Broadcast(x, in[1]);
    }
    if (!out.ok()) return Status::InvalidArgument(where + ": " + out.status().message());
    if (out->size() != x.size() && !b->constant.has_value()) {
      return Status::InvalidArgument(where + ": inputs must have the same rank");
    }
    if (out->size() != x.size() || (*out)[0] != -1) {
      return Status::InvalidArgument(where + ": the constant " +
                                     ShapeToString(b->constant->shape()) +
                                     " must not add dimensions to the input " + ShapeToString(x));
    }
    return *out;
  }
  if (const auto* c = std::get_if<ConcatOp>(&op)) {
    const int64_t rank = static_cast<int64_t>(x.size());
    const int64_t axis = c->axis < 0 ? c->axis + rank : c->axis;
    if (axis <= 0 || axis >= rank) {
      return Status::InvalidArgument(where + ": axis " + std::to_string(c->axis) +
                                     " is the batch or out of range for " + ShapeToString(x));
    }
    Shape out = x;
    for (size_t i = 1; i < in.size(); ++i) {
      bool ok = static_cast<int64_t>(in[i].size()) == rank;
      for (int64_t d = 0; ok && d < rank; ++d) {
        if (d != axis && in[i][static_cast<size_t>(d)] != x[static_cast<size_t>(d)]) ok = false;
      }
      if (!ok) {
        return Status::InvalidArgument(where + ": input " + std::to_string(i) + " " +
                                       ShapeToString(in[i]) + " does not match " +
                                       ShapeToString(x) + " outside axis " + std::to_string(axis));
      }
      out[static_cast<size_t>(axis)] += in[i][static_cast<size_t>(axis)];
    }
    return out;
  }
  const auto& p = std::get<PadOp>(op);
  if (p.paddings.size() != x.size() || p.paddings[0][0] != 0 || p.paddings[0][1] != 0) {
    return Status::InvalidArgument(where + ": paddings need one {before, after} per dim of " +
                                   ShapeToString(x) + ", zero for the batch");
  }
  Shape out = x;
  for (size_t i = 1; i < x.size(); ++i) {
    if (p.paddings[i][0] < 0 || p.paddings[i][1] < 0) {
      return Status::InvalidArgument(where + ": negative padding");
    }
    out[i] += p.paddings[i][0] + p.paddings[i][1];
  }
  return out;
}

FusedActivation* FusableActivationSlot(InferenceOp& op) {
  if (auto* d = std::get_if<DenseOp>(&op)) return &d->activation;
  if (auto* c = std::get_if<Conv2DOp>(&op)) return &c->activation;
  if (auto* c = std::get_if<DepthwiseConv2DOp>(&op)) return &c->activation;
  // SUB's fused activation lives in SubOptions, which our schema subset
  // lacks: a RELU after a SUB stays a separate op.
  if (auto* b = std::get_if<BinaryOp>(&op)) {
    return b->kind == BinaryKind::kSub ? nullptr : &b->activation;
  }
  return nullptr;
}

// Folds y = s * x + t (per output channel) into the op's kernel and bias.
void FoldAffine(InferenceOp& op, const std::vector<float>& s, const std::vector<float>& t) {
  auto fold = [&](Tensor& kernel, Tensor& bias) {
    const int64_t channels = bias.dim(0);
    float* k = kernel.data<float>();
    for (int64_t i = 0; i < kernel.num_elements(); ++i)
      k[i] *= s[static_cast<size_t>(i % channels)];
    float* b = bias.data<float>();
    for (int64_t c = 0; c < channels; ++c) {
      b[c] = b[c] * s[static_cast<size_t>(c)] + t[static_cast<size_t>(c)];
    }
  };
  // In all three Keras layouts the output channel is the fastest-varying
  // index of the kernel ([in, out], [kh, kw, in, out], [kh, kw, C, mult]
  // with channel c*mult + m), so one loop serves them all.
  if (auto* d = std::get_if<DenseOp>(&op)) fold(d->kernel, d->bias);
  if (auto* c = std::get_if<Conv2DOp>(&op)) fold(c->kernel, c->bias);
  if (auto* c = std::get_if<DepthwiseConv2DOp>(&op)) fold(c->kernel, c->bias);
}

}  // namespace

StatusOr<LoweredGraph> LowerGraph(const InferenceGraph& graph) {
  LoweredGraph g;
  g.model_name = graph.model_name;
  std::vector<GraphInput> inputs = graph.inputs;
  if (inputs.empty()) inputs.push_back({graph.input_name, graph.input_shape});
  std::map<std::string, int> by_name;  // tensor name -> value id
  for (const GraphInput& in : inputs) {
    if (in.name.empty()) return Status::InvalidArgument("converter: an input name is empty");
    if (in.shape.size() < 2 || in.shape[0] != -1) {
      return Status::InvalidArgument("converter: input '" + in.name + "' shape " +
                                     ShapeToString(in.shape) +
                                     " is not supported (expected [-1, ...])");
    }
    for (size_t i = 1; i < in.shape.size(); ++i) {
      if (in.shape[i] <= 0 || in.shape[i] > INT32_MAX) {
        return Status::InvalidArgument("converter: input '" + in.name + "' shape " +
                                       ShapeToString(in.shape) + " has a non-static dimension");
      }
    }
    if (!by_name.emplace(in.name, static_cast<int>(g.values.size())).second) {
      return Status::InvalidArgument("converter: input name '" + in.name + "' is repeated");
    }
    g.inputs.push_back(static_cast<int>(g.values.size()));
    g.values.push_back({in.name, in.shape});
  }
  if (graph.ops.empty()) return Status::InvalidArgument("converter: the graph has no ops");

  // Pass 1: wiring and shapes, one node per op.
  int previous = g.inputs.size() == 1 ? g.inputs[0] : -1;
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const InferenceOp& op = graph.ops[i];
    const std::string where = Where(i, op);
    if (OpName(op).empty()) return Status::InvalidArgument(where + ": name is empty");
    LoweredNode node{op, {}, -1};
    if (OpInputs(op).empty()) {
      if (previous < 0) {
        return Status::InvalidArgument(where + ": has no inputs and the graph has " +
                                       std::to_string(g.inputs.size()) + " inputs");
      }
      node.inputs.push_back(previous);
    }
    for (const std::string& name : OpInputs(op)) {
      auto it = by_name.find(name);
      if (it == by_name.end()) {
        return Status::InvalidArgument(where + ": input '" + name +
                                       "' is not a graph input or an earlier op");
      }
      node.inputs.push_back(it->second);
    }
    std::vector<Shape> in_shapes;
    for (int v : node.inputs) in_shapes.push_back(g.values[static_cast<size_t>(v)].shape);
    ASSIGN_OR_RETURN(Shape out, InferShape(where, op, in_shapes));
    if (const auto* bn = std::get_if<BatchNormOp>(&op)) {
      const int64_t c = out.back();
      for (const Tensor* t : {&bn->gamma, &bn->beta, &bn->mean, &bn->variance}) {
        if (!IsFloatVector(*t, c)) {
          return Status::InvalidArgument(where + ": parameter is " + Describe(*t) +
                                         ", expected float32 [" + std::to_string(c) + "]");
        }
      }
      if (!(bn->epsilon >= 0)) return Status::InvalidArgument(where + ": epsilon < 0");
    }
    if (!by_name.emplace(OpName(op), static_cast<int>(g.values.size())).second) {
      return Status::InvalidArgument(where + ": name is already used");
    }
    node.output = static_cast<int>(g.values.size());
    previous = node.output;
    g.values.push_back({OpName(op), std::move(out)});
    g.nodes.push_back(std::move(node));
  }
  if (graph.outputs.empty()) {
    if (graph.output_name.empty())
      return Status::InvalidArgument("converter: output_name is empty");
    g.outputs.emplace_back(graph.output_name, g.nodes.back().output);
  }
  for (const GraphOutput& out : graph.outputs) {
    auto it = by_name.find(out.tensor);
    if (out.name.empty() || it == by_name.end()) {
      return Status::InvalidArgument("converter: output '" + out.name + "' names tensor '" +
                                     out.tensor + "', which does not exist");
    }
    g.outputs.emplace_back(out.name, it->second);
  }

  // Pass 2: fold BatchNorm, fuse activations. `alias[v]` = the value that now
  // holds v's contents.
  std::vector<int> alias(g.values.size());
  for (size_t v = 0; v < alias.size(); ++v) alias[v] = static_cast<int>(v);
  // Readers of each value (ops and graph outputs), kept up to date as
  // values merge.
  std::vector<int> uses(g.values.size(), 0);
  for (const LoweredNode& node : g.nodes) {
    for (int v : node.inputs) ++uses[static_cast<size_t>(v)];
  }
  for (const auto& out : g.outputs) ++uses[static_cast<size_t>(out.second)];
  std::vector<LoweredNode> nodes;
  for (LoweredNode& node : g.nodes) {
    for (int& v : node.inputs) v = alias[static_cast<size_t>(v)];
    LoweredNode* prev = nullptr;
    if (!nodes.empty() && nodes.back().output == node.inputs[0] &&
        uses[static_cast<size_t>(node.inputs[0])] == 1) {
      prev = &nodes.back();
    }
    if (auto* dense = std::get_if<DenseOp>(&node.op)) {
      // A MUL or ADD by a scalar constant whose only reader is this Dense (a
      // Rescaling layer: the Transform's scale_by_min_max in a served model)
      // is folded into it, as TF's converter fuses them:
      //   W (x * s) + b = (s W) x + b;   W (x + t) + b = W x + (b + t colsum(W)).
      // The transform then costs nothing per Invoke, and int8 models quantize
      // the raw input directly.
      while (!nodes.empty() && nodes.back().output == node.inputs[0] &&
             uses[static_cast<size_t>(node.inputs[0])] == 1) {
        const auto* bin = std::get_if<BinaryOp>(&nodes.back().op);
        if (bin == nullptr || !bin->constant || bin->constant->num_elements() != 1 ||
            bin->constant->dtype() != DType::kFloat32 ||
            bin->activation != FusedActivation::kNone ||
            (bin->kind != BinaryKind::kMul && bin->kind != BinaryKind::kAdd)) {
          break;
        }
        const float c = bin->constant->data<float>()[0];
        const int64_t units = dense->bias.dim(0);
        float* k = dense->kernel.data<float>();
        if (bin->kind == BinaryKind::kMul) {
          for (int64_t i = 0; i < dense->kernel.num_elements(); ++i) k[i] *= c;
        } else {
          float* b = dense->bias.data<float>();
          for (int64_t u = 0; u < units; ++u) {
            double column = 0;  // in double: 784 terms summed without drift
            for (int64_t i = u; i < dense->kernel.num_elements(); i += units) column += k[i];
            b[u] += static_cast<float>(c * column);
          }
        }
        node.inputs[0] = nodes.back().inputs[0];
        nodes.pop_back();
      }
    }
    if (const auto* bn = std::get_if<BatchNormOp>(&node.op)) {
      const int64_t c = bn->gamma.dim(0);
      std::vector<float> s(static_cast<size_t>(c)), t(static_cast<size_t>(c));
      for (int64_t i = 0; i < c; ++i) {
        s[static_cast<size_t>(i)] =
            bn->gamma.data<float>()[i] / std::sqrt(bn->variance.data<float>()[i] + bn->epsilon);
        t[static_cast<size_t>(i)] =
            bn->beta.data<float>()[i] - bn->mean.data<float>()[i] * s[static_cast<size_t>(i)];
      }
      FusedActivation* slot = prev ? FusableActivationSlot(prev->op) : nullptr;
      if (slot != nullptr && *slot == FusedActivation::kNone &&
          !std::holds_alternative<BinaryOp>(prev->op)) {
        FoldAffine(prev->op, s, t);
        alias[static_cast<size_t>(node.output)] = prev->output;
        uses[static_cast<size_t>(prev->output)] = uses[static_cast<size_t>(node.output)];
        continue;
      }
      // Not foldable: MUL by the scale, then ADD the offset, as TF emits it.
      const std::string name = bn->name;
      BinaryOp mul{name + "/mul", BinaryKind::kMul, Tensor::FromVector({c}, s)};
      BinaryOp add{name, BinaryKind::kAdd, Tensor::FromVector({c}, t)};
      const int mid = static_cast<int>(g.values.size());
      g.values.push_back({mul.name, g.values[static_cast<size_t>(node.output)].shape});
      alias.push_back(mid);
      uses.push_back(1);
      nodes.push_back({std::move(mul), node.inputs, mid});
      nodes.push_back({std::move(add), {mid}, node.output});
      continue;
    }
    if (const auto* act = std::get_if<ActivationOp>(&node.op)) {
      const bool fusable =
          act->kind == ActivationKind::kRelu || act->kind == ActivationKind::kRelu6;
      FusedActivation* slot = prev ? FusableActivationSlot(prev->op) : nullptr;
      if (fusable && slot != nullptr && *slot == FusedActivation::kNone) {
        *slot =
            act->kind == ActivationKind::kRelu ? FusedActivation::kRelu : FusedActivation::kRelu6;
        // The fused op now produces the activation's tensor.
        alias[static_cast<size_t>(prev->output)] = node.output;
        prev->output = node.output;
        continue;
      }
    }
    nodes.push_back(std::move(node));
  }
  g.nodes = std::move(nodes);
  for (auto& out : g.outputs) out.second = alias[static_cast<size_t>(out.second)];
  return g;
}

// ---- Float reference forward pass -----------------------------------------
// Plain loops in double accumulators: this is an oracle and a calibrator, not
// a runtime, so clarity beats speed.

namespace {

float Activate(float v, FusedActivation a) {
  if (a == FusedActivation::kRelu) return std::max(v, 0.0f);
  if (a == FusedActivation::kRelu6) return std::min(std::max(v, 0.0f), 6.0f);
  return v;
}

Shape WithBatch(const Shape& s, int64_t batch) {
  Shape out = s;
  out[0] = batch;
  return out;
}

// Index into a tensor of `shape` broadcast to `out_shape` for the flat output
// index `i` (row-major).
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

void Conv(const Tensor& x, Tensor& y, const Tensor& kernel, const Tensor& bias, int sh, int sw,
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

StatusOr<Tensor> Eval(const LoweredNode& node, const std::vector<const Tensor*>& in,
                      const Shape& out_shape) {
  const Tensor& x = *in[0];
  Tensor y(DType::kFloat32, out_shape);
  const float* px = x.data<float>();
  float* py = y.data<float>();
  const int64_t n = y.num_elements();
  if (const auto* d = std::get_if<DenseOp>(&node.op)) {
    const int64_t B = x.dim(0), I = x.dim(1), U = d->kernel.dim(1);
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t u = 0; u < U; ++u) {
        double acc = d->bias.data<float>()[u];
        for (int64_t i = 0; i < I; ++i) {
          acc += static_cast<double>(px[b * I + i]) * d->kernel.data<float>()[i * U + u];
        }
        py[b * U + u] = Activate(static_cast<float>(acc), d->activation);
      }
    }
  } else if (const auto* c = std::get_if<Conv2DOp>(&node.op)) {
    Conv(x, y, c->kernel, c->bias, c->stride_h, c->stride_w, c->dilation_h, c->dilation_w,
         c->padding, false, c->activation);
  } else if (const auto* c = std::get_if<DepthwiseConv2DOp>(&node.op)) {
    Conv(x, y, c->kernel, c->bias, c->stride_h, c->stride_w, c->dilation_h, c->dilation_w,
         c->padding, true, c->activation);
  } else if (const auto* p = std::get_if<Pool2DOp>(&node.op)) {
    const int64_t B = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
    const int64_t OH = y.dim(1), OW = y.dim(2);
    const int64_t ph = PadBefore(H, OH, p->filter_h, p->stride_h, 1, p->padding);
    const int64_t pw = PadBefore(W, OW, p->filter_w, p->stride_w, 1, p->padding);
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t oy = 0; oy < OH; ++oy) {
        for (int64_t ox = 0; ox < OW; ++ox) {
          for (int64_t c = 0; c < C; ++c) {
            double acc = p->kind == PoolKind::kMax ? -INFINITY : 0.0;
            int64_t count = 0;
            for (int64_t ky = 0; ky < p->filter_h; ++ky) {
              const int64_t iy = oy * p->stride_h - ph + ky;
              if (iy < 0 || iy >= H) continue;
              for (int64_t kx = 0; kx < p->filter_w; ++kx) {
                const int64_t ix = ox * p->stride_w - pw + kx;
                if (ix < 0 || ix >= W) continue;
                const double v = px[((b * H + iy) * W + ix) * C + c];
                acc = p->kind == PoolKind::kMax ? std::max(acc, v) : acc + v;
                ++count;
              }
            }
            // Average pooling divides by the in-bounds count (TFLite's rule).
            if (p->kind == PoolKind::kAverage)
              acc /= static_cast<double>(std::max<int64_t>(count, 1));
            py[((b * OH + oy) * OW + ox) * C + c] = static_cast<float>(acc);
          }
        }
      }
    }
  } else if (const auto* m = std::get_if<MeanOp>(&node.op)) {
    const Shape& s = x.shape();
    std::vector<bool> reduced(s.size(), false);
    for (int a : m->axes)
      reduced[static_cast<size_t>(a < 0 ? a + static_cast<int>(s.size()) : a)] = true;
    std::vector<double> sum(static_cast<size_t>(n), 0.0);
    int64_t count = 1;
    for (size_t d = 0; d < s.size(); ++d) count *= reduced[d] ? s[d] : 1;
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      int64_t rem = i, oi = 0, stride = 1;
      for (size_t d = s.size(); d-- > 0;) {
        const int64_t coord = rem % s[d];
        rem /= s[d];
        if (!reduced[d]) {
          oi += coord * stride;
          stride *= s[d];
        }
      }
      sum[static_cast<size_t>(oi)] += px[i];
    }
    for (int64_t i = 0; i < n; ++i) py[i] = static_cast<float>(sum[static_cast<size_t>(i)] / count);
  } else if (std::holds_alternative<ReshapeOp>(node.op)) {
    std::copy(px, px + n, py);
  } else if (const auto* s = std::get_if<SoftmaxOp>(&node.op)) {
    const int64_t width = x.shape().back();
    for (int64_t r = 0; r < n / width; ++r) {
      const float* row = px + r * width;
      const float mx = *std::max_element(row, row + width);
      double sum = 0;
      for (int64_t c = 0; c < width; ++c)
        sum += std::exp(static_cast<double>(row[c] - mx) * s->beta);
      for (int64_t c = 0; c < width; ++c) {
        py[r * width + c] =
            static_cast<float>(std::exp(static_cast<double>(row[c] - mx) * s->beta) / sum);
      }
    }
  } else if (const auto* a = std::get_if<ActivationOp>(&node.op)) {
    for (int64_t i = 0; i < n; ++i) {
      const float v = px[i];
      switch (a->kind) {
        case ActivationKind::kRelu:
          py[i] = std::max(v, 0.0f);
          break;
        case ActivationKind::kRelu6:
          py[i] = std::min(std::max(v, 0.0f), 6.0f);
          break;
        case ActivationKind::kLogistic:
          py[i] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(v))));
          break;
        case ActivationKind::kTanh:
          py[i] = std::tanh(v);
          break;
        case ActivationKind::kHardSwish:
          py[i] = v * std::min(std::max(v + 3.0f, 0.0f), 6.0f) / 6.0f;
          break;
      }
    }
  } else if (const auto* b = std::get_if<BinaryOp>(&node.op)) {
    const Tensor& other = b->constant.has_value() ? *b->constant : *in[1];
    const float* po = other.data<float>();
    for (int64_t i = 0; i < n; ++i) {
      const float u = px[BroadcastIndex(x.shape(), out_shape, i)];
      const float v = po[BroadcastIndex(other.shape(), out_shape, i)];
      const float r = b->kind == BinaryKind::kAdd   ? u + v
                      : b->kind == BinaryKind::kSub ? u - v
                                                    : u * v;
      py[i] = Activate(r, b->activation);
    }
  } else if (const auto* c = std::get_if<ConcatOp>(&node.op)) {
    const int64_t rank = x.rank();
    const int64_t axis = c->axis < 0 ? c->axis + rank : c->axis;
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= out_shape[static_cast<size_t>(d)];
    const int64_t out_inner = n / outer;
    int64_t offset = 0;
    for (const Tensor* t : in) {
      const int64_t inner = t->num_elements() / outer;
      for (int64_t o = 0; o < outer; ++o) {
        std::copy(t->data<float>() + o * inner, t->data<float>() + (o + 1) * inner,
                  py + o * out_inner + offset);
      }
      offset += inner;
    }
  } else if (const auto* p = std::get_if<PadOp>(&node.op)) {
    std::fill(py, py + n, 0.0f);
    const Shape& s = x.shape();
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      int64_t rem = i, oi = 0, stride = 1;
      for (size_t d = s.size(); d-- > 0;) {
        const int64_t coord = rem % s[d];
        rem /= s[d];
        oi += (coord + p->paddings[d][0]) * stride;
        stride *= out_shape[d];
      }
      py[oi] = px[i];
    }
  } else {
    return Status::Internal("converter: op '" + OpName(node.op) + "' (" + OpKindName(node.op) +
                            ") reached the reference evaluator unlowered");
  }
  return y;
}

}  // namespace

StatusOr<std::vector<Tensor>> RunLoweredGraph(
    const LoweredGraph& graph, const std::vector<Tensor>& inputs,
    const std::function<void(int value, const Tensor& tensor)>& visit) {
  if (inputs.size() != graph.inputs.size()) {
    return Status::InvalidArgument("converter: got " + std::to_string(inputs.size()) +
                                   " input tensors for " + std::to_string(graph.inputs.size()) +
                                   " graph inputs");
  }
  std::vector<Tensor> values(graph.values.size());
  const int64_t batch = inputs[0].rank() > 0 ? inputs[0].dim(0) : 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const LoweredValue& v = graph.values[static_cast<size_t>(graph.inputs[i])];
    if (inputs[i].dtype() != DType::kFloat32 || inputs[i].shape() != WithBatch(v.shape, batch) ||
        batch <= 0) {
      return Status::InvalidArgument("converter: input '" + v.name + "' is " + Describe(inputs[i]) +
                                     ", expected float32 " +
                                     ShapeToString(WithBatch(v.shape, batch)));
    }
    values[static_cast<size_t>(graph.inputs[i])] = inputs[i];
    if (visit) visit(graph.inputs[i], inputs[i]);
  }
  for (const LoweredNode& node : graph.nodes) {
    std::vector<const Tensor*> in;
    for (int v : node.inputs) in.push_back(&values[static_cast<size_t>(v)]);
    ASSIGN_OR_RETURN(
        Tensor y,
        Eval(node, in, WithBatch(graph.values[static_cast<size_t>(node.output)].shape, batch)));
    if (visit) visit(node.output, y);
    values[static_cast<size_t>(node.output)] = std::move(y);
  }
  std::vector<Tensor> outputs;
  for (const auto& out : graph.outputs) outputs.push_back(values[static_cast<size_t>(out.second)]);
  return outputs;
}

}  // namespace edgepipe::lite
