#include "src/lite/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

namespace edgepipe::lite {

StatusOr<CalibrationResult> Calibrate(const LoweredGraph& graph,
                                      const RepresentativeDataset& dataset) {
  if (!dataset) return Status::InvalidArgument("calibration: no representative_dataset");
  CalibrationResult result;
  result.ranges.resize(graph.values.size());
  std::vector<bool> seen(graph.values.size(), false);
  bool finite = true;
  int bad_value = -1;
  for (;;) {
    StatusOr<std::optional<std::vector<Tensor>>> sample = dataset();
    const std::string where =
        "calibration: representative_dataset sample " + std::to_string(result.num_samples);
    if (!sample.ok()) return sample.status().WithContext(where);
    if (!sample->has_value()) break;
    StatusOr<std::vector<Tensor>> out =
        RunLoweredGraph(graph, **sample, [&](int value, const Tensor& t) {
          const float* p = t.data<float>();
          TensorRange& r = result.ranges[static_cast<size_t>(value)];
          for (int64_t i = 0; i < t.num_elements(); ++i) {
            if (!std::isfinite(p[i])) {
              finite = false;
              bad_value = value;
              continue;
            }
            if (!seen[static_cast<size_t>(value)]) {
              r.min = r.max = p[i];
              seen[static_cast<size_t>(value)] = true;
            }
            r.min = std::min(r.min, p[i]);
            r.max = std::max(r.max, p[i]);
          }
        });
    if (!out.ok()) return Status::InvalidArgument(where + ": " + out.status().message());
    if (!finite) {
      return Status::InvalidArgument(where + ": tensor '" +
                                     graph.values[static_cast<size_t>(bad_value)].name +
                                     "' has a non-finite value");
    }
    ++result.num_samples;
  }
  if (result.num_samples == 0) {
    return Status::InvalidArgument("calibration: representative_dataset yielded no samples");
  }
  return result;
}

StatusOr<RepresentativeDataset> RepresentativeDatasetFromTensor(const Tensor& x,
                                                                int64_t num_samples,
                                                                const Shape& sample_shape) {
  if (x.dtype() != DType::kFloat32 || x.rank() < 2) {
    return Status::InvalidArgument("representative dataset: rows are " +
                                   std::string(DTypeName(x.dtype())) + " " +
                                   ShapeToString(x.shape()) + ", expected float32 [N, ...]");
  }
  if (num_samples <= 0 || num_samples > x.dim(0)) {
    return Status::InvalidArgument("representative dataset: num_samples " +
                                   std::to_string(num_samples) + " is not in [1, " +
                                   std::to_string(x.dim(0)) + "]");
  }
  const int64_t row = x.num_elements() / x.dim(0);
  Shape shape{1};
  if (sample_shape.empty()) {
    shape.insert(shape.end(), x.shape().begin() + 1, x.shape().end());
  } else {
    shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  }
  if (NumElements(shape) != row) {
    return Status::InvalidArgument("representative dataset: sample shape " +
                                   ShapeToString(sample_shape) + " does not hold rows of " +
                                   std::to_string(row) + " values");
  }
  // Shared so the std::function stays copyable.
  auto rows = std::make_shared<Tensor>(DType::kFloat32, Shape{num_samples, row});
  std::memcpy(rows->raw_data(), x.raw_data(), rows->num_bytes());
  auto next = std::make_shared<int64_t>(0);
  return RepresentativeDataset(
      [rows, next, shape, row]() -> StatusOr<std::optional<std::vector<Tensor>>> {
        if (*next >= rows->dim(0)) return std::optional<std::vector<Tensor>>();
        Tensor t(DType::kFloat32, shape);
        std::memcpy(t.raw_data(), rows->data<float>() + *next * row,
                    static_cast<size_t>(row) * sizeof(float));
        ++*next;
        return std::optional<std::vector<Tensor>>(std::vector<Tensor>{std::move(t)});
      });
}

StatusOr<RepresentativeDataset> RepresentativeDatasetFromTable(const data::ExampleTable& table,
                                                               std::string_view column,
                                                               int64_t num_samples,
                                                               const Shape& sample_shape) {
  ASSIGN_OR_RETURN(const Tensor* x, table.Column(column));
  StatusOr<RepresentativeDataset> ds =
      RepresentativeDatasetFromTensor(*x, num_samples, sample_shape);
  if (!ds.ok()) return ds.status().WithContext("column '" + std::string(column) + "'");
  return ds;
}

}  // namespace edgepipe::lite
