// One home per converter op: everything the converter knows about one
// InferenceOp kind (converter.h) lives in one file, converter_ops/<op>.cc,
// as one ConverterOp:
//   - InferShape: output shape from the input shapes, validating weights
//     and attributes (used by LowerGraph, converter_graph.h);
//   - the lowering hooks: which fused-activation slot a RELU/RELU6 after it
//     may fuse into, and whether a BatchNorm after it folds into its kernel;
//   - EvalFloat: the float reference pass (calibration and test oracle,
//     RunLoweredGraph);
//   - EmitTflite: the TFLite operator(s), builtin options, version and the
//     int8 quantization rule of its output (calibrated, the input's, or
//     TFLite's fixed parameters), through TfliteEmitter (tflite_emitter.h);
//   - EmitOnnx: the ONNX node(s) (src/onnx's exporter), through OnnxNode
//     (onnx_node.h), so the lite library needs no protobuf;
//   - runtime_versions: rows of TF's runtime_version table for its operators.
//
// Registry: RuleOf(op) returns the rule of op's alternative. The InferenceOp
// variant is the registry's list; each op file defines RuleFor<ItsOp>(), and
// an alternative without one fails to link. Adding an op = its struct and
// variant entry in converter.h, one converter_ops/<op>.cc, tests.
//
// Rules are stateless singletons: thread-safe, alive for the whole program.
#ifndef EDGEPIPE_LITE_CONVERTER_OPS_CONVERTER_OP_H_
#define EDGEPIPE_LITE_CONVERTER_OPS_CONVERTER_OP_H_

#include <string>
#include <variant>
#include <vector>

#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/lite/converter.h"

namespace edgepipe::lite {

struct LoweredGraph;
struct LoweredNode;
class TfliteEmitter;
class OnnxNode;

// One row of TF's tools/versioning/runtime_version.cc: the oldest TFLite
// runtime that runs `builtin_op` (a schema::BuiltinOperator) at `version`.
struct RuntimeVersionRow {
  int builtin_op;
  int version;
  const char* runtime;
};

class ConverterOp {
 public:
  virtual ~ConverterOp() = default;

  // Keras class-like name ("Dense", "Conv2D", ...), used in error messages.
  virtual const char* kind() const = 0;

  // Number of inputs `op` takes; 0 = one or more.
  virtual size_t num_inputs(const InferenceOp&) const { return 1; }

  // Output shape (dim 0 = -1, the batch) for input shapes `in` (already
  // `num_inputs` long). InvalidArgument prefixed with `where` on bad weights,
  // attributes or shapes.
  virtual StatusOr<Shape> InferShape(const std::string& where, const InferenceOp& op,
                                     const std::vector<Shape>& in) const = 0;

  // The slot a following RELU/RELU6 may fuse into, or nullptr.
  virtual FusedActivation* ActivationSlot(InferenceOp&) const { return nullptr; }

  // Folds y = s * op(x) + t (per output channel) into op's kernel and bias;
  // false when op has none (the BatchNorm then stays a MUL + ADD).
  virtual bool FoldAffine(InferenceOp&, const std::vector<float>& /*s*/,
                          const std::vector<float>& /*t*/) const {
    return false;
  }

  // Float forward pass of one node: `in` float32 tensors with the batch
  // filled in, result of `out_shape`.
  virtual StatusOr<Tensor> EvalFloat(const InferenceOp& op, const std::vector<const Tensor*>& in,
                                     const Shape& out_shape) const = 0;

  virtual Status EmitTflite(const LoweredNode& node, TfliteEmitter& e) const = 0;
  virtual Status EmitOnnx(const LoweredNode& node, OnnxNode& e) const = 0;

  virtual std::vector<RuntimeVersionRow> runtime_versions() const { return {}; }
};

// Typed base: the op files implement the same functions on their own struct.
template <typename T>
class TypedConverterOp : public ConverterOp {
 public:
  virtual size_t Inputs(const T&) const { return 1; }
  virtual StatusOr<Shape> Infer(const std::string& where, const T& op,
                                const std::vector<Shape>& in) const = 0;
  virtual FusedActivation* Slot(T&) const { return nullptr; }
  virtual bool Fold(T&, const std::vector<float>&, const std::vector<float>&) const {
    return false;
  }
  virtual StatusOr<Tensor> Eval(const T& op, const std::vector<const Tensor*>& in,
                                const Shape& out_shape) const = 0;
  virtual Status Tflite(const T& op, const LoweredNode& node, TfliteEmitter& e) const = 0;
  virtual Status Onnx(const T& op, OnnxNode& e) const = 0;

  size_t num_inputs(const InferenceOp& op) const final { return Inputs(std::get<T>(op)); }
  StatusOr<Shape> InferShape(const std::string& where, const InferenceOp& op,
                             const std::vector<Shape>& in) const final {
    return Infer(where, std::get<T>(op), in);
  }
  FusedActivation* ActivationSlot(InferenceOp& op) const final { return Slot(std::get<T>(op)); }
  bool FoldAffine(InferenceOp& op, const std::vector<float>& s,
                  const std::vector<float>& t) const final {
    return Fold(std::get<T>(op), s, t);
  }
  StatusOr<Tensor> EvalFloat(const InferenceOp& op, const std::vector<const Tensor*>& in,
                             const Shape& out_shape) const final {
    return Eval(std::get<T>(op), in, out_shape);
  }
  Status EmitTflite(const LoweredNode& node, TfliteEmitter& e) const final;
  Status EmitOnnx(const LoweredNode& node, OnnxNode& e) const final;
};

// Defined once per alternative, in converter_ops/<op>.cc.
template <typename T>
const ConverterOp& RuleFor();

// The rule of op's alternative.
const ConverterOp& RuleOf(const InferenceOp& op);

// Every rule, in variant order.
const std::vector<const ConverterOp*>& AllRules();

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_CONVERTER_OPS_CONVERTER_OP_H_
