#include "src/lite/interpreter.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>

#include "flatbuffers/flatbuffers.h"
#include "src/core/files.h"
#include "src/core/gemm.h"
#include "src/core/parallel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/memory_planner.h"
#include "src/lite/schema_util.h"
#include "src/lite/sparse_tensor.h"

namespace edgepipe::lite {
namespace {

// Tensors larger than this are refused: no model we run comes near it, and it
// keeps every byte count far from overflow.
constexpr int64_t kMaxTensorBytes = int64_t{1} << 40;

uint8_t* AlignedAlloc(size_t bytes) {
  const size_t rounded =
      (std::max<size_t>(bytes, 1) + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  return static_cast<uint8_t*>(std::aligned_alloc(kArenaAlignment, rounded));
}

// Element count of `dims`, or -1 if a dim is negative or the count exceeds
// kMaxTensorBytes elements. Checked before each multiply: the product of a few
// int32 dims overflows int64 long before a loop could notice afterwards.
int64_t CheckedElements(std::span<const int32_t> dims) {
  for (int32_t d : dims) {
    if (d < 0) return -1;
  }
  for (int32_t d : dims) {
    if (d == 0) return 0;
  }
  int64_t n = 1;
  for (int32_t d : dims) {
    if (n > kMaxTensorBytes / d) return -1;
    n *= d;
  }
  return n;
}

std::string PrintableIdentifier(const uint8_t* p) {
  std::string out;
  for (int i = 0; i < 4; ++i) {
    if (std::isprint(p[i])) {
      out += static_cast<char>(p[i]);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", p[i]);
      out += buf;
    }
  }
  return out;
}

std::string TensorLabel(int index, const std::string& name) {
  std::string out = "tensor " + std::to_string(index);
  if (!name.empty()) out += " '" + name + "'";
  return out;
}

}  // namespace

void Interpreter::AlignedFree::operator()(uint8_t* p) const { std::free(p); }

// The KernelContext the kernels see: a thin view over the interpreter's
// tensors and scratch memory.
class Interpreter::Context : public KernelContext {
 public:
  explicit Context(Interpreter* interp) : interp_(interp) {}
  const KernelOptions& options() const override { return interp_->options_.kernels; }
  KernelTensor& tensor(int index) override { return interp_->tensors_[static_cast<size_t>(index)]; }
  Status SetOutputDims(const Node& node, int output, std::vector<int32_t> dims) override {
    KernelTensor& t =
        interp_->tensors_[static_cast<size_t>(node.outputs[static_cast<size_t>(output)])];
    for (int32_t d : dims) {
      if (d < 0)
        return Status::InvalidArgument("computed output shape " + DimsToString(dims) +
                                       " has a negative dim");
    }
    const int64_t elements = CheckedElements(dims);
    const size_t elem = TensorTypeSize(t.type);
    if (elements < 0 || elements > kMaxTensorBytes / static_cast<int64_t>(elem)) {
      return Status::InvalidArgument("output shape " + DimsToString(dims) + " is too large");
    }
    t.dims = std::move(dims);
    t.bytes = static_cast<size_t>(elements) * elem;
    return Status::OK();
  }
  Status RequestScratch(Node& node, size_t bytes) override {
    node.scratch.push_back(static_cast<int>(interp_->scratch_bytes_.size()));
    interp_->scratch_bytes_.push_back(bytes);
    interp_->scratch_node_.push_back(node.index);
    return Status::OK();
  }
  void* scratch(int id) override { return interp_->scratch_data_[static_cast<size_t>(id)]; }
  ThreadPool* thread_pool() override { return interp_->pool_.get(); }
  int num_threads() const override { return std::max(interp_->options_.num_threads, 1); }
  // From the node's measured time once it has one (interpreter.h), else from
  // the kernel's cost estimate; remembers whether the node split.
  int64_t ChunksFor(int64_t items, int64_t cost_per_item) override {
    ThreadPool* pool = interp_->pool_.get();
    const auto& timing = interp_->node_timing_;
    const int64_t pieces =
        pool != nullptr && node_ < timing.size() && timing[node_].timed >= kTimedInvokes
            ? pool->ChunksForNanos(items, timing[node_].unsplit_ns)
            : KernelContext::ChunksFor(items, cost_per_item);
    if (pieces > 1) node_split_ = true;
    return pieces;
  }
  // Marks node n as the one whose Eval runs; EndNodes marks none (Evals
  // outside Invoke, such as folding constants, decide by cost).
  void BeginNode(size_t n) {
    node_ = n;
    node_split_ = false;
  }
  void EndNodes() { node_ = kNoNode; }
  bool node_split() const { return node_split_; }

 private:
  static constexpr size_t kNoNode = ~size_t{0};
  Interpreter* interp_;
  size_t node_ = kNoNode;
  bool node_split_ = false;
};

Interpreter::Interpreter() : context_(std::make_unique<Context>(this)) {}
Interpreter::~Interpreter() = default;

Status Interpreter::Error(Status::Code code, const std::string& message) const {
  const std::string msg = name_ + ": " + message;
  switch (code) {
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(msg);
    case Status::Code::kNotFound:
      return Status::NotFound(msg);
    case Status::Code::kIOError:
      return Status::IOError(msg);
    case Status::Code::kFailedPrecondition:
      return Status::FailedPrecondition(msg);
    case Status::Code::kUnimplemented:
      return Status::Unimplemented(msg);
    case Status::Code::kInternal:
      return Status::Internal(msg);
    case Status::Code::kResourceExhausted:
      return Status::ResourceExhausted(msg);
    default:
      return Status::Corruption(msg);
  }
}

StatusOr<std::unique_ptr<Interpreter>> Interpreter::FromFile(const std::string& path,
                                                             const InterpreterOptions& options) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, options.max_model_bytes));
  return FromBuffer(bytes, path, options);
}

StatusOr<std::unique_ptr<Interpreter>> Interpreter::FromBuffer(std::string_view bytes,
                                                               std::string name_for_errors,
                                                               const InterpreterOptions& options) {
  if (bytes.size() > options.max_model_bytes) {
    return Status::ResourceExhausted(name_for_errors + ": model is " +
                                     std::to_string(bytes.size()) + " bytes, expected at most " +
                                     std::to_string(options.max_model_bytes));
  }
  std::unique_ptr<Interpreter> interp(new Interpreter());
  interp->name_ = std::move(name_for_errors);
  interp->options_ = options;
  if (options.num_threads > 1) {
    auto pool = ThreadPool::Create(options.num_threads);
    if (!pool.ok()) return pool.status().WithContext(interp->name_);
    interp->pool_ = std::move(pool).value();
  }
  interp->model_size_ = bytes.size();
  // An aligned private copy: constant data (force_align 16 in the schema) is
  // then aligned in memory too, and the caller's buffer can go away.
  interp->model_storage_.reset(AlignedAlloc(bytes.size()));
  if (interp->model_storage_ == nullptr) {
    return Status::IOError(interp->name_ + ": cannot allocate " + std::to_string(bytes.size()) +
                           " bytes for the model");
  }
  if (!bytes.empty()) std::memcpy(interp->model_storage_.get(), bytes.data(), bytes.size());
  RETURN_IF_ERROR(interp->Load());
  RETURN_IF_ERROR(interp->FoldConstants());
  RETURN_IF_ERROR(interp->Prepare(/*check_declared_shapes=*/true));
  return interp;
}

Status Interpreter::Load() {
  using C = Status::Code;
  const uint8_t* base = model_storage_.get();
  if (model_size_ < 8) {
    return Error(C::kCorruption,
                 "file is " + std::to_string(model_size_) +
                     " bytes, too short for a TFLite flatbuffer (needs at least 8)");
  }
  if (!flatbuffers::BufferHasIdentifier(base, schema::ModelIdentifier())) {
    return Error(C::kCorruption, "offset 4: file identifier is '" + PrintableIdentifier(base + 4) +
                                     "', expected 'TFL3' (not a TFLite model)");
  }
  flatbuffers::Verifier verifier(base, model_size_);
  if (!schema::VerifyModelBuffer(verifier)) {
    return Error(C::kCorruption, "flatbuffer verification failed (" + std::to_string(model_size_) +
                                     " bytes): truncated or corrupted TFLite file");
  }
  model_ = schema::GetModel(base);
  if (model_->version() != kSchemaVersion) {
    return Error(C::kUnimplemented, "schema version " + std::to_string(model_->version()) +
                                        ", expected " + std::to_string(kSchemaVersion));
  }
  const auto* subgraphs = model_->subgraphs();
  if (subgraphs == nullptr || subgraphs->size() == 0) {
    return Error(C::kCorruption, "model has no subgraphs");
  }
  if (subgraphs->size() != 1) {
    return Error(C::kUnimplemented, "model has " + std::to_string(subgraphs->size()) +
                                        " subgraphs; only single-subgraph models are supported");
  }
  const schema::SubGraph* sg = subgraphs->Get(0);
  const uint32_t num_buffers = model_->buffers() ? model_->buffers()->size() : 0;
  const int num_tensors = sg->tensors() ? static_cast<int>(sg->tensors()->size()) : 0;

  // ---- tensors and their constant buffers ----
  tensors_.assign(static_cast<size_t>(num_tensors), KernelTensor{});
  declared_dims_.assign(static_cast<size_t>(num_tensors), {});
  for (int i = 0; i < num_tensors; ++i) {
    const schema::Tensor* ft = sg->tensors()->Get(static_cast<uint32_t>(i));
    KernelTensor& t = tensors_[static_cast<size_t>(i)];
    t.name = ft->name() ? ft->name()->str() : "";
    t.type = ft->type();
    const std::string label = TensorLabel(i, t.name);
    if (ft->shape() != nullptr) t.dims.assign(ft->shape()->begin(), ft->shape()->end());
    for (int32_t d : t.dims) {
      if (d < 0) {
        return Error(C::kCorruption, label + ": shape " + DimsToString(t.dims) +
                                         " has a negative dim (dynamic dims belong in "
                                         "shape_signature)");
      }
    }
    declared_dims_[static_cast<size_t>(i)] = t.dims;
    const size_t elem = TensorTypeSize(t.type);
    if (elem == 0) {
      return Error(C::kUnimplemented,
                   label + ": type " + TensorTypeName(t.type) + " is not supported");
    }
    const int64_t elements = CheckedElements(t.dims);
    if (elements < 0 || elements > kMaxTensorBytes / static_cast<int64_t>(elem)) {
      return Error(C::kCorruption, label + ": shape " + DimsToString(t.dims) + " is too large");
    }
    t.bytes = static_cast<size_t>(elements) * elem;
    if (const schema::QuantizationParameters* q = ft->quantization()) {
      const size_t n_scale = q->scale() ? q->scale()->size() : 0;
      const size_t n_zp = q->zero_point() ? q->zero_point()->size() : 0;
      if (n_scale != n_zp && n_zp != 0) {
        return Error(C::kCorruption, label + ": quantization has " + std::to_string(n_scale) +
                                         " scales but " + std::to_string(n_zp) + " zero points");
      }
      if (n_scale > 1) {
        const int qd = q->quantized_dimension();
        if (qd < 0 || qd >= static_cast<int>(t.dims.size()) ||
            static_cast<size_t>(t.dims[static_cast<size_t>(qd)]) != n_scale) {
          return Error(C::kCorruption, label + ": " + std::to_string(n_scale) +
                                           " per-axis scales do not match quantized_dimension " +
                                           std::to_string(qd) + " of shape " +
                                           DimsToString(t.dims));
        }
        t.quantized_dimension = qd;
      }
      if (n_scale > 0) {
        t.scales.assign(q->scale()->begin(), q->scale()->end());
        for (size_t k = 0; k < n_scale; ++k) {
          // The int64 vector may sit at a 4-byte offset in the file (other
          // writers, or a crafted one): read its bytes, never an int64 lvalue.
          int64_t zp = 0;
          if (n_zp) {
            std::memcpy(&zp, q->zero_point()->Data() + k * sizeof(int64_t), sizeof(zp));
            zp = flatbuffers::EndianScalar(zp);
          }
          const float scale = t.scales[k];
          if (!std::isfinite(scale) || scale <= 0.0f) {
            return Error(C::kCorruption, label + ": quantization scale " + std::to_string(k) +
                                             " is " + std::to_string(scale) +
                                             ", expected a finite value > 0");
          }
          if (zp < std::numeric_limits<int32_t>::min() ||
              zp > std::numeric_limits<int32_t>::max()) {
            return Error(C::kCorruption,
                         label + ": zero point " + std::to_string(zp) + " out of int32 range");
          }
          // A zero point is a value of the tensor's own type (TFLite's
          // quantization spec); the int8 kernels rely on x - zero point
          // fitting in [-255, 255].
          if ((t.type == schema::TensorType_INT8 && (zp < -128 || zp > 127)) ||
              (t.type == schema::TensorType_UINT8 && (zp < 0 || zp > 255))) {
            return Error(C::kCorruption, label + ": zero point " + std::to_string(zp) +
                                             " is outside the range of " +
                                             schema::EnumNameTensorType(t.type));
          }
          t.zero_points.push_back(static_cast<int32_t>(zp));
        }
      }
    }
    if (ft->is_variable()) {
      return Error(C::kUnimplemented, label + ": variable tensors are not supported");
    }
    if (ft->buffer() >= num_buffers) {
      return Error(C::kCorruption, "tensor " + std::to_string(i) + ": buffer " +
                                       std::to_string(ft->buffer()) + " out of range (model has " +
                                       std::to_string(num_buffers) + " buffers)");
    }
    const schema::Buffer* buf = model_->buffers()->Get(ft->buffer());
    if (buf->offset() > 1) {
      return Error(C::kUnimplemented, "tensor " + std::to_string(i) + ": buffer " +
                                          std::to_string(ft->buffer()) +
                                          " stores its data outside the flatbuffer "
                                          "(offset/size), which is not supported");
    }
    if (ft->sparsity() != nullptr) {
      // Densified once, here: kernels only ever see dense tensors.
      if (buf->data() == nullptr || buf->data()->size() == 0) {
        return Error(C::kUnimplemented, label + ": sparse tensors must be constants");
      }
      AlignedBytes dense(AlignedAlloc(t.bytes));
      if (dense == nullptr) return Error(C::kIOError, label + ": out of memory");
      Status st =
          DensifySparseTensor(*ft->sparsity(), t.dims, elem,
                              std::span<const uint8_t>(buf->data()->data(), buf->data()->size()),
                              std::span<uint8_t>(dense.get(), t.bytes));
      if (!st.ok()) return Error(C::kCorruption, label + ": " + st.message());
      t.is_constant = true;
      t.data = dense.get();
      owned_constants_.push_back(std::move(dense));
    } else if (buf->data() != nullptr && buf->data()->size() > 0) {
      if (buf->data()->size() != t.bytes) {
        return Error(C::kCorruption, "tensor " + std::to_string(i) + ": buffer " +
                                         std::to_string(ft->buffer()) + " holds " +
                                         std::to_string(buf->data()->size()) + " bytes, shape " +
                                         DimsToString(t.dims) + " " + TensorTypeName(t.type) +
                                         " needs " + std::to_string(t.bytes));
      }
      t.is_constant = true;
      const uint8_t* p = buf->data()->data();
      if (reinterpret_cast<uintptr_t>(p) % 16 != 0) {
        // Another writer did not align its data: keep an aligned copy.
        AlignedBytes copy(AlignedAlloc(t.bytes));
        if (copy == nullptr) return Error(C::kIOError, label + ": out of memory");
        std::memcpy(copy.get(), p, t.bytes);
        t.data = copy.get();
        owned_constants_.push_back(std::move(copy));
      } else {
        // Constants are never written: kernels take them as const.
        t.data = const_cast<uint8_t*>(p);
      }
    }
  }

  // ---- graph inputs and outputs ----
  auto read_io = [&](const flatbuffers::Vector<int32_t>* list, const char* what,
                     std::vector<int>* out) -> Status {
    if (list == nullptr) return Status::OK();
    for (uint32_t k = 0; k < list->size(); ++k) {
      const int32_t idx = list->Get(k);
      if (idx < 0 || idx >= num_tensors) {
        return Error(C::kCorruption, std::string("subgraph ") + what + " " + std::to_string(k) +
                                         " is tensor " + std::to_string(idx) + ", out of range (" +
                                         std::to_string(num_tensors) + " tensors)");
      }
      out->push_back(idx);
    }
    return Status::OK();
  };
  RETURN_IF_ERROR(read_io(sg->inputs(), "input", &inputs_));
  RETURN_IF_ERROR(read_io(sg->outputs(), "output", &outputs_));
  std::vector<bool> written(static_cast<size_t>(num_tensors), false);
  for (int i = 0; i < num_tensors; ++i)
    written[static_cast<size_t>(i)] = tensors_[static_cast<size_t>(i)].is_constant;
  for (int idx : inputs_) {
    if (tensors_[static_cast<size_t>(idx)].is_constant) {
      return Error(C::kCorruption, TensorLabel(idx, tensors_[static_cast<size_t>(idx)].name) +
                                       " is a subgraph input but holds constant data");
    }
    written[static_cast<size_t>(idx)] = true;
  }

  // ---- operators ----
  const uint32_t num_codes = model_->operator_codes() ? model_->operator_codes()->size() : 0;
  const int num_ops = sg->operators() ? static_cast<int>(sg->operators()->size()) : 0;
  const OpResolver& resolver =
      options_.op_resolver != nullptr ? *options_.op_resolver : BuiltinOpResolver();
  // Unsupported operator name -> the operators that use it.
  std::map<std::string, std::vector<int>> unsupported;
  nodes_.resize(static_cast<size_t>(num_ops));
  registrations_.assign(static_cast<size_t>(num_ops), nullptr);
  for (int n = 0; n < num_ops; ++n) {
    const schema::Operator* op = sg->operators()->Get(static_cast<uint32_t>(n));
    const std::string op_label = "operator " + std::to_string(n);
    if (op->opcode_index() >= num_codes) {
      return Error(C::kCorruption, op_label + ": opcode_index " +
                                       std::to_string(op->opcode_index()) + " out of range (" +
                                       std::to_string(num_codes) + " operator codes)");
    }
    const schema::OperatorCode* code = model_->operator_codes()->Get(op->opcode_index());
    const int32_t builtin = EffectiveBuiltinCode(*code);
    const OpRegistration* reg = nullptr;
    std::string unsupported_name;
    if (builtin == schema::BuiltinOperator_CUSTOM) {
      const std::string custom = code->custom_code() ? code->custom_code()->str() : std::string();
      reg = resolver.FindCustom(custom);
      if (reg == nullptr) unsupported_name = "custom '" + custom + "'";
    } else {
      reg = resolver.Find(builtin);
      if (reg == nullptr) {
        unsupported_name =
            BuiltinOperatorName(builtin) + " (builtin code " + std::to_string(builtin) + ")";
      }
    }
    if (reg == nullptr) {
      // Keep going: the error names every unsupported op at once. Outputs
      // count as written so later operators are checked as usual.
      auto& ops = unsupported[unsupported_name];
      ops.push_back(n);
      if (op->outputs() != nullptr) {
        for (int32_t idx : *op->outputs()) {
          if (idx >= 0 && idx < num_tensors) written[static_cast<size_t>(idx)] = true;
        }
      }
      continue;
    }
    const std::string label = op_label + " (" + reg->name + ")";
    Node& node = nodes_[static_cast<size_t>(n)];
    node.index = n;
    node.builtin_code = builtin;
    node.op = op;
    if (op->inputs()) node.inputs.assign(op->inputs()->begin(), op->inputs()->end());
    if (op->outputs()) node.outputs.assign(op->outputs()->begin(), op->outputs()->end());
    const int n_in = static_cast<int>(node.inputs.size());
    if (n_in < reg->min_inputs || n_in > reg->max_inputs) {
      return Error(C::kCorruption, label + ": has " + std::to_string(n_in) + " inputs, expected " +
                                       (reg->min_inputs == reg->max_inputs
                                            ? std::to_string(reg->min_inputs)
                                            : std::to_string(reg->min_inputs) + " to " +
                                                  std::to_string(reg->max_inputs)));
    }
    const int n_out = static_cast<int>(node.outputs.size());
    if (reg->num_outputs == kAnyNumberOfOutputs ? n_out < 1 : n_out != reg->num_outputs) {
      return Error(
          C::kCorruption,
          label + ": has " + std::to_string(n_out) + " outputs, expected " +
              (reg->num_outputs == kAnyNumberOfOutputs ? std::string("at least 1")
                                                       : std::to_string(reg->num_outputs)));
    }
    for (int k = 0; k < n_in; ++k) {
      const int idx = node.inputs[static_cast<size_t>(k)];
      if (idx == -1 && k >= reg->min_inputs) continue;  // optional input absent
      if (idx < 0 || idx >= num_tensors) {
        return Error(C::kCorruption, label + ": input " + std::to_string(k) + " is tensor " +
                                         std::to_string(idx) + ", out of range (" +
                                         std::to_string(num_tensors) + " tensors)");
      }
      if (!written[static_cast<size_t>(idx)]) {
        return Error(C::kCorruption, label + ": reads " +
                                         TensorLabel(idx, tensors_[static_cast<size_t>(idx)].name) +
                                         " before any operator writes it");
      }
    }
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      const int idx = node.outputs[k];
      if (idx < 0 || idx >= num_tensors) {
        return Error(C::kCorruption, label + ": output " + std::to_string(k) + " is tensor " +
                                         std::to_string(idx) + ", out of range (" +
                                         std::to_string(num_tensors) + " tensors)");
      }
      if (written[static_cast<size_t>(idx)]) {
        return Error(C::kCorruption,
                     label + ": writes " +
                         TensorLabel(idx, tensors_[static_cast<size_t>(idx)].name) +
                         ", which is a constant, a subgraph input or already written");
      }
      written[static_cast<size_t>(idx)] = true;
    }
    registrations_[static_cast<size_t>(n)] = reg;
  }
  if (!unsupported.empty()) {
    std::string list;
    size_t count = 0;
    for (const auto& [op_name, ops] : unsupported) {
      count += ops.size();
      std::string where = ops.size() == 1 ? " at operator " : " at operators ";
      for (size_t k = 0; k < ops.size() && k < 8; ++k) {
        where += (k ? ", " : "") + std::to_string(ops[k]);
      }
      if (ops.size() > 8) where += ", ... (" + std::to_string(ops.size()) + " in all)";
      list += (list.empty() ? "" : "; ") + op_name + where;
    }
    return Error(C::kUnimplemented,
                 std::to_string(count) + " of " + std::to_string(num_ops) +
                     (count == 1 ? " operators uses an unsupported operator type: "
                                 : " operators use unsupported operator types: ") +
                     list + " (supported: " + resolver.SupportedOpsString() + ")");
  }
  for (int idx : outputs_) {
    if (!written[static_cast<size_t>(idx)]) {
      return Error(C::kCorruption, "subgraph output " +
                                       TensorLabel(idx, tensors_[static_cast<size_t>(idx)].name) +
                                       " is never written");
    }
  }

  // ---- signatures ----
  if (const auto* sigs = model_->signature_defs()) {
    for (uint32_t s = 0; s < sigs->size(); ++s) {
      const schema::SignatureDef* sig = sigs->Get(s);
      if (sig->subgraph_index() != 0) {
        return Error(C::kCorruption, "signature_def " + std::to_string(s) + ": subgraph_index " +
                                         std::to_string(sig->subgraph_index()) +
                                         " out of range (1 subgraph)");
      }
      for (const auto* maps : {sig->inputs(), sig->outputs()}) {
        if (maps == nullptr) continue;
        for (const schema::TensorMap* m : *maps) {
          if (m->tensor_index() >= static_cast<uint32_t>(num_tensors)) {
            return Error(C::kCorruption,
                         "signature_def " + std::to_string(s) + ": '" +
                             (m->name() ? m->name()->str() : "") + "' maps to tensor " +
                             std::to_string(m->tensor_index()) + ", out of range (" +
                             std::to_string(num_tensors) + " tensors)");
          }
        }
      }
    }
  }
  return Status::OK();
}

Status Interpreter::FoldConstants() {
  using C = Status::Code;
  std::vector<Node> kept_nodes;
  std::vector<const OpRegistration*> kept_registrations;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    Node& node = nodes_[n];
    const OpRegistration* reg = registrations_[n];
    bool foldable = reg->fold_constant_inputs;
    for (int idx : node.inputs) {
      if (idx >= 0 && !tensors_[static_cast<size_t>(idx)].is_constant) foldable = false;
    }
    if (foldable) {
      const std::string label = "operator " + std::to_string(node.index) + " (" + reg->name + ")";
      node.scratch.clear();
      const size_t scratch_before = scratch_bytes_.size();
      Status st = reg->prepare(*context_, node);
      if (!st.ok()) return Error(st.code(), label + ": " + st.message());
      if (!node.scratch.empty()) {
        // Needs scratch at Eval: left to Invoke (the arena is not planned yet).
        scratch_bytes_.resize(scratch_before);
        scratch_node_.resize(scratch_before);
        node.scratch.clear();
        foldable = false;
      }
    }
    if (!foldable) {
      kept_nodes.push_back(std::move(node));
      kept_registrations.push_back(reg);
      continue;
    }
    const std::string label = "operator " + std::to_string(node.index) + " (" + reg->name + ")";
    for (int idx : node.outputs) {
      KernelTensor& t = tensors_[static_cast<size_t>(idx)];
      const auto& declared = declared_dims_[static_cast<size_t>(idx)];
      if (t.dims != declared) {
        return Error(C::kCorruption, TensorLabel(idx, t.name) + ": shape " +
                                         DimsToString(declared) + " in the file, but " + label +
                                         " computes " + DimsToString(t.dims));
      }
      AlignedBytes folded(AlignedAlloc(t.bytes));
      if (folded == nullptr) return Error(C::kIOError, label + ": out of memory folding constants");
      t.data = folded.get();
      owned_constants_.push_back(std::move(folded));
    }
    Status st = reg->eval(*context_, node);
    if (!st.ok()) return Error(st.code(), label + ": " + st.message());
    for (int idx : node.outputs) tensors_[static_cast<size_t>(idx)].is_constant = true;
  }
  nodes_ = std::move(kept_nodes);
  registrations_ = std::move(kept_registrations);
  return Status::OK();
}

Status Interpreter::Prepare(bool check_declared_shapes) {
  using C = Status::Code;
  scratch_bytes_.clear();
  scratch_node_.clear();
  node_timing_.assign(nodes_.size(), NodeTiming{});
  for (size_t n = 0; n < nodes_.size(); ++n) {
    Node& node = nodes_[n];
    const OpRegistration* reg = registrations_[n];
    node.scratch.clear();
    Status st = reg->prepare(*context_, node);
    const std::string label = "operator " + std::to_string(node.index) + " (" + reg->name + ")";
    if (!st.ok()) return Error(st.code(), label + ": " + st.message());
    if (check_declared_shapes) {
      for (int idx : node.outputs) {
        const KernelTensor& t = tensors_[static_cast<size_t>(idx)];
        const auto& declared = declared_dims_[static_cast<size_t>(idx)];
        if (t.dims != declared) {
          return Error(C::kCorruption, TensorLabel(idx, t.name) + ": shape " +
                                           DimsToString(declared) + " in the file, but " + label +
                                           " computes " + DimsToString(t.dims));
        }
      }
    }
  }

  // Lifetimes: graph inputs and outputs span the whole graph. Inputs too, as
  // in TFLite's arena planner: a caller may Invoke again without SetInput, or
  // read input(i) back after Invoke, so no activation may reuse their bytes.
  // Node indices are the file's operator positions (folded operators leave
  // gaps), so the last one that runs closes these lifetimes.
  const int last = nodes_.empty() ? 0 : nodes_.back().index;
  std::vector<int> first_use(tensors_.size(), -1), last_use(tensors_.size(), -1);
  auto touch = [&](int idx, int op) {
    if (idx < 0 || tensors_[static_cast<size_t>(idx)].is_constant) return;
    auto i = static_cast<size_t>(idx);
    if (first_use[i] < 0 || op < first_use[i]) first_use[i] = op;
    last_use[i] = std::max(last_use[i], op);
  };
  for (int idx : inputs_) touch(idx, 0);
  for (const Node& node : nodes_) {
    for (int idx : node.inputs) touch(idx, node.index);
    for (int idx : node.outputs) touch(idx, node.index);
  }
  for (int idx : inputs_) touch(idx, last);
  for (int idx : outputs_) touch(idx, last);

  std::vector<BufferRequest> requests;
  std::vector<int> request_tensor;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    if (first_use[i] < 0) continue;
    requests.push_back({tensors_[i].bytes, first_use[i], last_use[i]});
    request_tensor.push_back(static_cast<int>(i));
  }
  const size_t num_tensor_requests = requests.size();
  for (size_t s = 0; s < scratch_bytes_.size(); ++s) {
    requests.push_back({scratch_bytes_[s], scratch_node_[s], scratch_node_[s]});
  }
  MemoryPlan plan = PlanMemory(requests);
  if (plan.arena_bytes > options_.max_arena_bytes) {
    return Error(C::kInvalidArgument, "memory plan needs an arena of " +
                                          std::to_string(plan.arena_bytes) +
                                          " bytes, more than max_arena_bytes (" +
                                          std::to_string(options_.max_arena_bytes) + ")");
  }
  if (plan.arena_bytes > arena_capacity_) {
    arena_.reset(AlignedAlloc(plan.arena_bytes));
    if (arena_ == nullptr) {
      arena_capacity_ = 0;
      return Error(C::kIOError,
                   "cannot allocate an arena of " + std::to_string(plan.arena_bytes) + " bytes");
    }
    arena_capacity_ = plan.arena_bytes;
    std::memset(arena_.get(), 0, arena_capacity_);
  }
  arena_bytes_ = plan.arena_bytes;
  for (size_t r = 0; r < num_tensor_requests; ++r) {
    tensors_[static_cast<size_t>(request_tensor[r])].data = arena_.get() + plan.offsets[r];
  }
  scratch_data_.assign(scratch_bytes_.size(), nullptr);
  for (size_t s = 0; s < scratch_bytes_.size(); ++s) {
    scratch_data_[s] = arena_.get() + plan.offsets[num_tensor_requests + s];
  }
  return Status::OK();
}

TensorInfo Interpreter::input_info(int i) const {
  assert(i >= 0 && i < num_inputs());
  TensorInfo info;
  info.tensor_index = inputs_[static_cast<size_t>(i)];
  const KernelTensor& t = tensors_[static_cast<size_t>(info.tensor_index)];
  info.name = t.name;
  info.type = t.type;
  info.shape = t.dims;
  const auto* sig = model_->subgraphs()
                        ->Get(0)
                        ->tensors()
                        ->Get(static_cast<uint32_t>(info.tensor_index))
                        ->shape_signature();
  if (sig) info.shape_signature.assign(sig->begin(), sig->end());
  return info;
}

TensorInfo Interpreter::output_info(int i) const {
  assert(i >= 0 && i < num_outputs());
  TensorInfo info;
  info.tensor_index = outputs_[static_cast<size_t>(i)];
  const KernelTensor& t = tensors_[static_cast<size_t>(info.tensor_index)];
  info.name = t.name;
  info.type = t.type;
  info.shape = t.dims;
  const auto* sig = model_->subgraphs()
                        ->Get(0)
                        ->tensors()
                        ->Get(static_cast<uint32_t>(info.tensor_index))
                        ->shape_signature();
  if (sig) info.shape_signature.assign(sig->begin(), sig->end());
  return info;
}

std::vector<std::string> Interpreter::signature_keys() const {
  std::vector<std::string> keys;
  if (const auto* sigs = model_->signature_defs()) {
    for (const schema::SignatureDef* s : *sigs) {
      keys.push_back(s->signature_key() ? s->signature_key()->str() : "");
    }
  }
  return keys;
}

StatusOr<int> Interpreter::SignatureIndex(std::string_view signature_key, std::string_view name,
                                          bool is_input) const {
  using C = Status::Code;
  const schema::SignatureDef* found = nullptr;
  std::string available;
  if (const auto* sigs = model_->signature_defs()) {
    for (const schema::SignatureDef* s : *sigs) {
      const std::string key = s->signature_key() ? s->signature_key()->str() : "";
      if (key == signature_key) found = s;
      available += (available.empty() ? "'" : ", '") + key + "'";
    }
  }
  if (found == nullptr) {
    return Error(C::kNotFound, "no signature '" + std::string(signature_key) + "' (available: " +
                                   (available.empty() ? "none" : available) + ")");
  }
  const char* what = is_input ? "input" : "output";
  const auto* maps = is_input ? found->inputs() : found->outputs();
  std::string names;
  if (maps != nullptr) {
    for (const schema::TensorMap* m : *maps) {
      const std::string n = m->name() ? m->name()->str() : "";
      names += (names.empty() ? "'" : ", '") + n + "'";
      if (n != name) continue;
      const std::vector<int>& list = is_input ? inputs_ : outputs_;
      auto it = std::find(list.begin(), list.end(), static_cast<int>(m->tensor_index()));
      if (it == list.end()) {
        return Error(C::kCorruption, "signature '" + std::string(signature_key) + "' " + what +
                                         " '" + n + "' maps to tensor " +
                                         std::to_string(m->tensor_index()) +
                                         ", which is not a subgraph " + what);
      }
      return static_cast<int>(it - list.begin());
    }
  }
  return Error(C::kNotFound, "signature '" + std::string(signature_key) + "' has no " + what +
                                 " '" + std::string(name) +
                                 "' (available: " + (names.empty() ? "none" : names) + ")");
}

StatusOr<int> Interpreter::GetInputIndex(std::string_view signature_key,
                                         std::string_view name) const {
  return SignatureIndex(signature_key, name, /*is_input=*/true);
}

StatusOr<int> Interpreter::GetOutputIndex(std::string_view signature_key,
                                          std::string_view name) const {
  return SignatureIndex(signature_key, name, /*is_input=*/false);
}

Status Interpreter::ResizeInput(int i, const std::vector<int32_t>& dims) {
  return ResizeInputs({{i, dims}});
}

Status Interpreter::ResizeInputs(const std::vector<std::pair<int, std::vector<int32_t>>>& changes) {
  using C = Status::Code;
  // Validate every change first, then apply them all and plan once: a model
  // whose inputs meet (e.g. CONCATENATION of two inputs) must never be
  // prepared with half of its inputs resized.
  struct Applied {
    KernelTensor* tensor;
    std::vector<int32_t> old_dims;
    size_t old_bytes;
  };
  std::vector<Applied> applied;
  for (const auto& [i, dims] : changes) {
    if (i < 0 || i >= num_inputs()) {
      return Error(C::kInvalidArgument, "input " + std::to_string(i) + " out of range (" +
                                            std::to_string(num_inputs()) + " inputs)");
    }
    const TensorInfo info = input_info(i);
    const std::string label = "input " + std::to_string(i) + " '" + info.name + "'";
    const std::vector<int32_t>& sig = info.shape_signature.empty()
                                          ? declared_dims_[static_cast<size_t>(info.tensor_index)]
                                          : info.shape_signature;
    const bool has_signature = !info.shape_signature.empty();
    if (dims.size() != sig.size()) {
      return Error(C::kInvalidArgument, label + ": cannot resize " + DimsToString(info.shape) +
                                            " to " + DimsToString(dims) + " (rank " +
                                            std::to_string(sig.size()) + " expected)");
    }
    for (size_t d = 0; d < dims.size(); ++d) {
      if (dims[d] < 0 || (has_signature && sig[d] != -1 && dims[d] != sig[d])) {
        return Error(C::kInvalidArgument, label + ": cannot resize to " + DimsToString(dims) +
                                              ": dim " + std::to_string(d) +
                                              " is fixed by shape_signature " + DimsToString(sig));
      }
    }
    KernelTensor& t = tensors_[static_cast<size_t>(info.tensor_index)];
    const int64_t elements = CheckedElements(dims);
    const size_t elem = TensorTypeSize(t.type);
    if (elements < 0 || elements > kMaxTensorBytes / static_cast<int64_t>(elem)) {
      return Error(C::kInvalidArgument, label + ": shape " + DimsToString(dims) + " is too large");
    }
  }
  for (const auto& [i, dims] : changes) {
    KernelTensor& t = tensors_[static_cast<size_t>(input_info(i).tensor_index)];
    if (t.dims == dims) continue;
    applied.push_back({&t, t.dims, t.bytes});
    t.dims = dims;
    t.bytes = static_cast<size_t>(CheckedElements(dims)) * TensorTypeSize(t.type);
  }
  if (applied.empty()) return Status::OK();
  Status st = Prepare(/*check_declared_shapes=*/false);
  if (!st.ok()) {
    // Roll back so the interpreter stays usable at its previous shapes.
    for (const Applied& a : applied) {
      a.tensor->dims = a.old_dims;
      a.tensor->bytes = a.old_bytes;
    }
    Status restored = Prepare(false);
    (void)restored;
  }
  return st;
}

Status Interpreter::ResizeInputBatch(int64_t batch) {
  using C = Status::Code;
  if (batch < 1 || batch > std::numeric_limits<int32_t>::max()) {
    return Error(C::kInvalidArgument, "batch " + std::to_string(batch) + " out of range");
  }
  std::vector<std::pair<int, std::vector<int32_t>>> changes;
  for (int i = 0; i < num_inputs(); ++i) {
    std::vector<int32_t> dims = tensors_[static_cast<size_t>(inputs_[static_cast<size_t>(i)])].dims;
    if (dims.empty()) {
      return Error(C::kInvalidArgument,
                   "input " + std::to_string(i) + " is a scalar: no batch dim");
    }
    dims[0] = static_cast<int32_t>(batch);
    changes.emplace_back(i, std::move(dims));
  }
  return ResizeInputs(changes);
}

Status Interpreter::SetInput(int i, const Tensor& value) {
  using C = Status::Code;
  if (i < 0 || i >= num_inputs()) {
    return Error(C::kInvalidArgument, "input " + std::to_string(i) + " out of range (" +
                                          std::to_string(num_inputs()) + " inputs)");
  }
  KernelTensor& t = tensors_[static_cast<size_t>(inputs_[static_cast<size_t>(i)])];
  const std::string label = "input " + std::to_string(i) + " '" + t.name + "'";
  if (FromDType(value.dtype()) != t.type) {
    return Error(C::kInvalidArgument,
                 label + " is " + TensorTypeName(t.type) + ", got " + DTypeName(value.dtype()));
  }
  bool same = value.rank() == static_cast<int>(t.dims.size());
  for (int d = 0; same && d < value.rank(); ++d)
    same = value.dim(d) == t.dims[static_cast<size_t>(d)];
  if (!same) {
    return Error(C::kInvalidArgument, label + " has shape " + DimsToString(t.dims) + ", got " +
                                          DimsToString(std::span<const int64_t>(value.shape())) +
                                          " (resize the input first)");
  }
  if (t.bytes > 0) std::memcpy(t.data, value.raw_data(), t.bytes);
  return Status::OK();
}

Status Interpreter::SetInput(int i, const void* data, size_t bytes) {
  using C = Status::Code;
  if (i < 0 || i >= num_inputs()) {
    return Error(C::kInvalidArgument, "input " + std::to_string(i) + " out of range (" +
                                          std::to_string(num_inputs()) + " inputs)");
  }
  KernelTensor& t = tensors_[static_cast<size_t>(inputs_[static_cast<size_t>(i)])];
  if (bytes != t.bytes) {
    return Error(C::kInvalidArgument, "input " + std::to_string(i) + " '" + t.name + "' shape " +
                                          DimsToString(t.dims) + " " + TensorTypeName(t.type) +
                                          " needs " + std::to_string(t.bytes) + " bytes, got " +
                                          std::to_string(bytes));
  }
  if (bytes > 0) std::memcpy(t.data, data, bytes);
  return Status::OK();
}

Status Interpreter::NodeError(size_t n, const Status& st) const {
  return Error(st.code(), "operator " + std::to_string(nodes_[n].index) + " (" +
                              registrations_[n]->name + "): " + st.message());
}

Status Interpreter::Invoke() { return RunNodes({}); }

Status Interpreter::RunNodes(std::span<double> node_us) {
  // oneDNN's sgemm runs on one OpenMP thread: the kernels split their work
  // over pool_ instead (libgomp's barrier spins while its other thread waits
  // for a core: two threads were 20-80x slower than one next to a busy
  // process, issue 12).
  ScopedGemmThreads threads(1);
  // The workers spin between this Invoke's split operators, not after it.
  ThreadPool::WarmScope warm(pool_.get());
  Status status;
  for (size_t n = 0; n < nodes_.size() && status.ok(); ++n) {
    NodeTiming& timing = node_timing_[n];
    // Two clock reads (~50 ns) per operator, in its first Invokes only.
    const bool learn = pool_ != nullptr && !timing.split_by_cost && timing.timed < kTimedInvokes;
    const bool clock = learn || !node_us.empty();
    context_->BeginNode(n);
    const auto start =
        clock ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    Status st = registrations_[n]->eval(*context_, nodes_[n]);
    if (clock) {
      const auto elapsed = std::chrono::steady_clock::now() - start;
      if (!node_us.empty())
        node_us[n] += std::chrono::duration<double, std::micro>(elapsed).count();
      if (learn && context_->node_split()) {
        timing.split_by_cost = true;
      } else if (learn) {
        const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
        timing.unsplit_ns = timing.timed == 0 ? ns : std::min(timing.unsplit_ns, ns);
        ++timing.timed;
      }
    }
    if (!st.ok()) status = NodeError(n, st);
  }
  context_->EndNodes();
  return status;
}

std::vector<Interpreter::ExecutedOperator> Interpreter::executed_operators() const {
  std::vector<ExecutedOperator> ops;
  ops.reserve(nodes_.size());
  for (size_t n = 0; n < nodes_.size(); ++n)
    ops.push_back({nodes_[n].index, registrations_[n]->name});
  return ops;
}

Status Interpreter::InvokeTimed(std::span<double> node_us) {
  if (node_us.size() != nodes_.size()) {
    return Error(Status::Code::kInvalidArgument,
                 "InvokeTimed needs one time slot per executed operator (" +
                     std::to_string(nodes_.size()) + "), got " + std::to_string(node_us.size()));
  }
  return RunNodes(node_us);
}

TensorView Interpreter::input(int i) const {
  assert(i >= 0 && i < num_inputs());
  const KernelTensor& t = tensors_[static_cast<size_t>(inputs_[static_cast<size_t>(i)])];
  return {t.type, t.dims, t.data, t.bytes};
}

TensorView Interpreter::output(int i) const {
  assert(i >= 0 && i < num_outputs());
  const KernelTensor& t = tensors_[static_cast<size_t>(outputs_[static_cast<size_t>(i)])];
  return {t.type, t.dims, t.data, t.bytes};
}

StatusOr<Tensor> Interpreter::CopyOutput(int i) const {
  using C = Status::Code;
  if (i < 0 || i >= num_outputs()) {
    return Error(C::kInvalidArgument, "output " + std::to_string(i) + " out of range (" +
                                          std::to_string(num_outputs()) + " outputs)");
  }
  const KernelTensor& t = tensors_[static_cast<size_t>(outputs_[static_cast<size_t>(i)])];
  StatusOr<DType> dtype = ToDType(t.type);
  if (!dtype.ok())
    return Error(C::kUnimplemented,
                 "output " + std::to_string(i) + ": " + dtype.status().message());
  Tensor out(*dtype, Shape(t.dims.begin(), t.dims.end()));
  if (t.bytes > 0) std::memcpy(out.raw_data(), t.data, t.bytes);
  return out;
}

StatusOr<Tensor> Interpreter::Run(const Tensor& input) {
  using C = Status::Code;
  if (num_inputs() != 1 || num_outputs() != 1) {
    return Error(C::kFailedPrecondition, "Run needs a model with 1 input and 1 output (has " +
                                             std::to_string(num_inputs()) + " and " +
                                             std::to_string(num_outputs()) + ")");
  }
  if (input.rank() >= 1 && !tensors_[static_cast<size_t>(inputs_[0])].dims.empty() &&
      input.dim(0) != tensors_[static_cast<size_t>(inputs_[0])].dims[0]) {
    RETURN_IF_ERROR(ResizeInputBatch(input.dim(0)));
  }
  RETURN_IF_ERROR(SetInput(0, input));
  RETURN_IF_ERROR(Invoke());
  return CopyOutput(0);
}

}  // namespace edgepipe::lite
