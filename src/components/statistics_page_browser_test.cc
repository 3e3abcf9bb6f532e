// StatisticsGen's statistics.html in a real browser: Debian's Chromium,
// headless, renders the page StatisticsGen wrote for two splits of small
// synthetic examples. The screenshot (decoded by tests/support/png.h) must
// show charts in both split colours, and the DOM after scripts ran
// (--dump-dom) must hold every feature, with markup hidden in feature names
// and values shown as text and never executed. Skipped when no chromium is
// installed (scripts/install_deps.sh installs it).
//
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "src/components/component_test_util.h"
#include "src/components/statistics_gen.h"
#include "src/core/parallel.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"
#include "tests/support/chromium.h"
#include "tests/support/png.h"
#include "tests/support/subprocess.h"

namespace edgepipe::components {
namespace {

// If executed, these set the page's title or an attribute to "PWN", which
// the page's own text never contains (the payloads build it from char codes).
constexpr char kScriptName[] = "<script>document.title=String.fromCharCode(80,87,78)</script>";
constexpr char kImgValue[] =
    "<img src=x onerror=\"document.body.setAttribute('data-x',String.fromCharCode(80,87,78))\">";

// An Examples folder: train (300) and eval (100) whose numbers differ in
// range, a 784-float image vector, a label, a string and the two payloads.
std::string WriteExamples(const std::string& root) {
  const std::string uri = JoinPath(root, "examples");
  for (const std::string split : {"train", "eval"}) {
    std::vector<std::string> records;
    const int n = split == "train" ? 300 : 100;
    for (int i = 0; i < n; ++i) {
      tensorflow::Example e;
      const float shift = split == "train" ? 0.0f : 3.0f;
      io::SetFloatFeature("trip_miles", {static_cast<float>((i * 37) % 100) / 10 + shift}, &e);
      std::vector<float> image(784);
      for (int p = 0; p < 784; ++p) image[p] = static_cast<float>((i + p) % 7) / 6;
      io::SetFloatFeature("image_floats", image, &e);
      io::SetInt64Feature("image_class", {i % 10}, &e);
      io::SetBytesFeature("payment_type",
                          {i % 3 == 0 ? "Cash" : (i % 3 == 1 ? "Credit Card" : kImgValue)}, &e);
      io::SetFloatFeature(kScriptName, {static_cast<float>(i % 2)}, &e);
      records.push_back(io::SerializeDeterministic(e));
    }
    EXPECT_TRUE(CreateDirectories(JoinPath(uri, "Split-" + split)).ok());
    EXPECT_TRUE(
        io::WriteAllRecords(JoinPath(uri, "Split-" + split + "/data_tfrecord-00000-of-00001.gz"),
                            records, io::Compression::kGzip)
            .ok());
  }
  return uri;
}

// PNG round trip of the decoder itself: rows written with each filter type.
TEST(PngDecodeTest, EveryFilterTypeDecodes) {
  const int w = 5, h = 5;
  std::vector<uint8_t> rgb(w * h * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 53 + (i / 7) * 11);
  std::string raw;
  for (int y = 0; y < h; ++y) {
    const int filter = y;  // 0..4
    raw += static_cast<char>(filter);
    for (int i = 0; i < w * 3; ++i) {
      auto px = [&](int yy, int ii) { return yy < 0 || ii < 0 ? 0 : rgb[(yy * w * 3) + ii]; };
      const int a = px(y, i - 3), b = px(y - 1, i), c = px(y - 1, i - 3);
      const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
      const int paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const int pred[] = {0, a, b, (a + b) / 2, paeth};
      raw += static_cast<char>(px(y, i) - pred[filter]);
    }
  }
  std::string z(compressBound(raw.size()), '\0');
  uLongf zsize = z.size();
  ASSERT_EQ(compress(reinterpret_cast<Bytef*>(z.data()), &zsize,
                     reinterpret_cast<const Bytef*>(raw.data()), raw.size()),
            Z_OK);
  z.resize(zsize);
  auto chunk = [](const std::string& type, const std::string& data) {
    std::string out;
    for (int k = 3; k >= 0; --k) out += static_cast<char>((data.size() >> (8 * k)) & 0xff);
    const std::string body = type + data;
    const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size());
    out += body;
    for (int k = 3; k >= 0; --k) out += static_cast<char>((crc >> (8 * k)) & 0xff);
    return out;
  };
  const std::string ihdr("\0\0\0\5\0\0\0\5\x08\x02\0\0\0", 13);
  const std::string png =
      "\x89PNG\r\n\x1a\n" + chunk("IHDR", ihdr) + chunk("IDAT", z) + chunk("IEND", "");
  testing::RgbImage image;
  std::string error;
  ASSERT_TRUE(testing::DecodePng(png, &image, &error)) << error;
  EXPECT_EQ(image.width, w);
  EXPECT_EQ(image.height, h);
  EXPECT_EQ(image.rgb, rgb);
  std::string bad = png;
  bad[40] ^= 1;  // inside IDAT or its CRC
  EXPECT_FALSE(testing::DecodePng(bad, &image, &error));
}

TEST(StatisticsPageBrowserTest, ChromiumRendersChartsAndEveryFeature) {
  const std::string chromium = testing::FindChromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium is not installed (scripts/install_deps.sh installs it); "
                    "statistics.html is not checked in a browser";
  }
  const std::string root = FreshTempDir("statistics_page_browser");
  const std::string examples = WriteExamples(root);
  const std::string uri = JoinPath(root, "statistics");
  ThreadPool pool(2);
  Status st = GenerateStatistics(examples, {"train", "eval"}, uri, {}, &pool);
  ASSERT_TRUE(st.ok()) << st.message();
  const std::string page = JoinPath(uri, kStatisticsHtmlFile);
  ASSERT_TRUE(PathExists(page));
  testing::Chromium browser{chromium, JoinPath(root, "browser")};
  for (const char* d : {"home", "config", "cache", "tmp", "profile"}) {
    ASSERT_TRUE(CreateDirectories(JoinPath(browser.dir, d)).ok());
  }
  const std::string url = "file://" + page;

  // The screenshot: not blank, many colours, and both splits' bar colours.
  const std::string png_path = JoinPath(root, "page.png");
  int code = -1;
  browser.Run("--screenshot='" + png_path + "' --window-size=1200,2000", url, &code);
  ASSERT_EQ(code, 0) << (code == 124 ? "chromium timed out; " : "") << "its log:\n"
                     << browser.Log();
  auto png = ReadFile(png_path);
  ASSERT_TRUE(png.ok()) << png.status().message() << "\n" << browser.Log();
  testing::RgbImage image;
  std::string error;
  ASSERT_TRUE(testing::DecodePng(*png, &image, &error)) << error;
  EXPECT_EQ(image.width, 1200);
  EXPECT_EQ(image.height, 2000);
  const auto background = image.At(image.width - 1, image.height - 1);
  size_t ink = 0;
  std::set<uint32_t> colors;
  std::map<int, size_t> split_pixels;  // dataset index -> pixels of its colour
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const auto p = image.At(x, y);
      if (p != background) ++ink;
      colors.insert(uint32_t{p[0]} << 16 | uint32_t{p[1]} << 8 | p[2]);
      for (int d = 0; d < 2; ++d) {
        const uint32_t c = std::strtoul(data::kHtmlDatasetColors[d] + 1, nullptr, 16);
        if (std::abs(p[0] - static_cast<int>(c >> 16)) <= 3 &&
            std::abs(p[1] - static_cast<int>((c >> 8) & 255)) <= 3 &&
            std::abs(p[2] - static_cast<int>(c & 255)) <= 3) {
          ++split_pixels[d];
        }
      }
    }
  }
  const double share = static_cast<double>(ink) / (static_cast<double>(image.width) * image.height);
  std::printf("screenshot: %.1f%% non-background pixels, %zu colours, train %zu px, eval %zu px\n",
              100 * share, colors.size(), split_pixels[0], split_pixels[1]);
  EXPECT_GT(share, 0.03);
  EXPECT_GT(colors.size(), 20u);
  EXPECT_GT(split_pixels[0], 500u) << "no bars in train's colour " << data::kHtmlDatasetColors[0];
  EXPECT_GT(split_pixels[1], 500u) << "no bars in eval's colour " << data::kHtmlDatasetColors[1];

  // The DOM after the page's scripts ran: every feature, the payloads as text.
  const std::string dom = browser.Run("--dump-dom", url, &code);
  ASSERT_EQ(code, 0) << browser.Log();
  for (const char* name : {"trip_miles", "image_floats", "image_class", "payment_type"}) {
    EXPECT_NE(dom.find(std::string("<b>") + name + "</b>"), std::string::npos) << name;
  }
  EXPECT_NE(dom.find("<b>&lt;script&gt;document.title=String.fromCharCode(80,87,78)&lt;/"
                     "script&gt;</b>"),
            std::string::npos);
  EXPECT_NE(dom.find("Credit Card"), std::string::npos);
  EXPECT_NE(dom.find("<b>train</b>: 300 examples"), std::string::npos);
  EXPECT_NE(dom.find("<b>eval</b>: 100 examples"), std::string::npos);
  EXPECT_EQ(dom.find("PWN"), std::string::npos) << "a payload ran";
  EXPECT_EQ(dom.find("<img"), std::string::npos);
  size_t scripts = 0;
  for (size_t at = dom.find("<script"); at != std::string::npos; at = dom.find("<script", at + 1))
    ++scripts;
  EXPECT_EQ(scripts, 1u);
}

}  // namespace
}  // namespace edgepipe::components
