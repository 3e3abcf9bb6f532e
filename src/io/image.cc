#include "src/io/image.h"

#include <jpeglib.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

#include "src/core/files.h"

namespace edgepipe::io {
namespace {

constexpr int64_t kMaxSide = 16384;

StatusOr<Image> ReadPng(const std::string& path, const std::string& bytes, int channels) {
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    return Status::Corruption(path + ": not a valid PNG (" + image.message + ")");
  }
  if (image.width > kMaxSide || image.height > kMaxSide) {
    png_image_free(&image);
    return Status::InvalidArgument(path + ": a " + std::to_string(image.width) + "x" +
                                   std::to_string(image.height) +
                                   " image (at most 16384 on a side)");
  }
  image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  Image out{image.height, image.width, channels, {}};
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr)) {
    const std::string message = image.message;
    png_image_free(&image);
    return Status::Corruption(path + ": PNG data: " + message);
  }
  return out;
}

// libjpeg reports errors through a callback that must not return: it jumps
// back here (the library's documented way), with its message kept.
struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void OnJpegError(j_common_ptr info) {
  JpegError* error = reinterpret_cast<JpegError*>(info->err);
  (*info->err->format_message)(info, error->message);
  std::longjmp(error->jump, 1);
}

StatusOr<Image> ReadJpeg(const std::string& path, const std::string& bytes, int channels) {
  jpeg_decompress_struct info;
  JpegError error;
  info.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = OnJpegError;
  error.message[0] = '\0';
  Image out;
  // Nothing with a destructor lives between setjmp and a longjmp to it.
  if (setjmp(error.jump)) {
    jpeg_destroy_decompress(&info);
    return Status::Corruption(path + ": not a valid JPEG (" + error.message + ")");
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  jpeg_read_header(&info, TRUE);
  if (info.image_width > kMaxSide || info.image_height > kMaxSide) {
    const std::string size =
        std::to_string(info.image_width) + "x" + std::to_string(info.image_height);
    jpeg_destroy_decompress(&info);
    return Status::InvalidArgument(path + ": a " + size + " image (at most 16384 on a side)");
  }
  info.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&info);
  out.height = info.output_height;
  out.width = info.output_width;
  out.channels = info.output_components;
  out.pixels.resize(static_cast<size_t>(out.height * out.width * out.channels));
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = out.pixels.data() + static_cast<size_t>(info.output_scanline) *
                                           static_cast<size_t>(out.width * out.channels);
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return out;
}

}  // namespace

StatusOr<Image> ReadImage(const std::string& path, int channels) {
  if (channels != 1 && channels != 3) {
    return Status::InvalidArgument(path + ": images are read as 1 or 3 channels, not " +
                                   std::to_string(channels));
  }
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, uint64_t{256} << 20));
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), "\x89PNG\r\n\x1a\n", 8) == 0) {
    return ReadPng(path, bytes, channels);
  }
  if (bytes.size() >= 3 && static_cast<uint8_t>(bytes[0]) == 0xFF &&
      static_cast<uint8_t>(bytes[1]) == 0xD8 && static_cast<uint8_t>(bytes[2]) == 0xFF) {
    return ReadJpeg(path, bytes, channels);
  }
  return Status::InvalidArgument(path + ": offset 0: neither a PNG nor a JPEG file");
}

Image ResizeBilinear(const Image& in, int64_t height, int64_t width) {
  Image out{height, width, in.channels, {}};
  out.pixels.resize(static_cast<size_t>(height * width * in.channels));
  const double sy = static_cast<double>(in.height) / static_cast<double>(height);
  const double sx = static_cast<double>(in.width) / static_cast<double>(width);
  for (int64_t y = 0; y < height; ++y) {
    // Half-pixel centers: output pixel y samples input coordinate (y + 0.5) * scale - 0.5.
    const double fy = std::max(0.0, (static_cast<double>(y) + 0.5) * sy - 0.5);
    const int64_t y0 = std::min(static_cast<int64_t>(fy), in.height - 1);
    const int64_t y1 = std::min(y0 + 1, in.height - 1);
    const double wy = fy - static_cast<double>(y0);
    for (int64_t x = 0; x < width; ++x) {
      const double fx = std::max(0.0, (static_cast<double>(x) + 0.5) * sx - 0.5);
      const int64_t x0 = std::min(static_cast<int64_t>(fx), in.width - 1);
      const int64_t x1 = std::min(x0 + 1, in.width - 1);
      const double wx = fx - static_cast<double>(x0);
      for (int64_t c = 0; c < in.channels; ++c) {
        auto at = [&](int64_t yy, int64_t xx) {
          return static_cast<double>(
              in.pixels[static_cast<size_t>((yy * in.width + xx) * in.channels + c)]);
        };
        const double top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx;
        const double bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx;
        out.pixels[static_cast<size_t>((y * width + x) * in.channels + c)] =
            static_cast<uint8_t>(std::clamp(std::lround(top * (1 - wy) + bottom * wy), 0L, 255L));
      }
    }
  }
  return out;
}

}  // namespace edgepipe::io
