// The contract between the interpreter and its kernels (TFLite Micro style).
//
// Each builtin operator is one file in src/lite/kernels/ that defines an
// OpRegistration with two functions:
//   - Prepare(ctx, node): runs when memory is planned (at load and after an
//     input resize). Does every type and shape check, sets the shapes of the
//     node's outputs (ctx.SetOutputDims), parses the operator's options into
//     node.op_data, decides the code path, and asks for scratch memory.
//     Returns a clear Status on any problem; the interpreter prefixes it with
//     the file and "operator <i> (<NAME>)".
//   - Eval(ctx, node): computes, checks nothing again, allocates nothing.
// The math itself lives in kernels/reference/ (plain pointers and dims) and
// kernels/optimized/ (oneDNN), never seeing these types.
//
// Ownership: tensors, nodes and scratch memory belong to the Interpreter;
// kernels only borrow them during a call. Not thread-safe (one interpreter,
// one thread).
#ifndef EDGEPIPE_LITE_KERNELS_KERNEL_H_
#define EDGEPIPE_LITE_KERNELS_KERNEL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "src/core/status.h"

namespace edgepipe {
class ThreadPool;
}
#include "src/lite/schema/schema_generated.h"

namespace edgepipe::lite {

// A tensor as kernels see it.
struct KernelTensor {
  std::string name;
  schema::TensorType type = schema::TensorType_FLOAT32;
  std::vector<int32_t> dims;  // current shape (all >= 0)
  uint8_t* data = nullptr;    // constant buffer or arena slice; valid after planning
  size_t bytes = 0;           // elements x element size for `dims`
  bool is_constant = false;   // backed by a model buffer (weights); never written
  // Affine quantization (real = scale * (q - zero_point)); empty when the
  // file gives none. Per-axis when size() > 1 (one per index of
  // quantized_dimension). The interpreter checks the lengths at load.
  std::vector<float> scales;
  std::vector<int32_t> zero_points;
  int quantized_dimension = 0;

  bool is_quantized() const { return !scales.empty(); }
  float scale() const { return scales.empty() ? 0.0f : scales[0]; }
  int32_t zero_point() const { return zero_points.empty() ? 0 : zero_points[0]; }

  int64_t num_elements() const {
    int64_t n = 1;
    for (int32_t d : dims) n *= d;
    return n;
  }
  template <typename T>
  T* data_as() const {
    return reinterpret_cast<T*>(data);
  }
};

// One operator instance of the graph.
struct Node {
  static constexpr size_t kOpDataBytes = 256;

  int index = 0;                         // position in the subgraph's operator list
  int32_t builtin_code = 0;              // schema::BuiltinOperator value
  std::vector<int> inputs;               // tensor indices; -1 = optional input absent
  std::vector<int> outputs;              // tensor indices
  const schema::Operator* op = nullptr;  // flatbuffer view (options), owned by the interpreter
  std::vector<int> scratch;              // scratch ids requested by Prepare, in request order

  // Kernel-private parameters filled by Prepare (no heap: trivially copyable
  // structs up to kOpDataBytes).
  template <typename T>
  T& op_data() {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= kOpDataBytes);
    return *reinterpret_cast<T*>(op_data_storage.data());
  }
  template <typename T>
  const T& op_data() const {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= kOpDataBytes);
    return *reinterpret_cast<const T*>(op_data_storage.data());
  }
  alignas(16) std::array<unsigned char, kOpDataBytes> op_data_storage{};

  // Per-node parameters too large for op_data (per-channel multipliers,
  // lookup tables, repacked weights), sized by Prepare and only read by Eval.
  std::vector<int32_t> params_i32;
  std::vector<float> params_f32;
  std::vector<int8_t> params_i8;
  std::vector<int16_t> params_i16;
};

// Interpreter-wide knobs kernels read in Prepare.
struct KernelOptions {
  // FULLY_CONNECTED uses oneDNN's sgemm when the batch is at least this
  // (0 = never: reference loops only, e.g. to cross-check). Measured here on
  // the 784-64-64-10 MLP, one thread: oneDNN 9 us vs 78 us for the plain loop
  // at batch 1, 3.3 vs 75 us per example at batch 10000, so always oneDNN.
  int64_t dnnl_min_batch = 1;
};

// What Prepare and Eval may touch. Implemented by the interpreter.
class KernelContext {
 public:
  virtual ~KernelContext() = default;
  virtual const KernelOptions& options() const = 0;
  virtual KernelTensor& tensor(int index) = 0;
  KernelTensor& input(const Node& node, int i) {
    return tensor(node.inputs[static_cast<size_t>(i)]);
  }
  KernelTensor& output(const Node& node, int i) {
    return tensor(node.outputs[static_cast<size_t>(i)]);
  }
  bool has_input(const Node& node, int i) const {
    return static_cast<size_t>(i) < node.inputs.size() && node.inputs[static_cast<size_t>(i)] >= 0;
  }
  // Prepare only: sets the shape an output will have (and its byte size).
  virtual Status SetOutputDims(const Node& node, int output, std::vector<int32_t> dims) = 0;
  // Prepare only: reserves `bytes` of scratch, live during this node's Eval
  // only; the id is appended to node.scratch.
  virtual Status RequestScratch(Node& node, size_t bytes) = 0;
  // Eval only: the memory of scratch id `id` (64-byte aligned).
  virtual void* scratch(int id) = 0;
  // Compute threads of Invoke (InterpreterOptions::num_threads, >= 1); known
  // in Prepare so kernels can plan one scratch slice per thread.
  virtual int num_threads() const { return 1; }
  // Eval only: the interpreter's compute pool when it runs with more than
  // one thread (InterpreterOptions::num_threads), else nullptr. Kernels
  // split work over it only where the work is large enough to pay for the
  // hand-off, and so that results do not depend on the thread count.
  virtual ThreadPool* thread_pool() { return nullptr; }
  // Eval only: how many pieces to split this node's `items` items of
  // `cost_per_item` units each into (ThreadPool::ChunksFor): 1 without a
  // pool. The interpreter answers from the node's own measured one-thread
  // time once it has one (Interpreter::Invoke). Use through parallel_bands.h.
  virtual int64_t ChunksFor(int64_t items, int64_t cost_per_item);
};

inline constexpr int kAnyNumberOfOutputs = -1;

// One kernel. Builtin kernels are static objects in their kernel files; a
// custom operator's registration (builtin_code CUSTOM, `name` = the model's
// custom_code) is owned by whoever registers it and must outlive every
// interpreter built with the resolver that holds it (a static object is the
// simple way). Prepare and Eval must not keep state outside the Node.
struct OpRegistration {
  int32_t builtin_code = 0;  // schema::BuiltinOperator; CUSTOM for a custom op
  const char* name = "";     // "FULLY_CONNECTED", or the custom_code of a custom op
  int min_inputs = 0;        // arity, checked by the interpreter before Prepare
  int max_inputs = 0;
  int num_outputs = 1;  // kAnyNumberOfOutputs: one or more (SPLIT, UNPACK)
  Status (*prepare)(KernelContext& ctx, Node& node) = nullptr;
  Status (*eval)(KernelContext& ctx, const Node& node) = nullptr;
  // When every input of the node is a constant, the interpreter runs it once
  // at load (Prepare, then Eval into memory it owns) and its outputs become
  // constants: no Invoke runs it again (TFLite does the same for DEQUANTIZE
  // of float16/int8 weights and for DENSIFY). Only for kernels whose Prepare
  // asks for no scratch memory.
  bool fold_constant_inputs = false;
};

// Shared Prepare checks; each returns InvalidArgument naming the tensor.
Status ExpectType(const KernelTensor& t, schema::TensorType type, const char* role);
Status ExpectRank(const KernelTensor& t, int rank, const char* role);

// If `t` is a float32 constant, every value is finite; else InvalidArgument
// naming the first bad element. For constants that a kernel converts to int
// (hybrid inputs, QUANTIZE): NaN/inf have no integer image. Non-constant
// tensors pass (their values are checked where converted).
Status ExpectFiniteIfConstant(const KernelTensor& t, const char* role);

// How a weighted op (FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D) computes,
// from its input and weight types: float32/float32, int8/int8, or hybrid
// (float32 input, int8 weights: dynamic-range quantization).
enum class WeightedMode : int32_t { kFloat, kInt8, kHybrid };

// Picks the mode, or InvalidArgument naming both tensors; `weights_role` is
// how the op calls its weights in the message ("filter", "weights"). A
// hybrid op's constant input must be finite (it is quantized at Eval). int8
// weights must be constant (Prepare packs them): Unimplemented otherwise.
StatusOr<WeightedMode> SelectWeightedMode(const KernelTensor& input, const KernelTensor& weights,
                                          const char* weights_role);

// The symmetric int8 weight scales of a hybrid op, one per output channel
// (`channels`; a per-tensor scale is repeated), into *scales. InvalidArgument
// naming the tensor unless there are 1 or `channels` scales, each > 0 with
// zero point 0. Sets *per_channel to whether the file had one per channel.
Status HybridWeightScales(const KernelTensor& weights, const char* weights_role, int64_t channels,
                          std::vector<float>* scales, bool* per_channel);

// A hybrid op's float input, quantized at Eval one row (batch entry) at a
// time: q = x / scale[r] + offset[r].
struct HybridInput {
  int8_t* q;         // [rows, row_elements]
  float* scales;     // [rows]
  int32_t* offsets;  // [rows]; 0 when symmetric
};
// Prepare: requests the three scratch buffers of HybridInput as the node's
// next three scratch ids.
Status RequestHybridInputScratch(KernelContext& ctx, Node& node, int64_t rows,
                                 int64_t row_elements);
// Eval: quantizes `in` into the buffers starting at node.scratch[first],
// asymmetrically (TFLite's per-channel hybrid kernels and
// asymmetric_quantize_inputs) or symmetrically (offset 0).
HybridInput QuantizeHybridInput(KernelContext& ctx, const Node& node, int first, const float* in,
                                int64_t rows, int64_t row_elements, bool asymmetric);

// Activation clamp bounds of a fused activation; Unimplemented for TANH and SIGN_BIT.
Status ActivationRange(schema::ActivationFunctionType act, float* min, float* max);

// Prepare checks for quantized tensors: `t` carries exactly one scale > 0
// (finite) and one zero point within the range of its type.
Status ExpectPerTensorQuantized(const KernelTensor& t, const char* role);
// `a` and `b` have the same (per-tensor) scale and zero point: ops that move
// int8 values without rescaling (reshape, pooling, pad, concatenation).
Status ExpectSameQuantization(const KernelTensor& a, const KernelTensor& b, const char* role_a,
                              const char* role_b);
// int8 FC/CONV/DEPTHWISE: multiplier input_scale · filter_scale[c] /
// output_scale per output channel (`channels` entries; a per-tensor filter
// repeats its one scale), as (multiplier, shift) pairs appended to
// node.params_i32: [m_0..m_{n-1}, s_0..s_{n-1}]. Also checks the filter
// is symmetric (zero points 0) and the bias, if any, is int32 with scale
// input_scale · filter_scale (within 1e-6 relative, as TFLite warns).
Status ComputeChannelMultipliers(const KernelTensor& input, const KernelTensor& filter,
                                 const KernelTensor* bias, const KernelTensor& output, int channels,
                                 Node& node);

// Shared checks of a rank-4 NHWC conv-like op: the padding of one spatial dim
// (TFLite's ComputePaddingHeightWidth). out_size is computed from padding.
struct SpatialPadding {
  int out_size = 0;
  int pad_before = 0;  // rows/cols of implicit zeros before the input
};
Status ComputeSpatialPadding(schema::Padding padding, int in_size, int filter_size, int stride,
                             int dilation, const char* what, SpatialPadding* out);

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_KERNELS_KERNEL_H_
