#include "src/lite/inspect.h"

#include <cctype>
#include <sstream>

#include "src/core/files.h"
#include "src/lite/interpreter.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

std::string OptionsString(const schema::Operator& op) {
  std::ostringstream s;
  if (const auto* fc = op.builtin_options_as_FullyConnectedOptions()) {
    s << "fused_activation="
      << schema::EnumNameActivationFunctionType(fc->fused_activation_function())
      << " keep_num_dims=" << (fc->keep_num_dims() ? "true" : "false");
  } else if (const auto* sm = op.builtin_options_as_SoftmaxOptions()) {
    s << "beta=" << sm->beta();
  } else if (const auto* rs = op.builtin_options_as_ReshapeOptions()) {
    if (rs->new_shape()) {
      std::vector<int32_t> dims(rs->new_shape()->begin(), rs->new_shape()->end());
      s << "new_shape=" << DimsToString(dims);
    }
  }
  return s.str();
}

std::string Printable(const flatbuffers::Vector<uint8_t>* data) {
  if (data == nullptr) return "";
  std::string out;
  for (uint8_t c : *data) {
    if (c == 0) break;
    out += std::isprint(c) ? static_cast<char>(c) : '?';
  }
  return out;
}

// Multiply-accumulates per Invoke of the weighted ops (the interpreter has
// verified their shapes): output elements times the weights each one reads —
// FULLY_CONNECTED [units, in] reads `in`, CONV_2D [oc, kh, kw, ic] kh·kw·ic,
// DEPTHWISE_CONV_2D [1, kh, kw, oc] kh·kw. Other ops count 0.
int64_t MultiplyAccumulates(int32_t builtin, const OperatorSummary& op,
                            const std::vector<TensorSummary>& tensors) {
  if (op.inputs.size() < 2 || op.outputs.empty() || op.inputs[1] < 0 || op.outputs[0] < 0) {
    return 0;
  }
  const std::vector<int32_t>& w = tensors[static_cast<size_t>(op.inputs[1])].shape;
  int64_t per_output = 0;
  if (builtin == schema::BuiltinOperator_FULLY_CONNECTED && w.size() == 2) {
    per_output = w[1];
  } else if (builtin == schema::BuiltinOperator_CONV_2D && w.size() == 4) {
    per_output = int64_t{w[1]} * w[2] * w[3];
  } else if (builtin == schema::BuiltinOperator_DEPTHWISE_CONV_2D && w.size() == 4) {
    per_output = int64_t{w[1]} * w[2];
  }
  if (per_output == 0) return 0;
  int64_t out_elements = 1;
  for (int32_t d : tensors[static_cast<size_t>(op.outputs[0])].shape) out_elements *= d;
  return out_elements * per_output;
}

}  // namespace

StatusOr<ModelSummary> InspectModel(std::string_view bytes, const std::string& name_for_errors) {
  ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp,
                   Interpreter::FromBuffer(bytes, name_for_errors));
  const schema::Model& m = interp->model();
  const schema::SubGraph& sg = *m.subgraphs()->Get(0);
  ModelSummary s;
  s.name = name_for_errors;
  s.schema_version = m.version();
  s.file_bytes = bytes.size();
  s.description = m.description() ? m.description()->str() : "";
  s.signature_keys = interp->signature_keys();
  s.arena_bytes = interp->arena_bytes();
  if (sg.inputs()) s.inputs.assign(sg.inputs()->begin(), sg.inputs()->end());
  if (sg.outputs()) s.outputs.assign(sg.outputs()->begin(), sg.outputs()->end());
  const uint32_t num_tensors = sg.tensors() ? sg.tensors()->size() : 0;
  for (uint32_t i = 0; i < num_tensors; ++i) {
    const schema::Tensor* t = sg.tensors()->Get(i);
    TensorSummary ts;
    ts.index = static_cast<int>(i);
    ts.name = t->name() ? t->name()->str() : "";
    if (t->shape()) ts.shape.assign(t->shape()->begin(), t->shape()->end());
    if (t->shape_signature()) {
      ts.shape_signature.assign(t->shape_signature()->begin(), t->shape_signature()->end());
    }
    ts.type = TensorTypeName(t->type());
    int64_t elements = 1;
    for (int32_t d : ts.shape) elements *= d;
    ts.bytes = static_cast<size_t>(elements) * TensorTypeSize(t->type());
    const schema::Buffer* b = m.buffers()->Get(t->buffer());
    ts.constant = b->data() != nullptr && b->data()->size() > 0;
    if (ts.constant) {
      s.num_parameters += elements;
      s.parameter_bytes += ts.bytes;
    }
    s.tensors.push_back(std::move(ts));
  }
  const uint32_t num_ops = sg.operators() ? sg.operators()->size() : 0;
  for (uint32_t i = 0; i < num_ops; ++i) {
    const schema::Operator* op = sg.operators()->Get(i);
    const schema::OperatorCode* code = m.operator_codes()->Get(op->opcode_index());
    OperatorSummary os;
    os.index = static_cast<int>(i);
    const int32_t builtin = EffectiveBuiltinCode(*code);
    os.op = BuiltinOperatorName(builtin);
    os.version = code->version();
    if (op->inputs()) os.inputs.assign(op->inputs()->begin(), op->inputs()->end());
    if (op->outputs()) os.outputs.assign(op->outputs()->begin(), op->outputs()->end());
    os.options = OptionsString(*op);
    os.macs = MultiplyAccumulates(builtin, os, s.tensors);
    s.macs += os.macs;
    s.operators.push_back(std::move(os));
  }
  if (m.metadata()) {
    for (const schema::Metadata* md : *m.metadata()) {
      std::string value;
      if (md->buffer() < m.buffers()->size())
        value = Printable(m.buffers()->Get(md->buffer())->data());
      s.metadata.emplace_back(md->name() ? md->name()->str() : "", value);
    }
  }
  return s;
}

StatusOr<ModelSummary> InspectFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, kMaxModelBytes));
  return InspectModel(bytes, path);
}

std::string FormatSummary(const ModelSummary& s) {
  std::ostringstream o;
  o << s.name << ": TFLite schema v" << s.schema_version << ", " << s.file_bytes << " bytes";
  if (!s.description.empty()) o << ", \"" << s.description << "\"";
  o << "\n";
  o << "signatures:";
  for (const auto& k : s.signature_keys) o << " " << k;
  o << "\nparameters: " << s.num_parameters << " (" << s.parameter_bytes << " bytes)"
    << "  MACs/example: " << s.macs << "  arena: " << s.arena_bytes << " bytes\n";
  o << "tensors:\n";
  for (const auto& t : s.tensors) {
    o << "  " << t.index << "  " << t.name << "  " << t.type << DimsToString(t.shape);
    if (!t.shape_signature.empty() && t.shape_signature != t.shape) {
      o << " (signature " << DimsToString(t.shape_signature) << ")";
    }
    o << "  " << t.bytes << " bytes" << (t.constant ? "  const" : "") << "\n";
  }
  o << "operators:\n";
  for (const auto& op : s.operators) {
    o << "  " << op.index << "  " << op.op << " v" << op.version << "  in "
      << DimsToString(std::vector<int32_t>(op.inputs.begin(), op.inputs.end())) << " out "
      << DimsToString(std::vector<int32_t>(op.outputs.begin(), op.outputs.end()));
    if (!op.options.empty()) o << "  " << op.options;
    if (op.macs > 0) o << "  MACs " << op.macs;
    o << "\n";
  }
  for (const auto& [k, v] : s.metadata) o << "metadata " << k << ": " << v << "\n";
  return o.str();
}

}  // namespace edgepipe::lite
