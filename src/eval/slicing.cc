#include "src/eval/slicing.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

namespace edgepipe::eval {
namespace {

// The text of a slice value, as TFMA prints and compares it.
std::string ValueText(const tfma::SingleSliceKey& k) {
  switch (k.kind_case()) {
    case tfma::SingleSliceKey::kBytesValue:
      return k.bytes_value();
    case tfma::SingleSliceKey::kInt64Value:
      return std::to_string(k.int64_value());
    case tfma::SingleSliceKey::kFloatValue: {
      std::ostringstream os;
      os << k.float_value();
      return os.str();
    }
    case tfma::SingleSliceKey::KIND_NOT_SET:
      break;
  }
  return "";
}

// Does a feature value equal the spec's text value? Numbers compare
// numerically (TFMA converts numeric strings), bytes compare as text.
bool ValueEquals(const tfma::SingleSliceKey& k, const std::string& wanted) {
  switch (k.kind_case()) {
    case tfma::SingleSliceKey::kBytesValue:
      return k.bytes_value() == wanted;
    case tfma::SingleSliceKey::kInt64Value: {
      char* end = nullptr;
      const long long v = std::strtoll(wanted.c_str(), &end, 10);
      return !wanted.empty() && *end == '\0' && v == k.int64_value();
    }
    case tfma::SingleSliceKey::kFloatValue: {
      char* end = nullptr;
      const float v = std::strtof(wanted.c_str(), &end);
      return !wanted.empty() && *end == '\0' && v == k.float_value();
    }
    case tfma::SingleSliceKey::KIND_NOT_SET:
      break;
  }
  return false;
}

// The values of `column` in `example` as single slice keys (empty if absent).
std::vector<tfma::SingleSliceKey> ValuesOf(const tensorflow::Example& example,
                                           const std::string& column) {
  std::vector<tfma::SingleSliceKey> out;
  const auto& map = example.features().feature();
  auto it = map.find(column);
  if (it == map.end()) return out;
  const tensorflow::Feature& f = it->second;
  auto add = [&](auto setter) {
    tfma::SingleSliceKey k;
    k.set_column(column);
    setter(k);
    out.push_back(std::move(k));
  };
  switch (f.kind_case()) {
    case tensorflow::Feature::kInt64List:
      for (int64_t v : f.int64_list().value()) add([v](auto& k) { k.set_int64_value(v); });
      break;
    case tensorflow::Feature::kFloatList:
      for (float v : f.float_list().value()) add([v](auto& k) { k.set_float_value(v); });
      break;
    case tensorflow::Feature::kBytesList:
      for (const std::string& v : f.bytes_list().value()) {
        add([&v](auto& k) { k.set_bytes_value(v); });
      }
      break;
    case tensorflow::Feature::KIND_NOT_SET:
      break;
  }
  return out;
}

}  // namespace

Slicer::Slicer(const std::vector<tfma::SlicingSpec>& specs) {
  if (specs.empty()) has_overall_ = true;
  for (const tfma::SlicingSpec& s : specs) {
    if (s.feature_keys_size() == 0 && s.feature_values_size() == 0) {
      has_overall_ = true;
      continue;
    }
    std::vector<std::pair<std::string, std::pair<bool, std::string>>> cols;
    for (const std::string& c : s.feature_keys()) cols.push_back({c, {false, ""}});
    for (const auto& [c, v] : s.feature_values()) cols.push_back({c, {true, v}});
    std::sort(cols.begin(), cols.end());
    Spec spec;
    for (auto& [c, fv] : cols) {
      spec.columns.push_back(c);
      spec.filtered.push_back(fv.first);
      spec.wanted.push_back(fv.second);
    }
    feature_specs_.push_back(std::move(spec));
  }
}

void Slicer::FeatureSlicesOf(const tensorflow::Example& example,
                             std::vector<std::string>* out) const {
  const size_t first = out->size();
  std::vector<std::vector<tfma::SingleSliceKey>> values;
  for (const Spec& spec : feature_specs_) {
    values.clear();
    bool empty = false;
    for (size_t c = 0; c < spec.columns.size() && !empty; ++c) {
      std::vector<tfma::SingleSliceKey> v = ValuesOf(example, spec.columns[c]);
      if (spec.filtered[c]) {
        std::erase_if(
            v, [&](const tfma::SingleSliceKey& k) { return !ValueEquals(k, spec.wanted[c]); });
        if (v.size() > 1) v.resize(1);  // a repeated matching value is still one slice
      }
      empty = v.empty();
      values.push_back(std::move(v));
    }
    if (empty) continue;
    // Cross product over columns, odometer style.
    std::vector<size_t> idx(values.size(), 0);
    while (true) {
      tfma::SliceKey key;
      for (size_t c = 0; c < values.size(); ++c) *key.add_single_slice_keys() = values[c][idx[c]];
      out->push_back(SliceKeyBytes(key));
      size_t c = 0;
      while (c < idx.size() && ++idx[c] == values[c].size()) idx[c++] = 0;
      if (c == idx.size()) break;
    }
  }
  // Several specs (or repeated values) can name the same slice: count it once.
  std::sort(out->begin() + static_cast<std::ptrdiff_t>(first), out->end());
  out->erase(std::unique(out->begin() + static_cast<std::ptrdiff_t>(first), out->end()),
             out->end());
}

std::string SliceKeyBytes(const tfma::SliceKey& key) {
  std::string bytes;
  google::protobuf::io::StringOutputStream raw(&bytes);
  google::protobuf::io::CodedOutputStream coded(&raw);
  coded.SetSerializationDeterministic(true);
  key.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

std::string SliceKeyToString(const tfma::SliceKey& key) {
  if (key.single_slice_keys_size() == 0) return "Overall";
  std::string columns, values;
  for (int i = 0; i < key.single_slice_keys_size(); ++i) {
    if (i > 0) {
      columns += "_X_";
      values += "_X_";
    }
    columns += key.single_slice_keys(i).column();
    values += ValueText(key.single_slice_keys(i));
  }
  return columns + ":" + values;
}

bool SliceMatchesSpec(const tfma::SlicingSpec& spec, const tfma::SliceKey& key) {
  std::set<std::string> spec_columns(spec.feature_keys().begin(), spec.feature_keys().end());
  for (const auto& [c, v] : spec.feature_values()) spec_columns.insert(c);
  std::set<std::string> key_columns;
  for (const auto& k : key.single_slice_keys()) key_columns.insert(k.column());
  if (spec_columns != key_columns) return false;
  for (const auto& k : key.single_slice_keys()) {
    auto it = spec.feature_values().find(k.column());
    if (it != spec.feature_values().end() && !ValueEquals(k, it->second)) return false;
  }
  return true;
}

}  // namespace edgepipe::eval
