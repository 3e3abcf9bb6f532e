// The nn-facing half of the converter (converter.h step 1): reads a trained
// nn::Sequential through its introspection API.
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
  // Index in graph.ops of the last Dense whose output nothing has changed
  // since (Dropout is the identity at inference), or -1.
  int open_dense = -1;
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
      switch (dense->activation()) {
        case nn::Activation::kLinear:
          op.activation = FusedActivation::kNone;
          break;
        case nn::Activation::kRelu:
          op.activation = FusedActivation::kRelu;
          break;
      }
      graph.ops.push_back(std::move(op));
      open_dense = static_cast<int>(graph.ops.size()) - 1;
    } else if (cls == "Dropout") {
      continue;  // identity at inference, as TF's converter drops it
    } else if (cls == "ReLU") {
      if (open_dense < 0) {
        return Status::Unimplemented("converter: layer '" + layer->name() +
                                     "' (ReLU) does not follow a Dense; a standalone RELU op is "
                                     "not supported yet");
      }
      // relu(relu(x)) = relu(x): fusing into a relu Dense is also exact.
      std::get<DenseOp>(graph.ops[static_cast<size_t>(open_dense)]).activation =
          FusedActivation::kRelu;
    } else {
      return Status::Unimplemented("converter: layer '" + layer->name() + "' of class '" + cls +
                                   "' is not supported (Dense, Dropout, ReLU are)");
    }
  }
  if (graph.ops.empty()) {
    return Status::InvalidArgument("converter: model '" + model.name() + "' has no Dense layer");
  }
  return graph;
}

StatusOr<std::string> ConvertSequential(const nn::Sequential& model,
                                        const ConverterOptions& options) {
  ASSIGN_OR_RETURN(InferenceGraph graph, InferenceGraphFromSequential(model));
  return ConvertToTFLite(graph, options);
}

}  // namespace edgepipe::lite
