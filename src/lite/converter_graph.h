// The converter's middle end: an InferenceGraph validated, wired, optimised
// the way TF's converter optimises a Keras graph, with every tensor's shape
// known; plus a plain float reference forward pass over it (used to calibrate
// activation ranges and, in tests, as the oracle for converted models).
//
// Lowering rules (in this order):
//   - wiring: empty `inputs` = the previous op's output; names must be unique
//     and refer to graph inputs or earlier ops;
//   - BatchNorm after a Conv2D / DepthwiseConv2D / Dense without activation
//     whose output nothing else reads is folded into its kernel and bias;
//     any other BatchNorm becomes MUL(scale) + ADD(offset) with constants
//     (named "<bn>/mul" and "<bn>");
//   - MUL / ADD ops by a scalar constant right before a Dense that alone reads
//     them (a Rescaling layer) are folded into its kernel and bias;
//   - an Activation RELU/RELU6 after a Dense / Conv2D / DepthwiseConv2D /
//     Binary op without activation whose output nothing else reads is fused
//     into it (the op then carries the activation's tensor name);
//   - shapes: dim 0 is the batch (-1); everything else is static.
//
// Pure functions; thread-safe. Errors: InvalidArgument naming the op
// ("converter: op 3 (Conv2D 'conv2d_1'): ...").
#ifndef EDGEPIPE_LITE_CONVERTER_GRAPH_H_
#define EDGEPIPE_LITE_CONVERTER_GRAPH_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/lite/converter.h"

namespace edgepipe::lite {

struct LoweredValue {
  std::string name;  // graph input name or op name
  Shape shape;       // dim 0 = -1 (batch)
};

struct LoweredNode {
  InferenceOp op;           // BatchNormOp and fusable ActivationOps never appear here
  std::vector<int> inputs;  // value ids
  int output = -1;          // value id
};

struct LoweredGraph {
  std::string model_name;
  std::vector<LoweredValue> values;
  std::vector<int> inputs;                           // value ids, graph input order
  std::vector<std::pair<std::string, int>> outputs;  // signature key -> value id
  std::vector<LoweredNode> nodes;                    // execution order
};

StatusOr<LoweredGraph> LowerGraph(const InferenceGraph& graph);

// {before, after} padding of one spatial dim of a window op (convolution or
// pooling) from `in` to `out` elements: TF's SAME rule (the odd element goes
// after), zeros for VALID. For exporters that spell padding out (ONNX pads).
std::array<int64_t, 2> WindowPadding(int64_t in, int64_t out, int64_t filter, int stride,
                                     int dilation, Padding padding);

// Float forward pass of `graph` on `inputs` (float32, one per graph input,
// shape [B, ...] matching the input's static dims). `visit(value_id, tensor)`
// is called for every value, graph inputs included, as it is computed.
// Returns the graph outputs in order. InvalidArgument for inputs of the wrong
// count, dtype or shape.
StatusOr<std::vector<Tensor>> RunLoweredGraph(
    const LoweredGraph& graph, const std::vector<Tensor>& inputs,
    const std::function<void(int value, const Tensor& tensor)>& visit = {});

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_CONVERTER_GRAPH_H_
