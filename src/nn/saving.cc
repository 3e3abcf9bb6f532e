#include "src/nn/saving.h"

#include <bit>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "src/core/files.h"

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

ordered_json LayerJson(const Layer& layer, bool first, int64_t input_features) {
  ordered_json config;
  config["name"] = layer.name();
  config["trainable"] = true;
  if (first) config["batch_input_shape"] = ordered_json::array({nullptr, input_features});
  config["dtype"] = "float32";
  if (const auto* dense = dynamic_cast<const Dense*>(&layer)) {
    config["units"] = dense->units();
    config["activation"] = ActivationName(dense->activation());
    config["use_bias"] = true;
    config["kernel_initializer"] = {{"class_name", "GlorotUniform"},
                                    {"config", {{"seed", nullptr}}}};
    config["bias_initializer"] = {{"class_name", "Zeros"}, {"config", ordered_json::object()}};
    for (const char* key : {"kernel_regularizer", "bias_regularizer", "activity_regularizer",
                            "kernel_constraint", "bias_constraint"}) {
      config[key] = nullptr;
    }
  } else if (const auto* dropout = dynamic_cast<const Dropout*>(&layer)) {
    config["rate"] = dropout->rate();
    config["noise_shape"] = nullptr;
    config["seed"] = nullptr;
  } else if (dynamic_cast<const ReLU*>(&layer) != nullptr) {
    config["max_value"] = nullptr;
    config["negative_slope"] = 0.0;
    config["threshold"] = 0.0;
  }
  ordered_json j;
  j["class_name"] = layer.class_name();
  j["config"] = std::move(config);
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
  // [null, n] with n > 0.
  StatusOr<int64_t> BatchInputShape(const json& j, const std::string& field) const {
    if (!j.is_array() || j.size() != 2 || !(j[0].is_null() || j[0].is_number_integer()) ||
        !j[1].is_number_integer() || j[1].get<int64_t>() <= 0 ||
        j[1].get<int64_t>() > (int64_t{1} << 31)) {
      return Error(field, "[null, <positive integer>]");
    }
    return j[1].get<int64_t>();
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

Status SaveModel(const Sequential& model, const std::string& dir) {
  if (!model.built()) return Status::FailedPrecondition("SaveModel: model is not built");
  RETURN_IF_ERROR(CreateDirectories(dir));

  ordered_json layers = ordered_json::array();
  for (size_t i = 0; i < model.layers().size(); ++i) {
    layers.push_back(LayerJson(*model.layers()[i], i == 0, model.input_features()));
  }
  ordered_json topology;
  topology["class_name"] = "Sequential";
  topology["config"] = {{"name", model.name()}, {"layers", std::move(layers)}};
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
  signature["inputs"] = ordered_json::array({{{"name", model.input_name()},
                                              {"dtype", "float32"},
                                              {"shape", ShapeJson(model.input_shape())}}});
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

StatusOr<std::unique_ptr<Sequential>> LoadModelUnchecked(const std::string& dir) {
  const std::string json_path = JoinPath(dir, kModelJsonName);
  ASSIGN_OR_RETURN(std::string text, ReadFile(json_path));
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
  if (class_name != "Sequential") {
    return r.Unsupported("modelTopology.class_name",
                         "expected \"Sequential\", got \"" + class_name + "\"");
  }
  ASSIGN_OR_RETURN(const json* config, r.Object(*topology, "modelTopology", "config"));
  std::string model_name = "sequential";
  ASSIGN_OR_RETURN(const json* name_field,
                   r.Member(*config, "modelTopology.config", "name", /*required=*/false));
  if (name_field != nullptr && name_field->is_string()) model_name = name_field->get<std::string>();
  ASSIGN_OR_RETURN(const json* layers, r.Array(*config, "modelTopology.config", "layers"));
  if (layers->empty()) return r.Error("modelTopology.config.layers", "at least one layer");

  auto model = std::make_unique<Sequential>(model_name);
  int64_t input_features = 0;
  std::set<std::string> names;
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
      if (!model->layers().empty()) {
        return r.Unsupported(cfg_path + ".batch_input_shape",
                             "only the first layer may declare the input shape");
      }
      ASSIGN_OR_RETURN(input_features, r.BatchInputShape(*bis, cfg_path + ".batch_input_shape"));
    }
    if (cls == "InputLayer") {
      if (i != 0) return r.Unsupported(path + ".class_name", "InputLayer must be the first layer");
      if (bis == nullptr) return r.Error(cfg_path + ".batch_input_shape", "to be present");
      model->set_input_name(name);
      continue;
    }
    std::unique_ptr<Layer> layer;
    if (cls == "Dense") {
      ASSIGN_OR_RETURN(int64_t units, r.PositiveInt(*cfg, cfg_path, "units"));
      Activation activation = Activation::kLinear;
      ASSIGN_OR_RETURN(const json* act, r.Member(*cfg, cfg_path, "activation", false));
      if (act != nullptr) {
        if (!act->is_string()) return r.Error(cfg_path + ".activation", "a string");
        StatusOr<Activation> parsed = ParseActivation(act->get<std::string>());
        if (!parsed.ok()) return r.Unsupported(cfg_path + ".activation", parsed.status().message());
        activation = *parsed;
      }
      RETURN_IF_ERROR(r.OptionalEquals(*cfg, cfg_path, "use_bias", true));
      layer = std::make_unique<Dense>(units, activation, name);
    } else if (cls == "Dropout") {
      ASSIGN_OR_RETURN(const json* rate, r.Member(*cfg, cfg_path, "rate"));
      if (!rate->is_number() || !(rate->get<double>() >= 0.0 && rate->get<double>() < 1.0)) {
        return r.Error(cfg_path + ".rate", "a number in [0, 1)");
      }
      RETURN_IF_ERROR(r.OptionalEquals(*cfg, cfg_path, "noise_shape", nullptr));
      layer = std::make_unique<Dropout>(rate->get<float>(), name);
    } else if (cls == "ReLU") {
      RETURN_IF_ERROR(r.OptionalEquals(*cfg, cfg_path, "max_value", nullptr));
      RETURN_IF_ERROR(r.OptionalEquals(*cfg, cfg_path, "negative_slope", 0.0));
      RETURN_IF_ERROR(r.OptionalEquals(*cfg, cfg_path, "threshold", 0.0));
      layer = std::make_unique<ReLU>(name);
    } else {
      return r.Unsupported(
          path + ".class_name",
          "unknown layer class \"" + cls + "\" (supported: InputLayer, Dense, Dropout, ReLU)");
    }
    RETURN_IF_ERROR(model->Add(std::move(layer)).WithContext(json_path + ": " + path));
  }
  if (input_features == 0) {
    return r.Error("modelTopology.config.layers[0].config.batch_input_shape", "to be present");
  }
  if (model->layers().empty()) return r.Error("modelTopology.config.layers", "a non-input layer");
  RETURN_IF_ERROR(model->Build(input_features));

  // Expected weights, from the topology.
  std::map<std::string, Shape> expected;
  for (const auto& [name, tensor] : model->GetWeights()) expected[name] = tensor.shape();

  ASSIGN_OR_RETURN(const json* manifest, r.Array(root, "", "weightsManifest"));
  std::vector<std::pair<std::string, Tensor>> weights;
  for (size_t g = 0; g < manifest->size(); ++g) {
    const std::string gpath = Index("weightsManifest", g);
    const json& group = (*manifest)[g];
    ASSIGN_OR_RETURN(const json* paths, r.Array(group, gpath, "paths"));
    ASSIGN_OR_RETURN(const json* entries, r.Array(group, gpath, "weights"));
    // A group's files are one byte stream (TF.js shards big groups).
    std::string bytes, files;
    for (size_t p = 0; p < paths->size(); ++p) {
      const json& pj = (*paths)[p];
      if (!pj.is_string() || !SafeRelativePath(pj.get<std::string>())) {
        return r.Error(Index(gpath + ".paths", p),
                       "a relative file name inside the model directory");
      }
      const std::string file = JoinPath(dir, pj.get<std::string>());
      ASSIGN_OR_RETURN(std::string data, ReadFile(file));
      bytes += data;
      files += (files.empty() ? "" : "+") + file;
    }
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
                       "a weight of the topology (\"<layer>/kernel\" or "
                       "\"<layer>/bias\"), got \"" +
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
      for (const char* side : {"inputs", "outputs"}) {
        auto list = sig->find(side);
        if (list == sig->end()) continue;
        const std::string path = std::string("userDefinedMetadata.signature.") + side;
        if (!list->is_array() || list->size() != 1) return r.Error(path, "an array of one tensor");
        ASSIGN_OR_RETURN(std::string name, r.String((*list)[0], path + "[0]", "name"));
        if (side[0] == 'i') {
          model->set_input_name(name);
        } else {
          model->set_output_name(name);
        }
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

}  // namespace

StatusOr<std::unique_ptr<Sequential>> LoadModel(const std::string& dir) {
  // Every access above is type-checked first; this catch is the safety net
  // that keeps a missed case from throwing across the API.
  try {
    return LoadModelUnchecked(dir);
  } catch (const std::exception& e) {
    return Status::Corruption(JoinPath(dir, kModelJsonName) + ": " + e.what());
  }
}

}  // namespace edgepipe::nn
