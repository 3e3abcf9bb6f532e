#include "src/lite/converter_graph.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>

#include "src/lite/converter_ops/converter_op.h"

namespace edgepipe::lite {

const std::string& OpName(const InferenceOp& op) {
  return std::visit([](const auto& o) -> const std::string& { return o.name; }, op);
}

const std::vector<std::string>& OpInputs(const InferenceOp& op) {
  return std::visit([](const auto& o) -> const std::vector<std::string>& { return o.inputs; }, op);
}

const char* OpKindName(const InferenceOp& op) { return RuleOf(op).kind(); }

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

// Shape of `op`'s output from its input shapes (the op's rule validates
// weights and attributes).
StatusOr<Shape> InferShape(const std::string& where, const InferenceOp& op,
                           const std::vector<Shape>& in) {
  const ConverterOp& rule = RuleOf(op);
  const size_t expected_inputs = rule.num_inputs(op);
  if (expected_inputs == 0 ? in.size() < 1 : in.size() != expected_inputs) {
    return Status::InvalidArgument(
        where + ": takes " +
        (expected_inputs ? std::to_string(expected_inputs) : std::string("one or more")) +
        " input(s), got " + std::to_string(in.size()));
  }
  return rule.InferShape(where, op, in);
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
      FusedActivation* slot = prev ? RuleOf(prev->op).ActivationSlot(prev->op) : nullptr;
      if (slot != nullptr && *slot == FusedActivation::kNone &&
          RuleOf(prev->op).FoldAffine(prev->op, s, t)) {
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
      FusedActivation* slot = prev ? RuleOf(prev->op).ActivationSlot(prev->op) : nullptr;
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
// Each op's EvalFloat (converter_ops/<op>.cc): plain loops in double
// accumulators, an oracle and a calibrator rather than a runtime.

namespace {

Shape WithBatch(const Shape& s, int64_t batch) {
  Shape out = s;
  out[0] = batch;
  return out;
}

std::string Describe(const Tensor& t) {
  return std::string(DTypeName(t.dtype())) + " " + ShapeToString(t.shape());
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
        RuleOf(node.op).EvalFloat(
            node.op, in, WithBatch(graph.values[static_cast<size_t>(node.output)].shape, batch)));
    if (visit) visit(node.output, y);
    values[static_cast<size_t>(node.output)] = std::move(y);
  }
  std::vector<Tensor> outputs;
  for (const auto& out : graph.outputs) outputs.push_back(values[static_cast<size_t>(out.second)]);
  return outputs;
}

}  // namespace edgepipe::lite
