#include "src/nn/saving.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "src/core/files.h"
#include "src/nn/augmentation.h"
#include "src/nn/conv.h"
#include "src/nn/normalization.h"
#include "src/nn/pooling.h"
#include "src/nn/reshaping.h"

namespace edgepipe::nn {
namespace {

static_assert(std::endian::native == std::endian::little,
              "weights.bin is little-endian float32; add byte swapping for this target");

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// What a Keras 2 Sequential topology says our JSON follows; TF.js reads the
// field but does not interpret it.
constexpr char kKerasVersion[] = "2.15.0";
constexpr char kGeneratedBy[] = "edgepipe nn";

ordered_json ShapeJson(const Shape& shape) {
  ordered_json j = ordered_json::array();
  for (int64_t d : shape) j.push_back(d);
  return j;
}

ordered_json Pair(const std::array<int64_t, 2>& a) { return ordered_json::array({a[0], a[1]}); }

ordered_json InitializerJson(const Initializer& init) {
  ordered_json config = ordered_json::object();
  if (init.kind == Initializer::Kind::kRandomNormal) {
    config["mean"] = init.mean;
    config["stddev"] = init.stddev;
  }
  if (init.kind != Initializer::Kind::kZeros && init.kind != Initializer::Kind::kOnes) {
    config["seed"] = nullptr;
  }
  return {{"class_name", InitializerClassName(init)}, {"config", std::move(config)}};
}

// The Keras 2 config of `layer` (its class-specific fields after name,
// trainable, dtype).
ordered_json LayerConfig(const Layer& layer) {
  ordered_json config;
  config["name"] = layer.name();
  config["trainable"] = true;
  config["dtype"] = "float32";
  if (const auto* dense = dynamic_cast<const Dense*>(&layer)) {
    config["units"] = dense->units();
    config["activation"] = ActivationName(dense->activation());
    config["use_bias"] = dense->use_bias();
    config["kernel_initializer"] = InitializerJson(dense->options().kernel_initializer);
    config["bias_initializer"] = InitializerJson(dense->options().bias_initializer);
    for (const char* key : {"kernel_regularizer", "bias_regularizer", "activity_regularizer",
                            "kernel_constraint", "bias_constraint"}) {
      config[key] = nullptr;
    }
  } else if (const auto* dropout = dynamic_cast<const Dropout*>(&layer)) {
    config["rate"] = dropout->rate();
    config["noise_shape"] = nullptr;
    config["seed"] = nullptr;
  } else if (const auto* relu = dynamic_cast<const ReLU*>(&layer)) {
    config["max_value"] =
        relu->max_value() == 0.0f ? ordered_json(nullptr) : ordered_json(relu->max_value());
    config["negative_slope"] = 0.0;
    config["threshold"] = 0.0;
  } else if (const auto* act = dynamic_cast<const ActivationLayer*>(&layer)) {
    config["activation"] = ActivationName(act->activation());
  } else if (const auto* conv = dynamic_cast<const Conv2D*>(&layer)) {
    const Conv2DOptions& o = conv->options();
    config["filters"] = o.filters;
    config["kernel_size"] = Pair(o.kernel_size);
    config["strides"] = Pair(o.strides);
    config["padding"] = o.padding;
    config["data_format"] = "channels_last";
    config["dilation_rate"] = Pair(o.dilation_rate);
    config["groups"] = 1;
    config["activation"] = ActivationName(o.activation);
    config["use_bias"] = o.use_bias;
    config["kernel_initializer"] = InitializerJson(o.kernel_initializer);
    config["bias_initializer"] = InitializerJson(o.bias_initializer);
    for (const char* key : {"kernel_regularizer", "bias_regularizer", "activity_regularizer",
                            "kernel_constraint", "bias_constraint"}) {
      config[key] = nullptr;
    }
  } else if (const auto* dw = dynamic_cast<const DepthwiseConv2D*>(&layer)) {
    const DepthwiseConv2DOptions& o = dw->options();
    config["kernel_size"] = Pair(o.kernel_size);
    config["strides"] = Pair(o.strides);
    config["padding"] = o.padding;
    config["depth_multiplier"] = o.depth_multiplier;
    config["data_format"] = "channels_last";
    config["dilation_rate"] = Pair(o.dilation_rate);
    config["activation"] = ActivationName(o.activation);
    config["use_bias"] = o.use_bias;
    config["depthwise_initializer"] = InitializerJson(o.depthwise_initializer);
    config["bias_initializer"] = InitializerJson(o.bias_initializer);
    for (const char* key : {"depthwise_regularizer", "bias_regularizer", "activity_regularizer",
                            "depthwise_constraint", "bias_constraint"}) {
      config[key] = nullptr;
    }
  } else if (const auto* pool = dynamic_cast<const Pooling2D*>(&layer)) {
    config["pool_size"] = Pair(pool->options().pool_size);
    config["padding"] = pool->options().padding;
    config["strides"] = Pair(pool->strides());
    config["data_format"] = "channels_last";
  } else if (dynamic_cast<const GlobalAveragePooling2D*>(&layer) != nullptr) {
    config["data_format"] = "channels_last";
    config["keepdims"] = false;
  } else if (const auto* bn = dynamic_cast<const BatchNormalization*>(&layer)) {
    config["axis"] = -1;
    config["momentum"] = bn->options().momentum;
    config["epsilon"] = bn->options().epsilon;
    config["center"] = true;
    config["scale"] = true;
    config["beta_initializer"] = InitializerJson(Initializer::Zeros());
    config["gamma_initializer"] = InitializerJson(Initializer::Ones());
    config["moving_mean_initializer"] = InitializerJson(Initializer::Zeros());
    config["moving_variance_initializer"] = InitializerJson(Initializer::Ones());
    for (const char* key :
         {"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"}) {
      config[key] = nullptr;
    }
  } else if (const auto* reshape = dynamic_cast<const Reshape*>(&layer)) {
    ordered_json t = ordered_json::array();
    // The resolved shape (no -1): tfjs 4.22 does not infer it from the input.
    for (int64_t d : reshape->built() ? reshape->output_shape() : reshape->target_shape()) {
      t.push_back(d);
    }
    config["target_shape"] = std::move(t);
  } else if (dynamic_cast<const Flatten*>(&layer) != nullptr) {
    config["data_format"] = "channels_last";
  } else if (const auto* pad = dynamic_cast<const ZeroPadding2D*>(&layer)) {
    const auto& p = pad->padding();
    config["padding"] =
        ordered_json::array({ordered_json::array({p[0], p[1]}), ordered_json::array({p[2], p[3]})});
    config["data_format"] = "channels_last";
  } else if (const auto* rescale = dynamic_cast<const Rescaling*>(&layer)) {
    config["scale"] = rescale->scale();
    config["offset"] = rescale->offset();
  } else if (dynamic_cast<const Normalization*>(&layer) != nullptr) {
    config["axis"] = -1;
    config["mean"] = nullptr;
    config["variance"] = nullptr;
  } else if (dynamic_cast<const Concatenate*>(&layer) != nullptr) {
    config["axis"] = -1;
  }
  return config;
}

// Layers that act only in training (RandomTranslation) have no TF.js
// layers-format class (tfjs would refuse the model) and are the identity at
// inference, so SaveModel leaves them out, as TF's converters drop them: the
// saved model is the inference model.
bool TrainingOnly(const Layer& layer) { return dynamic_cast<const RandomTranslation*>(&layer); }

ordered_json BatchShapeJson(const Shape& shape) {
  ordered_json j = ordered_json::array({nullptr});
  for (int64_t d : shape) j.push_back(d);
  return j;
}

// ---- Loading: every check names the file and the JSON field. -------------

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  Status Error(const std::string& field, const std::string& expected) const {
    return Status::Corruption(file_ + ": field '" + field + "': expected " + expected);
  }
  Status Unsupported(const std::string& field, const std::string& what) const {
    return Status::Unimplemented(file_ + ": field '" + field + "': " + what);
  }

  StatusOr<const json*> Member(const json& obj, const std::string& path, const char* key,
                               bool required = true) const {
    const std::string field = path.empty() ? key : path + "." + key;
    if (!obj.is_object()) return Error(path.empty() ? "<root>" : path, "an object");
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) return Error(field, "to be present");
      return static_cast<const json*>(nullptr);
    }
    return &*it;
  }
  StatusOr<const json*> Object(const json& obj, const std::string& path, const char* key) const {
    ASSIGN_OR_RETURN(const json* j, Member(obj, path, key));
    if (!j->is_object()) return Error(Join(path, key), "an object");
    return j;
  }
  StatusOr<const json*> Array(const json& obj, const std::string& path, const char* key) const {
    ASSIGN_OR_RETURN(const json* j, Member(obj, path, key));
    if (!j->is_array()) return Error(Join(path, key), "an array");
    return j;
  }
  StatusOr<std::string> String(const json& obj, const std::string& path, const char* key) const {
    ASSIGN_OR_RETURN(const json* j, Member(obj, path, key));
    if (!j->is_string() || j->get_ref<const std::string&>().empty()) {
      return Error(Join(path, key), "a non-empty string");
    }
    return j->get<std::string>();
  }
  StatusOr<int64_t> PositiveInt(const json& obj, const std::string& path, const char* key) const {
    ASSIGN_OR_RETURN(const json* j, Member(obj, path, key));
    if (!j->is_number_integer() || j->get<int64_t>() <= 0 ||
        j->get<int64_t>() > (int64_t{1} << 31)) {
      return Error(Join(path, key), "a positive integer");
    }
    return j->get<int64_t>();
  }
  // Optional field that must equal `expected` if present.
  Status OptionalEquals(const json& obj, const std::string& path, const char* key,
                        const json& expected) const {
    ASSIGN_OR_RETURN(const json* j, Member(obj, path, key, /*required=*/false));
    if (j != nullptr && *j != expected) {
      return Unsupported(Join(path, key),
                         "only " + expected.dump() + " is supported, got " + j->dump());
    }
    return Status::OK();
  }
  // [null, d1, d2, ...] with every d > 0: the shape without the batch.
  StatusOr<Shape> BatchInputShape(const json& j, const std::string& field) const {
    Shape shape;
    bool ok = j.is_array() && j.size() >= 2 && (j[0].is_null() || j[0].is_number_integer());
    for (size_t i = 1; ok && i < j.size(); ++i) {
      ok = j[i].is_number_integer() && j[i].get<int64_t>() > 0 &&
           j[i].get<int64_t>() <= (int64_t{1} << 31);
      if (ok) shape.push_back(j[i].get<int64_t>());
    }
    if (!ok) return Error(field, "[null, <positive integers>...]");
    return shape;
  }
  StatusOr<float> Number(const json& obj, const std::string& path, const char* key,
                         float fallback) const {
    ASSIGN_OR_RETURN(const json* j, Member(obj, path, key, /*required=*/false));
    if (j == nullptr || j->is_null()) return fallback;
    if (!j->is_number()) return Error(Join(path, key), "a number");
    return j->get<float>();
  }
  StatusOr<bool> Bool(const json& obj, const std::string& path, const char* key,
                      bool fallback) const {
    ASSIGN_OR_RETURN(const json* j, Member(obj, path, key, /*required=*/false));
    if (j == nullptr) return fallback;
    if (!j->is_boolean()) return Error(Join(path, key), "true or false");
    return j->get<bool>();
  }
  // An int or a pair of positive ints (Keras accepts both for sizes).
  StatusOr<std::array<int64_t, 2>> IntPair(const json& obj, const std::string& path,
                                           const char* key, std::array<int64_t, 2> fallback,
                                           bool required = false) const {
    ASSIGN_OR_RETURN(const json* j, Member(obj, path, key, required));
    if (j == nullptr || j->is_null()) return fallback;
    auto positive = [](const json& v) {
      return v.is_number_integer() && v.get<int64_t>() > 0 && v.get<int64_t>() <= (1 << 20);
    };
    if (positive(*j)) return std::array<int64_t, 2>{j->get<int64_t>(), j->get<int64_t>()};
    if (j->is_array() && j->size() == 2 && positive((*j)[0]) && positive((*j)[1])) {
      return std::array<int64_t, 2>{(*j)[0].get<int64_t>(), (*j)[1].get<int64_t>()};
    }
    return Error(Join(path, key), "a positive integer or a pair of them");
  }
  StatusOr<Activation> ActivationField(const json& obj, const std::string& path) const {
    ASSIGN_OR_RETURN(const json* act, Member(obj, path, "activation", false));
    if (act == nullptr || act->is_null()) return Activation::kLinear;
    if (!act->is_string()) return Error(Join(path, "activation"), "a string");
    StatusOr<Activation> parsed = ParseActivation(act->get<std::string>());
    if (!parsed.ok()) return Unsupported(Join(path, "activation"), parsed.status().message());
    return *parsed;
  }
  // Initializers only matter for training from scratch: unknown ones fall
  // back to the default instead of failing the load.
  Initializer InitializerField(const json& obj, const char* key, Initializer fallback) const {
    auto it = obj.find(key);
    if (it == obj.end()) return fallback;
    const json& j = *it;
    std::string name;
    if (j.is_string()) name = j.get<std::string>();
    if (j.is_object() && j.contains("class_name") && j["class_name"].is_string()) {
      name = j["class_name"].get<std::string>();
    }
    StatusOr<Initializer> init = ParseInitializer(name);
    if (!init.ok()) return fallback;
    if (init->kind == Initializer::Kind::kRandomNormal && j.is_object() && j.contains("config") &&
        j["config"].is_object()) {
      const json& c = j["config"];
      if (c.contains("mean") && c["mean"].is_number()) init->mean = c["mean"].get<float>();
      if (c.contains("stddev") && c["stddev"].is_number()) init->stddev = c["stddev"].get<float>();
    }
    return *init;
  }

  static std::string Join(const std::string& path, const char* key) {
    return path.empty() ? key : path + "." + key;
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// A relative path inside the model directory (the manifest is untrusted).
bool SafeRelativePath(const std::string& p) {
  if (p.empty() || p[0] == '/') return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    if (p.compare(start, end - start, "..") == 0 && end - start == 2) return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

Status SaveModel(const Model& model, const std::string& dir) {
  if (!model.built()) return Status::FailedPrecondition("SaveModel: model is not built");
  RETURN_IF_ERROR(CreateDirectories(dir));

  ordered_json topology;
  if (model.is_sequential()) {
    ordered_json layers = ordered_json::array();
    for (size_t i = 0; i < model.layers().size(); ++i) {
      if (TrainingOnly(*model.layers()[i])) continue;
      ordered_json config = LayerConfig(*model.layers()[i]);
      if (layers.empty()) {
        // batch_input_shape goes right after the name, as Keras writes it.
        ordered_json with_shape;
        for (auto it = config.begin(); it != config.end(); ++it) {
          with_shape[it.key()] = it.value();
          if (it.key() == "trainable") {
            with_shape["batch_input_shape"] =
                BatchShapeJson(model.tensor_shape(model.input_tensors()[0]));
          }
        }
        config = std::move(with_shape);
      }
      layers.push_back(
          {{"class_name", model.layers()[i]->class_name()}, {"config", std::move(config)}});
    }
    if (layers.empty()) {
      return Status::InvalidArgument("SaveModel: model '" + model.name() +
                                     "' has no layer left at inference (training-only "
                                     "layers such as RandomTranslation are not saved)");
    }
    topology["class_name"] = "Sequential";
    topology["config"] = {{"name", model.name()}, {"layers", std::move(layers)}};
  } else {
    // Keras 2 functional form; every layer carries a layer-level "name"
    // (tfjs needs it) and its inbound nodes [[[layer, 0, 0, {}], ...]].
    auto tensor_layer_name = [&](int id) -> std::string {
      int producer = model.tensor_producer(id);
      // A training-only layer is not saved: its consumers read its input.
      while (producer >= 0 && TrainingOnly(*model.layers()[static_cast<size_t>(producer)])) {
        id = model.node_inputs(static_cast<size_t>(producer))[0];
        producer = model.tensor_producer(id);
      }
      return producer < 0 ? model.tensor_input_name(id)
                          : model.layers()[static_cast<size_t>(producer)]->name();
    };
    ordered_json layers = ordered_json::array();
    ordered_json input_layers = ordered_json::array();
    for (int id : model.input_tensors()) {
      const std::string name = model.tensor_input_name(id);
      ordered_json config;
      config["batch_input_shape"] = BatchShapeJson(model.tensor_shape(id));
      config["dtype"] = "float32";
      config["sparse"] = false;
      config["ragged"] = false;
      config["name"] = name;
      layers.push_back({{"class_name", "InputLayer"},
                        {"config", std::move(config)},
                        {"name", name},
                        {"inbound_nodes", ordered_json::array()}});
      input_layers.push_back(ordered_json::array({name, 0, 0}));
    }
    for (size_t i = 0; i < model.layers().size(); ++i) {
      const Layer& layer = *model.layers()[i];
      if (TrainingOnly(layer)) continue;
      ordered_json node = ordered_json::array();
      for (int id : model.node_inputs(i)) {
        node.push_back(ordered_json::array({tensor_layer_name(id), 0, 0, ordered_json::object()}));
      }
      layers.push_back({{"class_name", layer.class_name()},
                        {"config", LayerConfig(layer)},
                        {"name", layer.name()},
                        {"inbound_nodes", ordered_json::array({std::move(node)})}});
    }
    topology["class_name"] = "Functional";
    topology["config"] = {
        {"name", model.name()},
        {"layers", std::move(layers)},
        {"input_layers", std::move(input_layers)},
        {"output_layers", ordered_json::array({ordered_json::array(
                              {tensor_layer_name(model.output_tensor()), 0, 0})})}};
  }
  topology["keras_version"] = kKerasVersion;
  topology["backend"] = "tensorflow";

  std::string bin;
  ordered_json manifest_weights = ordered_json::array();
  for (const auto& [name, tensor] : model.GetWeights()) {
    manifest_weights.push_back(
        {{"name", name}, {"shape", ShapeJson(tensor.shape())}, {"dtype", "float32"}});
    bin.append(static_cast<const char*>(tensor.raw_data()), tensor.num_bytes());
  }
  ordered_json signature;
  signature["inputs"] = ordered_json::array();
  for (int id : model.input_tensors()) {
    Shape shape = {-1};
    shape.insert(shape.end(), model.tensor_shape(id).begin(), model.tensor_shape(id).end());
    signature["inputs"].push_back(
        {{"name", model.tensor_input_name(id)}, {"dtype", "float32"}, {"shape", ShapeJson(shape)}});
  }
  signature["outputs"] = ordered_json::array({{{"name", model.output_name()},
                                               {"dtype", "float32"},
                                               {"shape", ShapeJson(model.output_shape())}}});
  ordered_json root;
  root["format"] = "layers-model";
  root["generatedBy"] = kGeneratedBy;
  root["convertedBy"] = nullptr;
  root["modelTopology"] = std::move(topology);
  root["weightsManifest"] = ordered_json::array({{{"paths", ordered_json::array({kWeightsBinName})},
                                                  {"weights", std::move(manifest_weights)}}});
  root["userDefinedMetadata"] = {{"signature", std::move(signature)},
                                 {"user", ordered_json::parse(model.user_metadata().dump())}};

  RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, kWeightsBinName), bin));
  return WriteFileAtomic(JoinPath(dir, kModelJsonName), root.dump(1) + "\n");
}

namespace {

constexpr char kSupportedLayers[] =
    "InputLayer, Dense, Dropout, ReLU, Activation, Conv2D, DepthwiseConv2D, MaxPooling2D, "
    "AveragePooling2D, GlobalAveragePooling2D, BatchNormalization, Flatten, Reshape, "
    "ZeroPadding2D, Rescaling, Normalization, Add, Concatenate";

// One layer from its class name and config.
StatusOr<std::unique_ptr<Layer>> ParseLayer(const Reader& r, const std::string& cls,
                                            const json& cfg, const std::string& cfg_path,
                                            const std::string& class_path,
                                            const std::string& name) {
  RETURN_IF_ERROR(r.OptionalEquals(cfg, cfg_path, "data_format", "channels_last"));
  if (cls == "Dense") {
    ASSIGN_OR_RETURN(int64_t units, r.PositiveInt(cfg, cfg_path, "units"));
    ASSIGN_OR_RETURN(Activation act, r.ActivationField(cfg, cfg_path));
    ASSIGN_OR_RETURN(bool use_bias, r.Bool(cfg, cfg_path, "use_bias", true));
    DenseOptions o{.units = units, .activation = act, .use_bias = use_bias};
    o.kernel_initializer = r.InitializerField(cfg, "kernel_initializer", o.kernel_initializer);
    return std::unique_ptr<Layer>(new Dense(o, name));
  }
  if (cls == "Dropout") {
    ASSIGN_OR_RETURN(const json* rate, r.Member(cfg, cfg_path, "rate"));
    if (!rate->is_number() || !(rate->get<double>() >= 0.0 && rate->get<double>() < 1.0)) {
      return r.Error(cfg_path + ".rate", "a number in [0, 1)");
    }
    RETURN_IF_ERROR(r.OptionalEquals(cfg, cfg_path, "noise_shape", nullptr));
    return std::unique_ptr<Layer>(new Dropout(rate->get<float>(), name));
  }
  if (cls == "ReLU") {
    ASSIGN_OR_RETURN(float max_value, r.Number(cfg, cfg_path, "max_value", 0.0f));
    if (max_value != 0.0f && max_value != 6.0f) {
      return r.Unsupported(cfg_path + ".max_value", "only null and 6 are supported");
    }
    RETURN_IF_ERROR(r.OptionalEquals(cfg, cfg_path, "negative_slope", 0.0));
    RETURN_IF_ERROR(r.OptionalEquals(cfg, cfg_path, "threshold", 0.0));
    return max_value == 0.0f ? std::unique_ptr<Layer>(new ReLU(name))
                             : std::unique_ptr<Layer>(new ReLU(max_value, name));
  }
  if (cls == "Activation") {
    ASSIGN_OR_RETURN(Activation act, r.ActivationField(cfg, cfg_path));
    return std::unique_ptr<Layer>(new ActivationLayer(act, name));
  }
  if (cls == "Conv2D" || cls == "DepthwiseConv2D") {
    ASSIGN_OR_RETURN(auto kernel_size, r.IntPair(cfg, cfg_path, "kernel_size", {1, 1}, true));
    ASSIGN_OR_RETURN(auto strides, r.IntPair(cfg, cfg_path, "strides", {1, 1}));
    ASSIGN_OR_RETURN(auto dilation, r.IntPair(cfg, cfg_path, "dilation_rate", {1, 1}));
    ASSIGN_OR_RETURN(std::string padding, r.String(cfg, cfg_path, "padding"));
    if (padding != "valid" && padding != "same") {
      return r.Unsupported(cfg_path + ".padding",
                           "expected \"valid\" or \"same\", got \"" + padding + "\"");
    }
    ASSIGN_OR_RETURN(Activation act, r.ActivationField(cfg, cfg_path));
    ASSIGN_OR_RETURN(bool use_bias, r.Bool(cfg, cfg_path, "use_bias", true));
    if (cls == "Conv2D") {
      ASSIGN_OR_RETURN(int64_t filters, r.PositiveInt(cfg, cfg_path, "filters"));
      RETURN_IF_ERROR(r.OptionalEquals(cfg, cfg_path, "groups", 1));
      Conv2DOptions o{.filters = filters,
                      .kernel_size = kernel_size,
                      .strides = strides,
                      .padding = padding,
                      .dilation_rate = dilation,
                      .activation = act,
                      .use_bias = use_bias};
      o.kernel_initializer = r.InitializerField(cfg, "kernel_initializer", o.kernel_initializer);
      return std::unique_ptr<Layer>(new Conv2D(o, name));
    }
    int64_t multiplier = 1;
    if (cfg.contains("depth_multiplier")) {
      ASSIGN_OR_RETURN(multiplier, r.PositiveInt(cfg, cfg_path, "depth_multiplier"));
    }
    DepthwiseConv2DOptions o{.kernel_size = kernel_size,
                             .strides = strides,
                             .padding = padding,
                             .depth_multiplier = multiplier,
                             .dilation_rate = dilation,
                             .activation = act,
                             .use_bias = use_bias};
    o.depthwise_initializer =
        r.InitializerField(cfg, "depthwise_initializer", o.depthwise_initializer);
    return std::unique_ptr<Layer>(new DepthwiseConv2D(o, name));
  }
  if (cls == "MaxPooling2D" || cls == "AveragePooling2D") {
    ASSIGN_OR_RETURN(auto pool_size, r.IntPair(cfg, cfg_path, "pool_size", {2, 2}));
    ASSIGN_OR_RETURN(auto strides, r.IntPair(cfg, cfg_path, "strides", {0, 0}));
    std::string padding = "valid";
    if (cfg.contains("padding")) {
      ASSIGN_OR_RETURN(padding, r.String(cfg, cfg_path, "padding"));
    }
    if (padding != "valid" && padding != "same") {
      return r.Unsupported(cfg_path + ".padding", "expected \"valid\" or \"same\"");
    }
    Pooling2DOptions o{.pool_size = pool_size, .strides = strides, .padding = padding};
    if (cls == "MaxPooling2D") return std::unique_ptr<Layer>(new MaxPooling2D(o, name));
    return std::unique_ptr<Layer>(new AveragePooling2D(o, name));
  }
  if (cls == "GlobalAveragePooling2D") {
    RETURN_IF_ERROR(r.OptionalEquals(cfg, cfg_path, "keepdims", false));
    return std::unique_ptr<Layer>(new GlobalAveragePooling2D(name));
  }
  if (cls == "BatchNormalization") {
    ASSIGN_OR_RETURN(const json* axis, r.Member(cfg, cfg_path, "axis", false));
    if (axis != nullptr && !(*axis == json(-1) || *axis == json::array({-1}))) {
      return r.Unsupported(cfg_path + ".axis", "only the last axis (-1) is supported");
    }
    RETURN_IF_ERROR(r.OptionalEquals(cfg, cfg_path, "center", true));
    RETURN_IF_ERROR(r.OptionalEquals(cfg, cfg_path, "scale", true));
    ASSIGN_OR_RETURN(float momentum, r.Number(cfg, cfg_path, "momentum", 0.99f));
    ASSIGN_OR_RETURN(float epsilon, r.Number(cfg, cfg_path, "epsilon", 1e-3f));
    if (!(momentum >= 0.0f && momentum <= 1.0f)) {
      return r.Error(cfg_path + ".momentum", "a number in [0, 1]");
    }
    if (!(epsilon > 0.0f)) return r.Error(cfg_path + ".epsilon", "a positive number");
    return std::unique_ptr<Layer>(new BatchNormalization({momentum, epsilon}, name));
  }
  if (cls == "Flatten") return std::unique_ptr<Layer>(new Flatten(name));
  if (cls == "Reshape") {
    ASSIGN_OR_RETURN(const json* t, r.Array(cfg, cfg_path, "target_shape"));
    Shape target;
    // The known dimensions' product is bounded like any tensor's, so that
    // Reshape's own arithmetic cannot overflow.
    int64_t known = 1;
    for (const json& d : *t) {
      if (!d.is_number_integer() || (d.get<int64_t>() <= 0 && d.get<int64_t>() != -1)) {
        return r.Error(cfg_path + ".target_shape", "positive integers (one may be -1)");
      }
      const int64_t v = d.get<int64_t>();
      if (v > 0 && known > Model::kMaxTensorElements / v) {
        return r.Error(cfg_path + ".target_shape",
                       "at most " + std::to_string(Model::kMaxTensorElements) +
                           " elements, got a product of dimensions beyond that");
      }
      if (v > 0) known *= v;
      target.push_back(v);
    }
    return std::unique_ptr<Layer>(new Reshape(target, name));
  }
  if (cls == "ZeroPadding2D") {
    ASSIGN_OR_RETURN(const json* p, r.Member(cfg, cfg_path, "padding"));
    // Bounded like every other size (2^31), so that padded sizes cannot overflow.
    auto nonneg = [](const json& v) {
      return v.is_number_integer() && v.get<int64_t>() >= 0 &&
             v.get<int64_t>() <= (int64_t{1} << 31);
    };
    std::array<int64_t, 4> pad;
    if (nonneg(*p)) {
      pad.fill(p->get<int64_t>());
    } else if (p->is_array() && p->size() == 2 && nonneg((*p)[0]) && nonneg((*p)[1])) {
      pad = {(*p)[0].get<int64_t>(), (*p)[0].get<int64_t>(), (*p)[1].get<int64_t>(),
             (*p)[1].get<int64_t>()};
    } else if (p->is_array() && p->size() == 2 && (*p)[0].is_array() && (*p)[1].is_array() &&
               (*p)[0].size() == 2 && (*p)[1].size() == 2 && nonneg((*p)[0][0]) &&
               nonneg((*p)[0][1]) && nonneg((*p)[1][0]) && nonneg((*p)[1][1])) {
      pad = {(*p)[0][0].get<int64_t>(), (*p)[0][1].get<int64_t>(), (*p)[1][0].get<int64_t>(),
             (*p)[1][1].get<int64_t>()};
    } else {
      return r.Error(cfg_path + ".padding",
                     "an int, [h, w] or [[top, bottom], [left, right]] (each 0..2^31)");
    }
    return std::unique_ptr<Layer>(new ZeroPadding2D(pad, name));
  }
  if (cls == "Rescaling") {
    ASSIGN_OR_RETURN(const json* scale, r.Member(cfg, cfg_path, "scale"));
    if (!scale->is_number()) return r.Error(cfg_path + ".scale", "a number");
    ASSIGN_OR_RETURN(float offset, r.Number(cfg, cfg_path, "offset", 0.0f));
    return std::unique_ptr<Layer>(new Rescaling(scale->get<float>(), offset, name));
  }
  if (cls == "Normalization") {
    ASSIGN_OR_RETURN(const json* axis, r.Member(cfg, cfg_path, "axis", false));
    if (axis != nullptr && !(*axis == json(-1) || *axis == json::array({-1}))) {
      return r.Unsupported(cfg_path + ".axis", "only the last axis (-1) is supported");
    }
    return std::unique_ptr<Layer>(new Normalization({}, {}, name));
  }
  if (cls == "Add") return std::unique_ptr<Layer>(new Add(name));
  if (cls == "Concatenate") {
    RETURN_IF_ERROR(r.OptionalEquals(cfg, cfg_path, "axis", -1));
    return std::unique_ptr<Layer>(new Concatenate(name));
  }
  return r.Unsupported(class_path,
                       "unknown layer class \"" + cls + "\" (supported: " + kSupportedLayers + ")");
}

StatusOr<std::unique_ptr<Model>> LoadModelUnchecked(const std::string& dir, bool sequential_only) {
  const std::string json_path = JoinPath(dir, kModelJsonName);
  ASSIGN_OR_RETURN(std::string text, ReadFile(json_path, kMaxModelJsonBytes));
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    return Status::Corruption(json_path + ": offset " + std::to_string(e.byte) +
                              ": invalid JSON (" + e.what() + ")");
  }
  Reader r(json_path);
  if (!root.is_object()) return r.Error("<root>", "an object");
  RETURN_IF_ERROR(r.OptionalEquals(root, "", "format", "layers-model"));

  ASSIGN_OR_RETURN(const json* topology, r.Object(root, "", "modelTopology"));
  ASSIGN_OR_RETURN(std::string class_name, r.String(*topology, "modelTopology", "class_name"));
  const bool is_sequential = class_name == "Sequential";
  if (!is_sequential && class_name != "Functional" && class_name != "Model") {
    return r.Unsupported(
        "modelTopology.class_name",
        "expected \"Sequential\", \"Functional\" or \"Model\", got \"" + class_name + "\"");
  }
  if (!is_sequential && sequential_only) {
    return r.Unsupported("modelTopology.class_name",
                         "a \"" + class_name +
                             "\" model needs LoadAnyModel (LoadModel reads "
                             "Sequential models)");
  }
  ASSIGN_OR_RETURN(const json* config, r.Object(*topology, "modelTopology", "config"));
  std::string model_name = is_sequential ? "sequential" : "model";
  ASSIGN_OR_RETURN(const json* name_field,
                   r.Member(*config, "modelTopology.config", "name", /*required=*/false));
  if (name_field != nullptr && name_field->is_string()) model_name = name_field->get<std::string>();
  ASSIGN_OR_RETURN(const json* layers, r.Array(*config, "modelTopology.config", "layers"));
  if (layers->empty()) return r.Error("modelTopology.config.layers", "at least one layer");

  // The weight files are read before the topology is built: what they hold
  // bounds what Build may allocate, so no size field of the topology alone
  // makes it allocate more. Each file is read once.
  ASSIGN_OR_RETURN(const json* manifest, r.Array(root, "", "weightsManifest"));
  std::vector<std::pair<std::string, std::string>> group_data;  // bytes, "<file>+<file>"
  std::set<std::string> weight_files;
  int64_t stored_floats = 0;
  for (size_t g = 0; g < manifest->size(); ++g) {
    const std::string gpath = Index("weightsManifest", g);
    ASSIGN_OR_RETURN(const json* paths, r.Array((*manifest)[g], gpath, "paths"));
    // A group's files are one byte stream (TF.js shards big groups).
    std::string bytes, files;
    for (size_t p = 0; p < paths->size(); ++p) {
      const json& pj = (*paths)[p];
      if (!pj.is_string() || !SafeRelativePath(pj.get<std::string>())) {
        return r.Error(Index(gpath + ".paths", p),
                       "a relative file name inside the model directory");
      }
      if (!weight_files.insert(pj.get<std::string>()).second) {
        return r.Error(Index(gpath + ".paths", p),
                       "a file not listed before in weightsManifest, got \"" +
                           pj.get<std::string>() + "\" again");
      }
      const std::string file = JoinPath(dir, pj.get<std::string>());
      ASSIGN_OR_RETURN(std::string data, ReadFile(file));
      bytes += data;
      files += (files.empty() ? "" : "+") + file;
    }
    stored_floats += static_cast<int64_t>(bytes.size() / sizeof(float));
    group_data.emplace_back(std::move(bytes), std::move(files));
  }
  // Slack (twice, at least 1M) so a topology merely disagreeing with its
  // files still gets the exact size-mismatch error further down.
  const int64_t max_weights =
      std::min(std::max(2 * stored_floats, int64_t{1} << 20), Model::kMaxTensorElements);
  const std::string max_weights_why =
      "the limit its weight files set (they hold " + std::to_string(stored_floats) + " floats)";

  std::unique_ptr<Model> model;
  std::set<std::string> names;
  if (is_sequential) {
    auto seq = std::make_unique<Sequential>(model_name);
    seq->set_max_weights(max_weights, max_weights_why);
    Shape input_shape;
    size_t added = 0;
    for (size_t i = 0; i < layers->size(); ++i) {
      const std::string path = Index("modelTopology.config.layers", i);
      const json& entry = (*layers)[i];
      ASSIGN_OR_RETURN(std::string cls, r.String(entry, path, "class_name"));
      ASSIGN_OR_RETURN(const json* cfg, r.Object(entry, path, "config"));
      const std::string cfg_path = path + ".config";
      ASSIGN_OR_RETURN(std::string name, r.String(*cfg, cfg_path, "name"));
      if (!names.insert(name).second) return r.Error(cfg_path + ".name", "a unique layer name");
      RETURN_IF_ERROR(r.OptionalEquals(*cfg, cfg_path, "dtype", "float32"));
      ASSIGN_OR_RETURN(const json* bis,
                       r.Member(*cfg, cfg_path, "batch_input_shape", /*required=*/false));
      if (bis != nullptr) {
        if (added > 0) {
          return r.Unsupported(cfg_path + ".batch_input_shape",
                               "only the first layer may declare the input shape");
        }
        ASSIGN_OR_RETURN(input_shape, r.BatchInputShape(*bis, cfg_path + ".batch_input_shape"));
      }
      if (cls == "InputLayer") {
        if (i != 0)
          return r.Unsupported(path + ".class_name", "InputLayer must be the first layer");
        if (bis == nullptr) return r.Error(cfg_path + ".batch_input_shape", "to be present");
        seq->set_input_name(name);
        continue;
      }
      ASSIGN_OR_RETURN(std::unique_ptr<Layer> layer,
                       ParseLayer(r, cls, *cfg, cfg_path, path + ".class_name", name));
      RETURN_IF_ERROR(seq->Add(std::move(layer)).WithContext(json_path + ": " + path));
      ++added;
    }
    if (input_shape.empty()) {
      return r.Error("modelTopology.config.layers[0].config.batch_input_shape", "to be present");
    }
    if (added == 0) return r.Error("modelTopology.config.layers", "a non-input layer");
    RETURN_IF_ERROR(seq->Build(input_shape).WithContext(json_path));
    model = std::move(seq);
  } else {
    model = std::make_unique<Model>(model_name);
    model->set_max_weights(max_weights, max_weights_why);
    std::map<std::string, SymbolicTensor> outputs;  // layer name → its output
    for (size_t i = 0; i < layers->size(); ++i) {
      const std::string path = Index("modelTopology.config.layers", i);
      const json& entry = (*layers)[i];
      ASSIGN_OR_RETURN(std::string cls, r.String(entry, path, "class_name"));
      ASSIGN_OR_RETURN(const json* cfg, r.Object(entry, path, "config"));
      const std::string cfg_path = path + ".config";
      ASSIGN_OR_RETURN(std::string name, r.String(entry, path, "name"));
      if (!names.insert(name).second) return r.Error(path + ".name", "a unique layer name");
      RETURN_IF_ERROR(r.OptionalEquals(*cfg, cfg_path, "dtype", "float32"));
      ASSIGN_OR_RETURN(const json* inbound, r.Array(entry, path, "inbound_nodes"));
      if (cls == "InputLayer") {
        ASSIGN_OR_RETURN(const json* bis, r.Member(*cfg, cfg_path, "batch_input_shape"));
        ASSIGN_OR_RETURN(Shape shape, r.BatchInputShape(*bis, cfg_path + ".batch_input_shape"));
        ASSIGN_OR_RETURN(SymbolicTensor t, model->Input(shape, name));
        outputs[name] = t;
        continue;
      }
      const std::string node_path = path + ".inbound_nodes";
      if (inbound->size() != 1 || !(*inbound)[0].is_array() || (*inbound)[0].empty()) {
        return r.Unsupported(node_path,
                             "expected exactly one node [[[\"layer\", 0, 0, {}], ...]] "
                             "(shared layers are not supported)");
      }
      std::vector<SymbolicTensor> ins;
      for (size_t k = 0; k < (*inbound)[0].size(); ++k) {
        const json& ref = (*inbound)[0][k];
        const std::string ref_path = node_path + "[0][" + std::to_string(k) + "]";
        if (!ref.is_array() || ref.size() < 3 || !ref[0].is_string() || ref[1] != json(0) ||
            ref[2] != json(0)) {
          return r.Error(ref_path, "[\"<earlier layer>\", 0, 0, {}]");
        }
        auto it = outputs.find(ref[0].get<std::string>());
        if (it == outputs.end()) {
          return r.Error(ref_path,
                         "a layer defined earlier, got \"" + ref[0].get<std::string>() + "\"");
        }
        ins.push_back(it->second);
      }
      ASSIGN_OR_RETURN(std::unique_ptr<Layer> layer,
                       ParseLayer(r, cls, *cfg, cfg_path, path + ".class_name", name));
      StatusOr<SymbolicTensor> out = model->Call(std::move(layer), ins);
      if (!out.ok()) return out.status().WithContext(json_path + ": " + path);
      outputs[name] = *out;
    }
    auto endpoints = [&](const char* key) -> StatusOr<std::vector<SymbolicTensor>> {
      const std::string field = std::string("modelTopology.config.") + key;
      ASSIGN_OR_RETURN(const json* list, r.Array(*config, "modelTopology.config", key));
      std::vector<SymbolicTensor> out;
      for (size_t k = 0; k < list->size(); ++k) {
        const json& ref = (*list)[k];
        if (!ref.is_array() || ref.size() < 1 || !ref[0].is_string() ||
            outputs.count(ref[0].get<std::string>()) == 0) {
          return r.Error(Index(field, k), "[\"<layer name>\", 0, 0]");
        }
        out.push_back(outputs[ref[0].get<std::string>()]);
      }
      return out;
    };
    ASSIGN_OR_RETURN(std::vector<SymbolicTensor> ins, endpoints("input_layers"));
    ASSIGN_OR_RETURN(std::vector<SymbolicTensor> outs, endpoints("output_layers"));
    RETURN_IF_ERROR(model->Build(ins, outs).WithContext(json_path));
  }

  // Expected weights, from the topology.
  std::map<std::string, Shape> expected;
  for (const auto& [name, tensor] : model->GetWeights()) expected[name] = tensor.shape();

  std::vector<std::pair<std::string, Tensor>> weights;
  for (size_t g = 0; g < manifest->size(); ++g) {
    const std::string gpath = Index("weightsManifest", g);
    const json& group = (*manifest)[g];
    ASSIGN_OR_RETURN(const json* entries, r.Array(group, gpath, "weights"));
    const auto& [bytes, files] = group_data[g];
    size_t offset = 0;
    for (size_t w = 0; w < entries->size(); ++w) {
      const std::string wpath = Index(gpath + ".weights", w);
      const json& entry = (*entries)[w];
      ASSIGN_OR_RETURN(std::string name, r.String(entry, wpath, "name"));
      ASSIGN_OR_RETURN(std::string dtype, r.String(entry, wpath, "dtype"));
      if (dtype != "float32") {
        return r.Unsupported(wpath + ".dtype",
                             "only \"float32\" is supported, got \"" + dtype + "\"");
      }
      ASSIGN_OR_RETURN(const json* q, r.Member(entry, wpath, "quantization", false));
      if (q != nullptr)
        return r.Unsupported(wpath + ".quantization", "quantized weights are not supported");
      ASSIGN_OR_RETURN(const json* shape_json, r.Array(entry, wpath, "shape"));
      Shape shape;
      for (const json& d : *shape_json) {
        if (!d.is_number_integer() || d.get<int64_t>() < 0 ||
            d.get<int64_t>() > (int64_t{1} << 31)) {
          return r.Error(wpath + ".shape", "an array of non-negative integers");
        }
        shape.push_back(d.get<int64_t>());
      }
      auto it = expected.find(name);
      if (it == expected.end()) {
        return r.Error(wpath + ".name",
                       "a weight of the topology (\"<layer>/kernel\", \"<layer>/bias\", ...), "
                       "got \"" +
                           name + "\"");
      }
      if (it->second != shape) {
        return r.Error(wpath + ".shape", ShapeToString(it->second) + " for '" + name +
                                             "' (from modelTopology), got " + ShapeToString(shape));
      }
      expected.erase(it);
      Tensor t(DType::kFloat32, shape);
      if (offset + t.num_bytes() <= bytes.size()) {
        std::memcpy(t.raw_data(), bytes.data() + offset, t.num_bytes());
      }
      offset += t.num_bytes();
      weights.emplace_back(name, std::move(t));
    }
    if (offset != bytes.size()) {
      return Status::Corruption(files + ": size " + std::to_string(bytes.size()) +
                                " bytes, expected " + std::to_string(offset) +
                                " (the sum of the sizes of " + gpath + ".weights)");
    }
  }
  if (!expected.empty()) {
    return r.Error("weightsManifest", "an entry for weight '" + expected.begin()->first + "'");
  }
  RETURN_IF_ERROR(model->SetWeights(weights).WithContext(json_path));

  ASSIGN_OR_RETURN(const json* meta, r.Member(root, "", "userDefinedMetadata", false));
  if (meta != nullptr && meta->is_object()) {
    auto sig = meta->find("signature");
    if (sig != meta->end() && sig->is_object()) {
      auto outs = sig->find("outputs");
      if (outs != sig->end()) {
        const std::string path = "userDefinedMetadata.signature.outputs";
        if (!outs->is_array() || outs->size() != 1) return r.Error(path, "an array of one tensor");
        ASSIGN_OR_RETURN(std::string name, r.String((*outs)[0], path + "[0]", "name"));
        model->set_output_name(name);
      }
      auto ins = sig->find("inputs");
      if (ins != sig->end() && model->num_inputs() == 1) {
        const std::string path = "userDefinedMetadata.signature.inputs";
        if (!ins->is_array() || ins->size() != 1) return r.Error(path, "an array of one tensor");
        ASSIGN_OR_RETURN(std::string name, r.String((*ins)[0], path + "[0]", "name"));
        model->set_input_name(name);
      }
    }
    auto user = meta->find("user");
    if (user != meta->end()) {
      if (!user->is_object()) return r.Error("userDefinedMetadata.user", "an object");
      model->user_metadata() = *user;
    }
  }
  return model;
}

StatusOr<std::unique_ptr<Model>> LoadChecked(const std::string& dir, bool sequential_only) {
  // Every access above is type-checked first; this catch is the safety net
  // that keeps a missed case from throwing across the API.
  try {
    return LoadModelUnchecked(dir, sequential_only);
  } catch (const std::exception& e) {
    return Status::Corruption(JoinPath(dir, kModelJsonName) + ": " + e.what());
  }
}

}  // namespace

StatusOr<std::unique_ptr<Sequential>> LoadModel(const std::string& dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<Model> model, LoadChecked(dir, /*sequential_only=*/true));
  return std::unique_ptr<Sequential>(static_cast<Sequential*>(model.release()));
}

StatusOr<std::unique_ptr<Model>> LoadAnyModel(const std::string& dir) {
  return LoadChecked(dir, /*sequential_only=*/false);
}

}  // namespace edgepipe::nn
