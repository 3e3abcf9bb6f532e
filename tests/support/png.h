// Test-only: decodes the PNG screenshots a headless browser writes, so a test
// can count pixels. Hand-written rather than a libpng dependency: zlib is
// already one of ours, and what Chromium writes (8-bit RGB or RGBA, not
// interlaced, filter types 0-4) takes a page to decode; anything else is
// refused with a message, never guessed at. Not for library code.
#ifndef EDGEPIPE_TESTS_SUPPORT_PNG_H_
#define EDGEPIPE_TESTS_SUPPORT_PNG_H_

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace edgepipe::testing {

struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3, rows top to bottom (alpha dropped)
  std::array<uint8_t, 3> At(int x, int y) const {
    const size_t i = (static_cast<size_t>(y) * width + x) * 3;
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
  }
};

// Decodes `png`; false with `*error` set if it is not an 8-bit RGB/RGBA,
// non-interlaced PNG with valid chunk CRCs and image data.
inline bool DecodePng(const std::string& png, RgbImage* image, std::string* error) {
  auto u32 = [&](size_t at) {
    return (uint32_t{static_cast<uint8_t>(png[at])} << 24) |
           (uint32_t{static_cast<uint8_t>(png[at + 1])} << 16) |
           (uint32_t{static_cast<uint8_t>(png[at + 2])} << 8) | static_cast<uint8_t>(png[at + 3]);
  };
  if (png.size() < 8 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) {
    *error = "no PNG signature";
    return false;
  }
  uint32_t width = 0, height = 0;
  int channels = 0;
  std::string idat;
  bool ended = false;
  for (size_t at = 8; !ended;) {
    if (at + 12 > png.size()) {
      *error = "truncated chunk at offset " + std::to_string(at);
      return false;
    }
    const uint32_t length = u32(at);
    if (length > png.size() - at - 12) {
      *error = "chunk length beyond the file at offset " + std::to_string(at);
      return false;
    }
    const std::string type = png.substr(at + 4, 4);
    const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(png.data() + at + 4), length + 4);
    if (crc != u32(at + 8 + length)) {
      *error = "bad CRC in chunk " + type;
      return false;
    }
    const size_t data = at + 8;
    if (type == "IHDR") {
      width = u32(data);
      height = u32(data + 4);
      const int depth = static_cast<uint8_t>(png[data + 8]);
      const int color = static_cast<uint8_t>(png[data + 9]);
      const int interlace = static_cast<uint8_t>(png[data + 12]);
      channels = color == 2 ? 3 : color == 6 ? 4 : 0;
      if (length != 13 || depth != 8 || channels == 0 || interlace != 0 || width == 0 ||
          height == 0 || width > 16384 || height > 16384) {
        *error = "unsupported IHDR (depth " + std::to_string(depth) + ", color type " +
                 std::to_string(color) + ", interlace " + std::to_string(interlace) + ")";
        return false;
      }
    } else if (type == "IDAT") {
      idat.append(png, data, length);
    } else if (type == "IEND") {
      ended = true;
    }
    at = data + length + 4;
  }
  if (channels == 0) {
    *error = "no IHDR";
    return false;
  }
  const size_t stride = static_cast<size_t>(width) * channels;
  std::vector<uint8_t> raw((stride + 1) * height);
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) !=
          Z_OK ||
      raw_size != raw.size()) {
    *error = "image data does not inflate to " + std::to_string(raw.size()) + " bytes";
    return false;
  }
  // Undo the per-row filters (PNG spec 9.2) in place; `bpp` bytes per pixel.
  const size_t bpp = channels;
  std::vector<uint8_t> prev(stride, 0);
  std::vector<uint8_t> pixels(stride * height);
  for (uint32_t y = 0; y < height; ++y) {
    const uint8_t filter = raw[y * (stride + 1)];
    uint8_t* row = &raw[y * (stride + 1) + 1];
    for (size_t i = 0; i < stride; ++i) {
      const int a = i >= bpp ? row[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      int predictor;
      switch (filter) {
        case 0:
          predictor = 0;
          break;
        case 1:
          predictor = a;
          break;
        case 2:
          predictor = b;
          break;
        case 3:
          predictor = (a + b) / 2;
          break;
        case 4: {
          const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          *error = "unknown filter type " + std::to_string(filter) + " in row " + std::to_string(y);
          return false;
      }
      row[i] = static_cast<uint8_t>(row[i] + predictor);
    }
    std::copy(row, row + stride, prev.begin());
    std::copy(row, row + stride, pixels.begin() + static_cast<ptrdiff_t>(y * stride));
  }
  image->width = static_cast<int>(width);
  image->height = static_cast<int>(height);
  image->rgb.resize(static_cast<size_t>(width) * height * 3);
  for (size_t p = 0; p < static_cast<size_t>(width) * height; ++p) {
    for (int k = 0; k < 3; ++k) image->rgb[p * 3 + k] = pixels[p * channels + k];
  }
  return true;
}

}  // namespace edgepipe::testing

#endif  // EDGEPIPE_TESTS_SUPPORT_PNG_H_
