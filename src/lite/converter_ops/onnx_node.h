// The ONNX side of the converter ops: each ConverterOp writes its node(s)
// through OnnxNode, over an OnnxBuilder that src/onnx implements with ONNX's
// protobuf messages, so the lite library needs no protobuf and each op's ONNX
// mapping sits next to its TFLite one (converter_ops/<op>.cc). Mapping rules
// shared by the ops (NHWC values, Transpose around NCHW ops, fused
// activations after the op) are described in src/onnx/onnx_export.h.
//
// Borrowing: OnnxNode borrows the builder, the graph and the node for one
// call of EmitOnnx. Not thread-safe.
#ifndef EDGEPIPE_LITE_CONVERTER_OPS_ONNX_NODE_H_
#define EDGEPIPE_LITE_CONVERTER_OPS_ONNX_NODE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "src/lite/converter.h"
#include "src/lite/converter_graph.h"

namespace edgepipe::lite {

// One ONNX graph under construction (implemented in src/onnx).
class OnnxBuilder {
 public:
  virtual ~OnnxBuilder() = default;
  // Adds a node with one output; returns `out`. Attributes go to the last node.
  virtual const std::string& Node(const std::string& op_type, std::vector<std::string> inputs,
                                  const std::string& out, const std::string& node_name) = 0;
  virtual void IntAttr(const std::string& name, int64_t v) = 0;
  virtual void FloatAttr(const std::string& name, float v) = 0;
  virtual void IntsAttr(const std::string& name, const std::vector<int64_t>& v) = 0;
  // Initializers; return `name`.
  virtual const std::string& FloatConst(const std::string& name, const std::vector<int64_t>& dims,
                                        const float* values) = 0;
  virtual const std::string& Int64Const(const std::string& name,
                                        const std::vector<int64_t>& values) = 0;
  // Clip's bounds for RELU6, shared by every use.
  virtual std::pair<std::string, std::string> Relu6Bounds() = 0;
};

// One lowered node being written: its input value names `in`, the name its
// result must carry `out`, and the shared mapping helpers.
class OnnxNode {
 public:
  OnnxNode(OnnxBuilder& w, const LoweredGraph& g, const LoweredNode& node,
           std::vector<std::string> in, std::string out)
      : w(w), in(std::move(in)), out(std::move(out)), g_(g), node_(node) {}

  OnnxBuilder& w;
  const std::vector<std::string> in;
  const std::string out;

  const Shape& InShape(size_t i) const;
  const Shape& OutShape() const;

  // The name of the op's result before its fused activation.
  std::string Pre(FusedActivation a) const;
  // Writes the fused activation of `x` into `out` (nothing for kNone).
  void Act(const std::string& x, FusedActivation a);
  // Transposes in[0] to NCHW; returns the transposed name.
  std::string ToNchw(const std::string& op);
  void ToNhwc(const std::string& x, const std::string& out_name, const std::string& op);
  // NCHW Conv wrapped in Transposes; weights already [out, in/group, kh, kw].
  void ConvNode(const std::string& name, const std::vector<float>& weights,
                const std::vector<int64_t>& dims, const Tensor& bias, int64_t group, int sh, int sw,
                int dh, int dw, Padding padding, FusedActivation act);

 private:
  const LoweredGraph& g_;
  const LoweredNode& node_;
};

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_CONVERTER_OPS_ONNX_NODE_H_
