// Calibration for full-integer quantization: the float model is run over the
// representative dataset and the [min, max] of every tensor is recorded (TF's
// calibrator does the same on its float model; edgepipe runs the lowered
// graph's float reference pass, converter_graph.h, so every op the converter
// knows can be calibrated whatever kernels the interpreter has).
//
// Also the easy way to get a representative dataset from training data.
//
// Thread-safety: functions are reentrant; a RepresentativeDataset returned
// here owns its data and is used by one thread at a time.
#ifndef EDGEPIPE_LITE_CALIBRATION_H_
#define EDGEPIPE_LITE_CALIBRATION_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/data/examples.h"
#include "src/lite/converter.h"
#include "src/lite/converter_graph.h"

namespace edgepipe::lite {

struct TensorRange {
  float min = 0;
  float max = 0;
};

struct CalibrationResult {
  std::vector<TensorRange> ranges;  // per value id of the graph
  int64_t num_samples = 0;
};

// Reads `dataset` to its end (nullopt), runs every sample through `graph` and
// returns min/max per value. InvalidArgument if the dataset is empty, a
// sample has the wrong number of tensors or shapes (naming the sample index),
// or a value is not finite; errors from the dataset itself are returned with
// the sample index as context.
StatusOr<CalibrationResult> Calibrate(const LoweredGraph& graph,
                                      const RepresentativeDataset& dataset);

// A representative dataset of the first `num_samples` rows of `x` (float32,
// [N, ...]), one sample of shape [1] + sample_shape per call (sample_shape
// empty = x's own row shape; else it must hold the same number of elements,
// e.g. {28, 28, 1} for 784-wide rows). The rows are copied: `x` need not
// outlive the dataset. InvalidArgument for a bad dtype, shape or count.
StatusOr<RepresentativeDataset> RepresentativeDatasetFromTensor(const Tensor& x,
                                                                int64_t num_samples,
                                                                const Shape& sample_shape = {});

// Same over the float32 column `column` of an ExampleTable (e.g. the MNIST
// training examples' "image_floats"); NotFound naming the known columns.
StatusOr<RepresentativeDataset> RepresentativeDatasetFromTable(const data::ExampleTable& table,
                                                               std::string_view column,
                                                               int64_t num_samples,
                                                               const Shape& sample_shape = {});

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_CALIBRATION_H_
