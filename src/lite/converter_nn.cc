// The nn-facing half of the converter (converter.h step 1): reads a trained
// nn::Model (Sequential or functional) through its introspection API and
// translates it layer by layer into InferenceGraph ops. No optimisation
// happens here (LowerGraph folds BatchNormalization and fuses RELU/RELU6), so
// each layer class is one small case; a layer may become several ops (a
// Dense with a sigmoid is DenseOp + LOGISTIC) or none (Dropout).
//
// Naming: the op that produces a layer's output carries the layer's name, so
// later layers wire to it; extra ops of the same layer are "<layer>/<what>".
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "src/lite/converter.h"
#include "src/nn/conv.h"
#include "src/nn/model.h"
#include "src/nn/normalization.h"
#include "src/nn/pooling.h"
#include "src/nn/reshaping.h"

namespace edgepipe::lite {
namespace {

class Translator {
 public:
  explicit Translator(const nn::Model& model) : m_(model) {}

  StatusOr<InferenceGraph> Run() {
    if (!m_.built()) {
      return Status::FailedPrecondition("converter: model '" + m_.name() + "' is not built");
    }
    g_.model_name = m_.name();
    for (int id : m_.input_tensors()) {
      GraphInput in;
      in.name = m_.tensor_input_name(id);
      in.shape = {-1};
      for (int64_t d : m_.tensor_shape(id)) in.shape.push_back(d);
      names_[id] = in.name;
      g_.inputs.push_back(std::move(in));
    }
    for (size_t i = 0; i < m_.layers().size(); ++i) {
      const nn::Layer& layer = *m_.layers()[i];
      std::vector<std::string> inputs;
      for (int id : m_.node_inputs(i)) {
        auto it = names_.find(id);
        if (it == names_.end()) {
          return Status::Internal(Where(layer) + "reads a tensor no earlier layer wrote");
        }
        inputs.push_back(it->second);
      }
      StatusOr<std::string> out = Translate(layer, inputs);
      if (!out.ok()) return out.status();
      names_[m_.node_output(i)] = *out;
    }
    const int out_id = m_.output_tensor();
    if (m_.tensor_producer(out_id) < 0 || g_.ops.empty() ||
        names_[out_id] == m_.tensor_input_name(m_.input_tensors().front())) {
      return Status::InvalidArgument("converter: model '" + m_.name() +
                                     "' has no op left to convert (its output is its input)");
    }
    g_.outputs.push_back({m_.output_name(), names_[out_id]});
    // The single-input/-output shorthand stays filled for callers that read it.
    g_.input_name = g_.inputs.front().name;
    g_.input_shape = g_.inputs.front().shape;
    g_.output_name = m_.output_name();
    return std::move(g_);
  }

 private:
  static std::string Where(const nn::Layer& layer) {
    return "converter: layer '" + layer.name() + "' (" + layer.class_name() + "): ";
  }

  template <typename T>
  static StatusOr<const T*> As(const nn::Layer& layer) {
    const auto* p = dynamic_cast<const T*>(&layer);
    if (p == nullptr) {
      return Status::Internal(Where(layer) + "class name does not match its C++ type");
    }
    return p;
  }

  // Copy of the layer's weight `suffix` ("kernel", "moving_mean", ...).
  static StatusOr<Tensor> Weight(const nn::Layer& layer, const std::string& suffix) {
    for (const nn::Layer::WeightRef& w : layer.Weights()) {
      if (w.suffix != suffix) continue;
      if (w.data == nullptr) return Status::FailedPrecondition(Where(layer) + suffix + " unbound");
      Tensor t(DType::kFloat32, w.shape);
      std::memcpy(t.data<float>(), w.data, static_cast<size_t>(t.num_elements()) * sizeof(float));
      return t;
    }
    return Status::Internal(Where(layer) + "has no weight '" + suffix + "'");
  }

  static Tensor Zeros(int64_t n) {
    Tensor t(DType::kFloat32, {n});
    std::memset(t.data<float>(), 0, static_cast<size_t>(n) * sizeof(float));
    return t;
  }

  static Tensor Scalar(float v) {
    Tensor t(DType::kFloat32, Shape{});
    t.data<float>()[0] = v;
    return t;
  }

  static StatusOr<Padding> ToPadding(const nn::Layer& layer, const std::string& padding) {
    if (padding == "valid") return Padding::kValid;
    if (padding == "same") return Padding::kSame;
    return Status::Unimplemented(Where(layer) + "padding '" + padding +
                                 "' is not supported (valid, same are)");
  }

  static StatusOr<int> ToInt(const nn::Layer& layer, int64_t v, const char* what) {
    if (v < 1 || v > (int64_t{1} << 30)) {
      return Status::InvalidArgument(Where(layer) + what + " " + std::to_string(v) +
                                     " is out of range");
    }
    return static_cast<int>(v);
  }

  // The fused part of a Dense/Conv activation: RELU and RELU6 go into the op,
  // as TF's converter fuses them; everything else is a separate op after it.
  static FusedActivation Fusable(nn::Activation a) {
    if (a == nn::Activation::kRelu) return FusedActivation::kRelu;
    if (a == nn::Activation::kRelu6) return FusedActivation::kRelu6;
    return FusedActivation::kNone;
  }
  static bool NeedsSeparateOp(nn::Activation a) {
    return a != nn::Activation::kLinear && Fusable(a) == FusedActivation::kNone;
  }

  // Appends the op computing activation `a` of `input`, named `name`.
  // Linear is the identity and appends nothing.
  void EmitActivation(nn::Activation a, const std::string& name, const std::string& input) {
    switch (a) {
      case nn::Activation::kLinear:
        return;
      case nn::Activation::kSoftmax:
        g_.ops.push_back(SoftmaxOp{name, 1.0f, {input}});
        return;
      case nn::Activation::kRelu:
        g_.ops.push_back(ActivationOp{name, ActivationKind::kRelu, {input}});
        return;
      case nn::Activation::kRelu6:
        g_.ops.push_back(ActivationOp{name, ActivationKind::kRelu6, {input}});
        return;
      case nn::Activation::kSigmoid:
        g_.ops.push_back(ActivationOp{name, ActivationKind::kLogistic, {input}});
        return;
      case nn::Activation::kTanh:
        g_.ops.push_back(ActivationOp{name, ActivationKind::kTanh, {input}});
        return;
      case nn::Activation::kHardSwish:
        g_.ops.push_back(ActivationOp{name, ActivationKind::kHardSwish, {input}});
        return;
    }
  }

  // Pushes `op` (whose `name` is still unset) for a layer with activation
  // `a`: the layer's name goes to the last op, so later layers read it.
  template <typename Op>
  std::string EmitWithActivation(const nn::Layer& layer, Op op, nn::Activation a) {
    op.activation = Fusable(a);
    if (!NeedsSeparateOp(a)) {
      op.name = layer.name();
      g_.ops.push_back(std::move(op));
      return layer.name();
    }
    op.name = layer.name() + "/BiasAdd";
    const std::string pre = op.name;
    g_.ops.push_back(std::move(op));
    EmitActivation(a, layer.name(), pre);
    return layer.name();
  }

  StatusOr<std::string> Translate(const nn::Layer& layer, const std::vector<std::string>& in) {
    const std::string cls = layer.class_name();
    const std::string& name = layer.name();
    // Identity at inference; TF's converter drops them (Keras preprocessing
    // layers such as RandomTranslation are inactive outside training).
    if (cls == "Dropout" || cls == "RandomTranslation") return in[0];
    if (cls == "Dense") return TranslateDense(layer, in[0]);
    if (cls == "Conv2D") {
      ASSIGN_OR_RETURN(const nn::Conv2D* c, As<nn::Conv2D>(layer));
      const nn::Conv2DOptions& o = c->options();
      Conv2DOp op;
      ASSIGN_OR_RETURN(op.kernel, Weight(layer, "kernel"));  // Keras [kh, kw, in, out]
      if (o.use_bias) {
        ASSIGN_OR_RETURN(op.bias, Weight(layer, "bias"));
      } else {
        op.bias = Zeros(o.filters);  // TF's CONV_2D always has a bias input
      }
      ASSIGN_OR_RETURN(op.padding, ToPadding(layer, o.padding));
      ASSIGN_OR_RETURN(op.stride_h, ToInt(layer, o.strides[0], "stride"));
      ASSIGN_OR_RETURN(op.stride_w, ToInt(layer, o.strides[1], "stride"));
      ASSIGN_OR_RETURN(op.dilation_h, ToInt(layer, o.dilation_rate[0], "dilation"));
      ASSIGN_OR_RETURN(op.dilation_w, ToInt(layer, o.dilation_rate[1], "dilation"));
      op.inputs = {in[0]};
      return EmitWithActivation(layer, std::move(op), o.activation);
    }
    if (cls == "DepthwiseConv2D") {
      ASSIGN_OR_RETURN(const nn::DepthwiseConv2D* c, As<nn::DepthwiseConv2D>(layer));
      const nn::DepthwiseConv2DOptions& o = c->options();
      DepthwiseConv2DOp op;
      ASSIGN_OR_RETURN(op.kernel, Weight(layer, "depthwise_kernel"));  // [kh, kw, C, mult]
      if (o.use_bias) {
        ASSIGN_OR_RETURN(op.bias, Weight(layer, "bias"));
      } else {
        op.bias = Zeros(layer.output_shape().back());
      }
      ASSIGN_OR_RETURN(op.padding, ToPadding(layer, o.padding));
      ASSIGN_OR_RETURN(op.stride_h, ToInt(layer, o.strides[0], "stride"));
      ASSIGN_OR_RETURN(op.stride_w, ToInt(layer, o.strides[1], "stride"));
      ASSIGN_OR_RETURN(op.dilation_h, ToInt(layer, o.dilation_rate[0], "dilation"));
      ASSIGN_OR_RETURN(op.dilation_w, ToInt(layer, o.dilation_rate[1], "dilation"));
      op.inputs = {in[0]};
      return EmitWithActivation(layer, std::move(op), o.activation);
    }
    if (cls == "BatchNormalization") {
      ASSIGN_OR_RETURN(const nn::BatchNormalization* bn, As<nn::BatchNormalization>(layer));
      // Inference mode: the moving statistics (LowerGraph folds the op into
      // the convolution/Dense before it, or writes MUL + ADD).
      BatchNormOp op;
      op.name = name;
      ASSIGN_OR_RETURN(op.gamma, Weight(layer, "gamma"));
      ASSIGN_OR_RETURN(op.beta, Weight(layer, "beta"));
      ASSIGN_OR_RETURN(op.mean, Weight(layer, "moving_mean"));
      ASSIGN_OR_RETURN(op.variance, Weight(layer, "moving_variance"));
      op.epsilon = bn->options().epsilon;
      op.inputs = {in[0]};
      g_.ops.push_back(std::move(op));
      return name;
    }
    if (cls == "MaxPooling2D" || cls == "AveragePooling2D") {
      ASSIGN_OR_RETURN(const nn::Pooling2D* p, As<nn::Pooling2D>(layer));
      Pool2DOp op;
      op.name = name;
      op.kind = cls == "MaxPooling2D" ? PoolKind::kMax : PoolKind::kAverage;
      ASSIGN_OR_RETURN(op.filter_h, ToInt(layer, p->options().pool_size[0], "pool size"));
      ASSIGN_OR_RETURN(op.filter_w, ToInt(layer, p->options().pool_size[1], "pool size"));
      ASSIGN_OR_RETURN(op.stride_h, ToInt(layer, p->strides()[0], "stride"));
      ASSIGN_OR_RETURN(op.stride_w, ToInt(layer, p->strides()[1], "stride"));
      ASSIGN_OR_RETURN(op.padding, ToPadding(layer, p->options().padding));
      op.inputs = {in[0]};
      g_.ops.push_back(std::move(op));
      return name;
    }
    if (cls == "GlobalAveragePooling2D") {
      g_.ops.push_back(MeanOp{name, {1, 2}, false, {in[0]}});
      return name;
    }
    if (cls == "Flatten" || cls == "Reshape") {
      // The static target shape (Reshape's -1 already resolved by Build).
      g_.ops.push_back(ReshapeOp{name, layer.output_shape(), {in[0]}});
      return name;
    }
    if (cls == "ZeroPadding2D") {
      ASSIGN_OR_RETURN(const nn::ZeroPadding2D* z, As<nn::ZeroPadding2D>(layer));
      const auto& p = z->padding();
      g_.ops.push_back(PadOp{name, {{0, 0}, {p[0], p[1]}, {p[2], p[3]}, {0, 0}}, {in[0]}});
      return name;
    }
    if (cls == "Rescaling") {
      ASSIGN_OR_RETURN(const nn::Rescaling* r, As<nn::Rescaling>(layer));
      // x * scale + offset, as Keras computes it; a multiply by 1 or an add
      // of 0 is left out (TF's grappler removes them the same way), but one
      // op always remains so the layer has an output tensor.
      const bool add = r->offset() != 0.0f;
      const bool mul = r->scale() != 1.0f || !add;
      std::string cur = in[0];
      if (mul) {
        const std::string n = add ? name + "/mul" : name;
        g_.ops.push_back(
            BinaryOp{n, BinaryKind::kMul, Scalar(r->scale()), FusedActivation::kNone, {cur}});
        cur = n;
      }
      if (add) {
        g_.ops.push_back(
            BinaryOp{name, BinaryKind::kAdd, Scalar(r->offset()), FusedActivation::kNone, {cur}});
      }
      return name;
    }
    if (cls == "Normalization") {
      // (x - mean) * (1 / max(sqrt(variance), 1e-7)): the reciprocal is
      // formed here in float exactly as nn's kernel forms it.
      ASSIGN_OR_RETURN(Tensor mean, Weight(layer, "mean"));
      ASSIGN_OR_RETURN(Tensor var, Weight(layer, "variance"));
      Tensor inv(DType::kFloat32, var.shape());
      for (int64_t c = 0; c < var.num_elements(); ++c) {
        inv.data<float>()[c] = 1.0f / std::max(std::sqrt(var.data<float>()[c]), 1e-7f);
      }
      g_.ops.push_back(BinaryOp{
          name + "/sub", BinaryKind::kSub, std::move(mean), FusedActivation::kNone, {in[0]}});
      g_.ops.push_back(BinaryOp{
          name, BinaryKind::kMul, std::move(inv), FusedActivation::kNone, {name + "/sub"}});
      return name;
    }
    if (cls == "ReLU" || cls == "Activation") {
      ASSIGN_OR_RETURN(const nn::ActivationLayer* a, As<nn::ActivationLayer>(layer));
      if (cls == "ReLU") {
        ASSIGN_OR_RETURN(const nn::ReLU* r, As<nn::ReLU>(layer));
        if (r->max_value() != 0.0f && r->max_value() != 6.0f) {
          return Status::Unimplemented(Where(layer) + "max_value " +
                                       std::to_string(r->max_value()) +
                                       " is not supported (none, 6 are)");
        }
      }
      if (a->activation() == nn::Activation::kLinear) return in[0];  // identity
      EmitActivation(a->activation(), name, in[0]);
      return name;
    }
    if (cls == "Add") {
      // Keras sums pairwise in input order: ADD(ADD(a, b), c) ...
      std::string cur = in[0];
      for (size_t k = 1; k < in.size(); ++k) {
        const std::string n = k + 1 == in.size() ? name : name + "/add_" + std::to_string(k);
        g_.ops.push_back(
            BinaryOp{n, BinaryKind::kAdd, std::nullopt, FusedActivation::kNone, {cur, in[k]}});
        cur = n;
      }
      return name;
    }
    if (cls == "Concatenate") {
      g_.ops.push_back(ConcatOp{name, -1, in});
      return name;
    }
    return Status::Unimplemented(Where(layer) +
                                 "is not supported (Dense, Conv2D, DepthwiseConv2D, "
                                 "BatchNormalization, MaxPooling2D, AveragePooling2D, "
                                 "GlobalAveragePooling2D, Flatten, Reshape, ZeroPadding2D, "
                                 "Rescaling, Normalization, ReLU, Activation, Add, Concatenate, "
                                 "Dropout, RandomTranslation are)");
  }

  // Dense reads the last axis of an input of any rank. Rank 1 (per example)
  // is FULLY_CONNECTED. Higher ranks become a 1x1 CONV_2D, the same math
  // over every position: (H, W, C) directly, any other shape reshaped to
  // (positions, 1, C) and back.
  StatusOr<std::string> TranslateDense(const nn::Layer& layer, const std::string& input) {
    ASSIGN_OR_RETURN(const nn::Dense* d, As<nn::Dense>(layer));
    const std::string& name = layer.name();
    ASSIGN_OR_RETURN(Tensor kernel, Weight(layer, "kernel"));
    Tensor bias;
    if (d->use_bias()) {
      ASSIGN_OR_RETURN(bias, Weight(layer, "bias"));
    } else {
      bias = Zeros(d->units());
    }
    const Shape& in_shape = layer.input_shape();
    if (in_shape.size() == 1) {
      DenseOp op;
      op.kernel = std::move(kernel);
      op.bias = std::move(bias);
      op.inputs = {input};
      return EmitWithActivation(layer, std::move(op), d->activation());
    }
    const int64_t c = in_shape.back();
    Conv2DOp op;
    op.kernel = Tensor(DType::kFloat32, {1, 1, c, d->units()});  // same bytes as [C, units]
    std::memcpy(op.kernel.data<float>(), kernel.data<float>(), kernel.num_bytes());
    op.bias = std::move(bias);
    if (in_shape.size() == 3) {
      op.inputs = {input};
      return EmitWithActivation(layer, std::move(op), d->activation());
    }
    const int64_t positions = NumElements(in_shape) / c;
    g_.ops.push_back(ReshapeOp{name + "/to_nhwc", {positions, 1, c}, {input}});
    op.inputs = {name + "/to_nhwc"};
    // The conv gets a sub-name; the final reshape carries the layer's name.
    const std::string conv = name + "/conv";
    op.activation = Fusable(d->activation());
    op.name = conv;
    g_.ops.push_back(std::move(op));
    std::string cur = conv;
    if (NeedsSeparateOp(d->activation())) {
      EmitActivation(d->activation(), name + "/act", cur);
      cur = name + "/act";
    }
    g_.ops.push_back(ReshapeOp{name, layer.output_shape(), {cur}});
    return name;
  }

  const nn::Model& m_;
  InferenceGraph g_;
  std::map<int, std::string> names_;  // tensor id -> graph input or op name
};

}  // namespace

StatusOr<InferenceGraph> InferenceGraphFromModel(const nn::Model& model) {
  return Translator(model).Run();
}

StatusOr<InferenceGraph> InferenceGraphFromSequential(const nn::Sequential& model) {
  return InferenceGraphFromModel(model);
}

StatusOr<std::string> ConvertModel(const nn::Model& model, const ConverterOptions& options) {
  ASSIGN_OR_RETURN(InferenceGraph graph, InferenceGraphFromModel(model));
  return ConvertToTFLite(graph, options);
}

StatusOr<std::string> ConvertSequential(const nn::Sequential& model,
                                        const ConverterOptions& options) {
  return ConvertModel(model, options);
}

}  // namespace edgepipe::lite
