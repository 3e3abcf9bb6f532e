// Test-only helpers for lite tests: small random MLP graphs, the plain-loop
// forward pass they are checked against, and flatbuffer surgery
// (unpack -> edit -> repack) to make broken models.
#ifndef EDGEPIPE_LITE_TEST_MODELS_H_
#define EDGEPIPE_LITE_TEST_MODELS_H_

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "flatbuffers/flatbuffers.h"
#include "src/lite/converter.h"
#include "src/lite/schema/schema_generated.h"

namespace edgepipe::lite::testing {

inline Tensor RandomTensor(Shape shape, std::mt19937& rng, float scale = 1.0f) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  Tensor t(DType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// widths = {in, h1, ..., out}; hidden layers relu, the last linear (logits),
// optionally followed by a softmax.
inline InferenceGraph MakeMlpGraph(const std::vector<int64_t>& widths, uint32_t seed,
                                   bool softmax = false) {
  std::mt19937 rng(seed);
  InferenceGraph g;
  g.input_name = "image_floats";
  g.input_shape = {-1, widths[0]};
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    DenseOp d;
    d.name = i == 0 ? "dense" : "dense_" + std::to_string(i);
    d.kernel = RandomTensor({widths[i], widths[i + 1]}, rng, 0.3f);
    d.bias = RandomTensor({widths[i + 1]}, rng, 0.1f);
    d.activation = i + 2 < widths.size() ? FusedActivation::kRelu : FusedActivation::kNone;
    g.ops.push_back(std::move(d));
  }
  if (softmax) g.ops.push_back(SoftmaxOp{"softmax", 1.0f});
  return g;
}

// The graph's forward pass in plain double loops, Keras layout: x (B, in).
inline std::vector<float> PlainForward(const InferenceGraph& g, const std::vector<float>& x,
                                       int64_t batch) {
  std::vector<double> cur(x.begin(), x.end());
  int64_t width = g.input_shape[1];
  for (const InferenceOp& op : g.ops) {
    if (const auto* d = std::get_if<DenseOp>(&op)) {
      const int64_t units = d->kernel.dim(1);
      std::vector<double> next(static_cast<size_t>(batch * units));
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t u = 0; u < units; ++u) {
          double acc = d->bias.data<float>()[u];
          for (int64_t c = 0; c < width; ++c) {
            acc += cur[static_cast<size_t>(b * width + c)] * d->kernel.data<float>()[c * units + u];
          }
          if (d->activation == FusedActivation::kRelu) acc = std::max(acc, 0.0);
          if (d->activation == FusedActivation::kRelu6) acc = std::min(std::max(acc, 0.0), 6.0);
          next[static_cast<size_t>(b * units + u)] = acc;
        }
      }
      cur = std::move(next);
      width = units;
    } else {
      const auto& s = std::get<SoftmaxOp>(op);
      for (int64_t b = 0; b < batch; ++b) {
        double* row = cur.data() + b * width;
        double max = *std::max_element(row, row + width), sum = 0;
        for (int64_t c = 0; c < width; ++c) sum += (row[c] = std::exp((row[c] - max) * s.beta));
        for (int64_t c = 0; c < width; ++c) row[c] /= sum;
      }
    }
  }
  return std::vector<float>(cur.begin(), cur.end());
}

// Unpacks `bytes`, lets `edit` change the model, packs it again.
inline std::string EditModel(const std::string& bytes,
                             const std::function<void(schema::ModelT&)>& edit) {
  std::unique_ptr<schema::ModelT> m(schema::GetModel(bytes.data())->UnPack());
  edit(*m);
  flatbuffers::FlatBufferBuilder fbb;
  schema::FinishModelBuffer(fbb, schema::Model::Pack(fbb, m.get()));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

}  // namespace edgepipe::lite::testing

#endif  // EDGEPIPE_LITE_TEST_MODELS_H_
