#include "src/io/example.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace edgepipe::io {

std::string SerializeDeterministic(const tensorflow::Example& example) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    example.SerializeToCodedStream(&coded);
  }  // the coded stream trims `out` to the bytes written when destroyed
  return out;
}

StatusOr<tensorflow::Example> ParseExample(std::string_view bytes, std::string_view where) {
  tensorflow::Example example;
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !example.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption(std::string(where) + ": not a valid tensorflow.Example (" +
                              std::to_string(bytes.size()) + " bytes)");
  }
  return example;
}

namespace {
tensorflow::Feature& FeatureRef(std::string_view name, tensorflow::Example* example) {
  return (*example->mutable_features()->mutable_feature())[std::string(name)];
}
}  // namespace

void SetFloatFeature(std::string_view name, const std::vector<float>& values,
                     tensorflow::Example* example) {
  auto* list = FeatureRef(name, example).mutable_float_list();
  list->mutable_value()->Assign(values.begin(), values.end());
}

void SetInt64Feature(std::string_view name, const std::vector<int64_t>& values,
                     tensorflow::Example* example) {
  auto* list = FeatureRef(name, example).mutable_int64_list();
  list->mutable_value()->Assign(values.begin(), values.end());
}

void SetBytesFeature(std::string_view name, const std::vector<std::string>& values,
                     tensorflow::Example* example) {
  auto* list = FeatureRef(name, example).mutable_bytes_list();
  list->mutable_value()->Assign(values.begin(), values.end());
}

}  // namespace edgepipe::io
