// The Fashion-MNIST CNN that nn_epoch_bench, mpi_train_bench and
// threads_bench time (torch_train_bench.cc builds its libtorch twin, so this
// header stays out of training_bench_common.h, which that program includes).
#ifndef EDGEPIPE_BENCH_FASHION_CNN_H_
#define EDGEPIPE_BENCH_FASHION_CNN_H_

#include <cstdint>
#include <memory>

#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/nn/conv.h"
#include "src/nn/dense.h"
#include "src/nn/model.h"
#include "src/nn/pooling.h"
#include "src/nn/reshaping.h"

namespace edgepipe::bench {

// Conv 32 3x3 ReLU, max-pool, conv 64 3x3 ReLU, max-pool, flatten, dense 10
// (logits), built for 28x28x1 images; with `hidden_units` > 0 a dense ReLU
// layer of that width before the logits (the Keras example's CNN,
// src/examples/fashion_mnist's keras_cnn, has 128).
inline Status BuildFashionCnn(nn::Sequential* model, uint64_t seed, int64_t hidden_units = 0) {
  RETURN_IF_ERROR(model->Add(std::make_unique<nn::Conv2D>(nn::Conv2DOptions{
      .filters = 32, .kernel_size = {3, 3}, .activation = nn::Activation::kRelu})));
  RETURN_IF_ERROR(model->Add(std::make_unique<nn::MaxPooling2D>()));
  RETURN_IF_ERROR(model->Add(std::make_unique<nn::Conv2D>(nn::Conv2DOptions{
      .filters = 64, .kernel_size = {3, 3}, .activation = nn::Activation::kRelu})));
  RETURN_IF_ERROR(model->Add(std::make_unique<nn::MaxPooling2D>()));
  RETURN_IF_ERROR(model->Add(std::make_unique<nn::Flatten>()));
  if (hidden_units > 0) {
    RETURN_IF_ERROR(model->Add(std::make_unique<nn::Dense>(hidden_units, nn::Activation::kRelu)));
  }
  RETURN_IF_ERROR(model->Add(std::make_unique<nn::Dense>(10)));
  return model->Build(Shape{28, 28, 1}, seed);
}

}  // namespace edgepipe::bench

#endif  // EDGEPIPE_BENCH_FASHION_CNN_H_
