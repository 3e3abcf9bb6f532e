// Test-only: small MNIST-shaped IDX files for pipeline runs that must be fast.
// Label k lights rows 2k..2k+2 of the image, with deterministic noise
// elsewhere, so the files look like MNIST's and a few training steps learn
// something.
#ifndef EDGEPIPE_TESTS_SUPPORT_TINY_MNIST_H_
#define EDGEPIPE_TESTS_SUPPORT_TINY_MNIST_H_

#include <cstdint>
#include <string>

#include "src/core/files.h"
#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/io/idx.h"

namespace edgepipe::testing {

// Writes images-idx3-ubyte.gz and labels-idx1-ubyte.gz with `n` examples into `dir`.
inline Status WriteTinyMnist(const std::string& dir, int n) {
  Tensor images(DType::kUInt8, {n, 28, 28});
  Tensor labels(DType::kUInt8, {n});
  uint32_t state = 12345;
  for (int i = 0; i < n; ++i) {
    const int label = i % 10;
    labels.data<uint8_t>()[i] = static_cast<uint8_t>(label);
    for (int p = 0; p < 28 * 28; ++p) {
      state = state * 1664525u + 1013904223u;
      const int row = p / 28;
      const bool lit = row >= 2 * label && row < 2 * label + 3;
      images.data<uint8_t>()[i * 784 + p] =
          static_cast<uint8_t>(lit ? 200 + (state >> 28) : (state >> 29));
    }
  }
  RETURN_IF_ERROR(io::WriteIdx(JoinPath(dir, "images-idx3-ubyte.gz"), images, true));
  return io::WriteIdx(JoinPath(dir, "labels-idx1-ubyte.gz"), labels, true);
}

}  // namespace edgepipe::testing

#endif  // EDGEPIPE_TESTS_SUPPORT_TINY_MNIST_H_
