// .npy arrays and PNG/JPEG images, the inputs `lite predict` takes from files:
// valid files of each version and type read exactly; every damaged field is
// an error naming the file and what was expected. Images are written here by
// the same Debian libraries (libpng, libjpeg-turbo) that read them.
#include <gtest/gtest.h>
#include <jpeglib.h>
#include <png.h>

#include <cstring>

#include "src/core/files.h"
#include "src/io/image.h"
#include "src/io/npy.h"
#include "tests/support/temp_dir.h"

namespace edgepipe::io {
namespace {

// A .npy file as numpy.save writes it: magic, version, header padded with
// spaces to a multiple of 64 bytes and ended by '\n', then the data.
std::string Npy(const std::string& descr, const std::string& shape, const std::string& data,
                int major = 1, const std::string& order = "False") {
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }";
  const size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  const size_t n = header.size();
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  if (major != 1) {
    out += static_cast<char>((n >> 16) & 0xff);
    out += static_cast<char>((n >> 24) & 0xff);
  }
  return out + header + data;
}

template <typename T>
std::string Bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

TEST(NpyTest, ReadsEachVersionAndType) {
  auto f = ParseNpy(Npy("<f4", "(2, 3)", Bytes<float>({1, 2, 3, 4, 5, 6.5f})), "a.npy");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->shape(), (Shape{2, 3}));
  EXPECT_EQ(f->data<float>()[5], 6.5f);
  auto d = ParseNpy(Npy("<f8", "(3,)", Bytes<double>({0.1, -2, 1e10}), 2), "b.npy");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->dtype(), DType::kFloat32);
  EXPECT_EQ(d->data<float>()[0], 0.1f);
  auto u = ParseNpy(Npy("|u1", "(4,)", Bytes<uint8_t>({0, 7, 200, 255}), 3), "c.npy");
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->dtype(), DType::kUInt8);
  EXPECT_EQ(u->data<uint8_t>()[2], 200);
  auto i = ParseNpy(Npy("|i1", "(1, 2)", Bytes<int8_t>({-128, 127})), "d.npy");
  ASSERT_TRUE(i.ok()) << i.status().message();
  EXPECT_EQ(i->data<int8_t>()[0], -128);
  auto scalar = ParseNpy(Npy("<i4", "()", Bytes<int32_t>({42})), "e.npy");
  ASSERT_TRUE(scalar.ok()) << scalar.status().message();
  EXPECT_EQ(scalar->data<int32_t>()[0], 42);
}

TEST(NpyTest, DamagedFilesNameWhatIsWrong) {
  const std::string good = Npy("<f4", "(2,)", Bytes<float>({1, 2}));
  struct Case {
    std::string bytes, expected;
    Status::Code code;
  };
  std::string bad_version = good;
  bad_version[6] = 9;
  const std::vector<Case> cases = {
      {"PK\x03\x04 not npy", "not a .npy file", Status::Code::kCorruption},
      {bad_version, "format version 9", Status::Code::kCorruption},
      {good.substr(0, 40), "runs past the end", Status::Code::kCorruption},
      {good.substr(0, good.size() - 1), "needs 8 data bytes, the file has 7",
       Status::Code::kCorruption},
      {Npy("<f4", "(2, x)", Bytes<float>({1, 2})), "'shape'", Status::Code::kCorruption},
      {Npy("<f4", "(99999, 99999)", ""), "more than 2^31", Status::Code::kCorruption},
      {Npy(">f4", "(2,)", Bytes<float>({1, 2})), "dtype '>f4'", Status::Code::kUnimplemented},
      {Npy("<f4", "(2,)", Bytes<float>({1, 2}), 1, "True"), "Fortran-order",
       Status::Code::kUnimplemented},
  };
  for (const Case& c : cases) {
    auto r = ParseNpy(c.bytes, "x.npy");
    ASSERT_FALSE(r.ok()) << c.expected;
    EXPECT_EQ(r.status().code(), c.code) << r.status().message();
    EXPECT_NE(r.status().message().find("x.npy"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos) << r.status().message();
  }
  // Every truncation of a valid file is refused, never a crash.
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(ParseNpy(good.substr(0, n), "x").ok());
}

std::string WritePng(const std::string& path, int width, int height, int channels,
                     const std::vector<uint8_t>& pixels) {
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  EXPECT_TRUE(png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), 0, nullptr))
      << image.message;
  return path;
}

std::string WriteJpeg(const std::string& path, int width, int height,
                      const std::vector<uint8_t>& rgb) {
  jpeg_compress_struct info;
  jpeg_error_mgr error;
  info.err = jpeg_std_error(&error);
  jpeg_create_compress(&info);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&info, &buffer, &size);
  info.image_width = static_cast<JDIMENSION>(width);
  info.image_height = static_cast<JDIMENSION>(height);
  info.input_components = 3;
  info.in_color_space = JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, 100, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(rgb.data()) + info.next_scanline * width * 3;
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  EXPECT_TRUE(WriteFileAtomic(path, std::string(reinterpret_cast<char*>(buffer), size)).ok());
  std::free(buffer);
  jpeg_destroy_compress(&info);
  return path;
}

TEST(ImageTest, PngAndJpegReadBackAndConvert) {
  const std::string dir = testing::FreshTempDir("images");
  std::vector<uint8_t> gray(6 * 4);
  for (size_t i = 0; i < gray.size(); ++i) gray[i] = static_cast<uint8_t>(i * 10);
  auto png = ReadImage(WritePng(JoinPath(dir, "g.png"), 6, 4, 1, gray), 1);
  ASSERT_TRUE(png.ok()) << png.status().message();
  EXPECT_EQ(png->width, 6);
  EXPECT_EQ(png->height, 4);
  EXPECT_EQ(png->pixels, gray);  // lossless
  auto as_rgb = ReadImage(JoinPath(dir, "g.png"), 3);
  ASSERT_TRUE(as_rgb.ok());
  EXPECT_EQ(as_rgb->pixels[3 * 5 + 1], gray[5]);

  // A flat colour survives JPEG at quality 100 within a step or two.
  std::vector<uint8_t> rgb(16 * 8 * 3);
  for (size_t i = 0; i < rgb.size(); i += 3) rgb[i] = 200, rgb[i + 1] = 100, rgb[i + 2] = 50;
  auto jpeg = ReadImage(WriteJpeg(JoinPath(dir, "c.jpg"), 16, 8, rgb), 3);
  ASSERT_TRUE(jpeg.ok()) << jpeg.status().message();
  EXPECT_EQ(jpeg->width, 16);
  EXPECT_EQ(jpeg->height, 8);
  EXPECT_NEAR(jpeg->pixels[0], 200, 2);
  EXPECT_NEAR(jpeg->pixels[1], 100, 2);
  EXPECT_NEAR(jpeg->pixels[2], 50, 2);
}

TEST(ImageTest, DamagedImagesAreErrorsNamingTheFile) {
  const std::string dir = testing::FreshTempDir("bad_images");
  std::vector<uint8_t> gray(8 * 8, 128);
  auto png = ReadFile(WritePng(JoinPath(dir, "g.png"), 8, 8, 1, gray));
  ASSERT_TRUE(png.ok());
  const std::string truncated = JoinPath(dir, "truncated.png");
  ASSERT_TRUE(WriteFileAtomic(truncated, png->substr(0, png->size() / 2)).ok());
  auto r = ReadImage(truncated, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(truncated), std::string::npos) << r.status().message();
  std::vector<uint8_t> rgb(8 * 8 * 3, 90);
  auto jpeg = ReadFile(WriteJpeg(JoinPath(dir, "c.jpg"), 8, 8, rgb));
  ASSERT_TRUE(jpeg.ok());
  const std::string broken = JoinPath(dir, "broken.jpg");
  ASSERT_TRUE(WriteFileAtomic(broken, jpeg->substr(0, 30)).ok());
  EXPECT_FALSE(ReadImage(broken, 3).ok());
  const std::string text = JoinPath(dir, "text.png");
  ASSERT_TRUE(WriteFileAtomic(text, "hello").ok());
  auto t = ReadImage(text, 1);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("neither a PNG nor a JPEG"), std::string::npos);
}

TEST(ImageTest, BilinearResizeWithHalfPixelCenters) {
  // 2x2 -> 4x4: output x samples input (x + 0.5) / 2 - 0.5, i.e. -0.25 (clamped
  // to 0), 0.25, 0.75, 1.25 (clamped to the last pixel).
  Image in{2, 2, 1, {0, 100, 200, 40}};
  Image out = ResizeBilinear(in, 4, 4);
  ASSERT_EQ(out.pixels.size(), 16u);
  EXPECT_EQ(out.pixels[0], 0);   // (0, 0)
  EXPECT_EQ(out.pixels[1], 25);  // 0.25 of the way to 100
  EXPECT_EQ(out.pixels[2], 75);
  EXPECT_EQ(out.pixels[3], 100);
  EXPECT_EQ(out.pixels[12], 200);  // bottom-left
  EXPECT_EQ(out.pixels[15], 40);   // bottom-right
  // Row 1 (y = 0.25), column 1 (x = 0.25): 0.75*(0.75*0 + 0.25*100) + 0.25*(0.75*200 + 0.25*40).
  EXPECT_EQ(out.pixels[5], 59);
  // Same size: unchanged.
  EXPECT_EQ(ResizeBilinear(in, 2, 2).pixels, in.pixels);
}

}  // namespace
}  // namespace edgepipe::io
