// PNG and JPEG images, decoded by Debian's libpng and libjpeg-turbo, and
// resized for a model's input: what `lite predict --image` feeds a model.
//
// An Image owns its pixels: height x width x channels bytes, row-major,
// channels 1 (gray) or 3 (RGB). Pure functions, thread-safe.
#ifndef EDGEPIPE_IO_IMAGE_H_
#define EDGEPIPE_IO_IMAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "src/core/status.h"

namespace edgepipe::io {

struct Image {
  int64_t height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

// Reads a PNG or JPEG file (by its first bytes, not its name) as `channels`
// (1: gray, 3: RGB; colour is converted as the library does, alpha dropped).
// Errors name the file and what the decoder said. Images larger than
// 16384 x 16384 are refused before decoding.
StatusOr<Image> ReadImage(const std::string& path, int channels);

// Bilinear resize to height x width, with half-pixel centers (TF's
// tf.image.resize and TFLite's RESIZE_BILINEAR with half_pixel_centers).
Image ResizeBilinear(const Image& image, int64_t height, int64_t width);

}  // namespace edgepipe::io

#endif  // EDGEPIPE_IO_IMAGE_H_
