// Interpreter: runs a .tflite model on the CPU: float32, int8 (TFLite's
// fixed-point requantization, bit-exact with its reference kernels) and
// hybrid (dynamic-range int8 weights) operators; the list is in
// kernels/op_resolver.h.
//
//   ASSIGN_OR_RETURN(auto interp, lite::Interpreter::FromFile(path));
//   ASSIGN_OR_RETURN(int in, interp->GetInputIndex("serving_default", "image_floats"));
//   ASSIGN_OR_RETURN(int out, interp->GetOutputIndex("serving_default", "output_0"));
//   RETURN_IF_ERROR(interp->ResizeInputBatch(n));      // the -1 batch dim
//   RETURN_IF_ERROR(interp->SetInput(in, batch));       // float32 [n, 784]
//   RETURN_IF_ERROR(interp->Invoke());
//   lite::TensorView logits = interp->output(out);      // [n, 10]
//
// Loading is all-or-nothing: the flatbuffers Verifier runs first, then every
// semantic check (tensor/buffer/opcode indices in range, buffer sizes against
// shape x dtype, operator arity, supported ops, single subgraph, a tensor is
// read only after it is written; sparse constants are densified), then
// operators whose inputs are all constants and whose kernel allows it
// (DEQUANTIZE of float16/int8 weights, DENSIFY) run once and become
// constants, then every kernel's Prepare. A model using operators no kernel
// implements is refused with one error naming every such operator. Any failure is
// one Status whose message starts with the file name, e.g.
//   "m.tflite: tensor 3: buffer 7 holds 100 bytes, shape [64,784] float32 needs 200704".
// Nothing in a file can make the interpreter crash.
//
// Memory: the interpreter owns an aligned copy of the model bytes (constant
// tensors point into it) and one arena for all activations and scratch,
// planned once at load and re-planned only when an input is resized. Invoke
// allocates nothing. Graph inputs keep their bytes for the whole graph (as in
// TFLite), so an input set once serves any number of Invokes.
//
// Thread-safety: none; use one Interpreter per thread (they share nothing).
#ifndef EDGEPIPE_LITE_INTERPRETER_H_
#define EDGEPIPE_LITE_INTERPRETER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/lite/kernels/kernel.h"
#include "src/lite/schema/schema_generated.h"

namespace edgepipe::lite {

class OpResolver;

// The largest .tflite edgepipe reads: 2 GiB - 1, flatbuffers' own maximum
// (FLATBUFFERS_MAX_BUFFER_SIZE; 32-bit signed offsets cannot address more).
inline constexpr size_t kMaxModelBytes = FLATBUFFERS_MAX_BUFFER_SIZE;

struct InterpreterOptions {
  KernelOptions kernels;
  // Compute threads during Invoke: above 1, a ThreadPool (core/parallel.h)
  // that CONV_2D and DEPTHWISE_CONV_2D split their output rows over, float
  // element-wise ops their flat outputs and the int8 kernels their large
  // GEMMs, each only where the work pays for the
  // hand-off. An operator's first Invokes decide from a cost estimate
  // (ThreadPool::ChunksFor); one that ran unsplit is timed in its first
  // kTimedInvokes Invokes, and from then on its fastest time decides
  // (ThreadPool::ChunksForNanos): a memory-bound operator the estimate
  // undervalues splits once it is seen to take long enough, on whatever
  // machine it runs. oneDNN's sgemm itself runs on one
  // OpenMP thread (limited for the calling thread during Invoke only). Float
  // results do not depend on the thread count.
  // Above kMaxThreads (core/parallel.h) is InvalidArgument; a pool the OS
  // cannot start is ResourceExhausted (ThreadPool::Create), never an abort.
  int num_threads = 1;
  // Prepare (at load and on every resize) refuses a memory plan whose arena
  // would exceed this many bytes (InvalidArgument naming the size), so a
  // hostile or mistaken model cannot make us allocate without bound.
  size_t max_arena_bytes = size_t{1} << 30;
  // FromFile/FromBuffer refuse a model larger than this (ResourceExhausted,
  // before reading a byte of a regular file); see kMaxModelBytes.
  size_t max_model_bytes = kMaxModelBytes;
  // The kernels to use; nullptr = BuiltinOpResolver(). A custom resolver
  // (a copy of the builtin one plus custom operators, see
  // kernels/op_resolver.h) is borrowed: it and its registrations must
  // outlive the interpreter.
  const OpResolver* op_resolver = nullptr;
};

// Description of a model input or output.
struct TensorInfo {
  int tensor_index = -1;
  std::string name;
  schema::TensorType type = schema::TensorType_FLOAT32;
  std::vector<int32_t> shape;            // current shape
  std::vector<int32_t> shape_signature;  // as in the file (-1 = dynamic); empty if absent
};

// A borrowed view of a tensor's current contents. Valid until the next
// ResizeInput*/SetInput/Invoke on the interpreter, or its destruction.
struct TensorView {
  schema::TensorType type = schema::TensorType_FLOAT32;
  std::span<const int32_t> dims;
  const void* data = nullptr;
  size_t bytes = 0;

  // Requires the element type to match `type` (checked in debug builds).
  template <typename T>
  std::span<const T> values() const {
    return {static_cast<const T*>(data), bytes / sizeof(T)};
  }
};

class Interpreter {
 public:
  // Reads `path` and loads it; errors are prefixed with `path`.
  static StatusOr<std::unique_ptr<Interpreter>> FromFile(const std::string& path,
                                                         const InterpreterOptions& options = {});
  // Copies `bytes`; `name_for_errors` prefixes every error message.
  static StatusOr<std::unique_ptr<Interpreter>> FromBuffer(std::string_view bytes,
                                                           std::string name_for_errors,
                                                           const InterpreterOptions& options = {});
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  const std::string& name() const { return name_; }
  // The verified model (borrowed; lives as long as the interpreter).
  const schema::Model& model() const { return *model_; }
  size_t model_bytes() const { return model_size_; }
  size_t arena_bytes() const { return arena_bytes_; }

  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  // i must be in [0, num_inputs()) / [0, num_outputs()) (debug-checked).
  TensorInfo input_info(int i) const;
  TensorInfo output_info(int i) const;

  // Signature keys in file order (e.g. {"serving_default"}).
  std::vector<std::string> signature_keys() const;
  // Position among inputs()/outputs() of the signature's input/output `name`.
  // NotFound names the missing key or name and lists the available ones.
  StatusOr<int> GetInputIndex(std::string_view signature_key, std::string_view name) const;
  StatusOr<int> GetOutputIndex(std::string_view signature_key, std::string_view name) const;

  // Sets dim 0 of every input to `batch` and re-plans memory. Inputs whose
  // shape_signature fixes dim 0 to another value are an InvalidArgument.
  // Input contents are not preserved.
  Status ResizeInputBatch(int64_t batch);
  // Sets the shape of input i (dims fixed in its shape_signature must keep
  // their value) and re-plans memory.
  Status ResizeInput(int i, const std::vector<int32_t>& dims);
  // Several inputs at once, planned once: all or none of the changes apply.
  Status ResizeInputs(const std::vector<std::pair<int, std::vector<int32_t>>>& changes);

  // Copies `value` into input i. dtype and shape must equal the input's
  // current ones (resize first), else InvalidArgument naming both.
  Status SetInput(int i, const Tensor& value);
  // Copies raw bytes; the size must equal the input's current byte size.
  Status SetInput(int i, const void* data, size_t bytes);

  // Runs all operators. Fails only if a kernel's backend reports an error.
  Status Invoke();

  // The compute pool of Invoke (num_threads > 1), else nullptr; owned by the
  // interpreter. For its counters (ThreadPool::stats) in benchmarks.
  const ThreadPool* thread_pool() const { return pool_.get(); }

  TensorView input(int i) const;
  TensorView output(int i) const;
  // Copy of output i as an edgepipe Tensor (float32/int8/... only).
  StatusOr<Tensor> CopyOutput(int i) const;

  // Convenience for single-input, single-output models: resizes the batch if
  // needed, sets, invokes, copies the output.
  StatusOr<Tensor> Run(const Tensor& input);

  // The operators Invoke runs, in order (constant-folded ones excluded):
  // their position in the file's operator list and their kernel's name
  // ("CONV_2D", or a custom op's custom_code).
  struct ExecutedOperator {
    int index = 0;
    const char* name = "";  // static (the registration's); valid as long as the interpreter
  };
  std::vector<ExecutedOperator> executed_operators() const;
  // As Invoke, and adds each operator's wall time in microseconds (steady
  // clock around its Eval) to node_us[i], i its position in
  // executed_operators(). node_us.size() must equal that count
  // (InvalidArgument otherwise). For profiles (`lite bench --profile`):
  // the clock reads cost ~50 ns per operator over Invoke.
  Status InvokeTimed(std::span<double> node_us);

  // Invokes in which an operator that ran unsplit is timed (InterpreterOptions::num_threads).
  static constexpr int kTimedInvokes = 2;

 private:
  class Context;
  Interpreter();
  Status Load();
  // Runs once, after Load: every node whose registration allows it and whose
  // inputs are all constants is evaluated now, its outputs become constants
  // and it leaves the execution list (TFLite's constant DEQUANTIZE/DENSIFY).
  Status FoldConstants();
  Status Prepare(bool check_declared_shapes);
  Status Error(Status::Code code, const std::string& message) const;
  // A kernel's Eval error, prefixed with the operator's index and name.
  Status NodeError(size_t n, const Status& st) const;
  StatusOr<int> SignatureIndex(std::string_view signature_key, std::string_view name,
                               bool is_input) const;

  struct AlignedFree {
    void operator()(uint8_t* p) const;
  };
  using AlignedBytes = std::unique_ptr<uint8_t, AlignedFree>;

  std::string name_;
  InterpreterOptions options_;
  AlignedBytes model_storage_;
  size_t model_size_ = 0;
  const schema::Model* model_ = nullptr;
  // Constants whose bytes are not the file's: realigned (misaligned in the
  // file), densified (sparse) or folded (outputs of constant-input ops).
  std::vector<AlignedBytes> owned_constants_;

  std::vector<KernelTensor> tensors_;
  std::vector<std::vector<int32_t>> declared_dims_;  // shape as in the file, per tensor
  std::vector<Node> nodes_;
  std::vector<const OpRegistration*> registrations_;  // per node
  std::vector<int> inputs_;
  std::vector<int> outputs_;

  std::vector<size_t> scratch_bytes_;  // per scratch id
  std::vector<int> scratch_node_;      // node that requested it
  std::vector<uint8_t*> scratch_data_;
  AlignedBytes arena_;
  size_t arena_capacity_ = 0;
  size_t arena_bytes_ = 0;
  std::unique_ptr<Context> context_;
  std::unique_ptr<ThreadPool> pool_;  // num_threads > 1 only

  // Per node, with a pool: its fastest one-thread Eval in its first
  // kTimedInvokes Invokes (ns; -1 before), how many were timed, and whether
  // its cost estimate split it instead (then it is not timed and the estimate
  // keeps deciding). Reset by Prepare: a resize changes the work.
  struct NodeTiming {
    int64_t unsplit_ns = -1;
    int timed = 0;
    bool split_by_cost = false;
  };
  std::vector<NodeTiming> node_timing_;
  // Invoke and InvokeTimed (node_us empty: no profile).
  Status RunNodes(std::span<double> node_us);
};

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_INTERPRETER_H_
