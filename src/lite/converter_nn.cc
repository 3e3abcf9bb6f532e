// The nn-facing half of the converter (converter.h step 1): reads a trained
// nn::Sequential through its introspection API and translates it layer by
// layer. No optimisation happens here (LowerGraph folds and fuses), so each
// layer class is one small case.
#include "src/lite/converter.h"
#include "src/nn/model.h"

namespace edgepipe::lite {

StatusOr<InferenceGraph> InferenceGraphFromSequential(const nn::Sequential& model) {
  if (!model.built()) {
    return Status::FailedPrecondition("converter: model '" + model.name() + "' is not built");
  }
  InferenceGraph graph;
  graph.model_name = model.name();
  graph.input_name = model.input_name();
  graph.output_name = model.output_name();
  graph.input_shape = model.input_shape();
  for (const auto& layer : model.layers()) {
    const std::string cls = layer->class_name();
    if (cls == "Dense") {
      const auto* dense = dynamic_cast<const nn::Dense*>(layer.get());
      if (dense == nullptr) {
        return Status::Internal("converter: layer '" + layer->name() +
                                "' says Dense but is not an nn::Dense");
      }
      DenseOp op;
      op.name = dense->name();
      op.kernel = dense->kernel();
      op.bias = dense->bias();
      // By Keras name, so this file reads any nn activation set.
      const std::string act = nn::ActivationName(dense->activation());
      if (act == "relu") {
        op.activation = FusedActivation::kRelu;
      } else if (act != "linear") {
        return Status::Unimplemented("converter: layer '" + layer->name() +
                                     "' (Dense) activation '" + act +
                                     "' is not supported (linear, relu are)");
      }
      graph.ops.push_back(std::move(op));
    } else if (cls == "Dropout") {
      continue;  // identity at inference, as TF's converter drops it
    } else if (cls == "ReLU") {
      graph.ops.push_back(ActivationOp{layer->name(), ActivationKind::kRelu});
    } else {
      return Status::Unimplemented("converter: layer '" + layer->name() + "' of class '" + cls +
                                   "' is not supported (Dense, Dropout, ReLU are)");
    }
  }
  if (graph.ops.empty()) {
    return Status::InvalidArgument("converter: model '" + model.name() +
                                   "' has no layer to convert");
  }
  return graph;
}

StatusOr<std::string> ConvertSequential(const nn::Sequential& model,
                                        const ConverterOptions& options) {
  ASSIGN_OR_RETURN(InferenceGraph graph, InferenceGraphFromSequential(model));
  return ConvertToTFLite(graph, options);
}

}  // namespace edgepipe::lite
