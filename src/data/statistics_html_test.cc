#include "src/data/statistics_html.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "src/data/statistics.h"
#include "src/io/example.h"

namespace edgepipe::data {
namespace {

// The statistics of `examples`, as StatisticsGen computes them.
tfmd::DatasetFeatureStatistics Stats(const std::vector<tensorflow::Example>& examples,
                                     const std::string& name) {
  StatisticsAccumulator acc(StatisticsOptions{});
  for (const auto& e : examples) EXPECT_TRUE(acc.AddExample(e).ok());
  return acc.Finish(name);
}

// Two splits of examples with a number, a 3-vector, a label and a string;
// eval's numbers are shifted so the histograms differ.
std::vector<tensorflow::Example> Examples(int n, float shift) {
  std::vector<tensorflow::Example> out;
  for (int i = 0; i < n; ++i) {
    tensorflow::Example e;
    io::SetFloatFeature("x", {static_cast<float>(i % 10) + shift}, &e);
    io::SetFloatFeature("image_floats", {0.0f, 0.5f, static_cast<float>(i % 4) / 4}, &e);
    io::SetInt64Feature("image_class", {i % 3}, &e);
    if (i % 5 != 0) io::SetBytesFeature("kind", {i % 2 ? "cat" : "dog"}, &e);
    out.push_back(e);
  }
  return out;
}

// Every tag the page may contain; anything else came from the data.
bool OnlyOwnTags(const std::string& page, std::string* bad) {
  static const std::set<std::string> kTags = {
      "!DOCTYPE", "html",  "head", "meta", "title", "style", "body",   "h1",     "h2",
      "p",        "span",  "i",    "b",    "br",    "input", "select", "option", "table",
      "thead",    "tbody", "tr",   "th",   "td",    "svg",   "path",   "text",   "script"};
  for (size_t at = page.find('<'); at != std::string::npos; at = page.find('<', at + 1)) {
    size_t k = at + 1;
    if (k < page.size() && page[k] == '/') ++k;
    const size_t start = k;
    while (k < page.size() && (std::isalnum(static_cast<unsigned char>(page[k])) || page[k] == '!'))
      ++k;
    const std::string tag = page.substr(start, k - start);
    if (!kTags.count(tag)) {
      *bad = page.substr(at, 60);
      return false;
    }
  }
  return true;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// Whole-string UTF-8 validity (RFC 3629), independent of the renderer's own.
bool ValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (int k = 1; k < n; ++k) {
      const unsigned char cc = s[i + k];
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

// The `d` attributes of the page's paths hold only path commands and numbers.
void ExpectCleanPaths(const std::string& page) {
  for (size_t at = page.find(" d=\""); at != std::string::npos; at = page.find(" d=\"", at + 1)) {
    const size_t end = page.find('"', at + 4);
    ASSERT_NE(end, std::string::npos);
    const std::string d = page.substr(at + 4, end - at - 4);
    EXPECT_EQ(d.find_first_not_of("MHhvz0123456789.- "), std::string::npos) << d;
  }
}

TEST(HtmlTextTest, EscapesMarkupControlsAndInvalidUtf8) {
  EXPECT_EQ(HtmlText("<script>a&b\"c'd</script>"),
            "&lt;script&gt;a&amp;b&quot;c&#39;d&lt;/script&gt;");
  EXPECT_EQ(HtmlText(std::string("a\nb\0c\x7f", 6)), "a\\x0Ab\\x00c\\x7F");
  EXPECT_EQ(HtmlText("\xff\xc3"), "\\xFF\\xC3");                             // invalid, truncated
  EXPECT_EQ(HtmlText("\xc0\x80\xed\xa0\x80"), "\\xC0\\x80\\xED\\xA0\\x80");  // overlong, surrogate
  EXPECT_EQ(HtmlText("\xc2\x85"), "\\xC2\\x85");                             // C1 control (NEL)
  EXPECT_EQ(HtmlText("\xc3\xa9t\xe2\x82\xac\xf0\x9f\x98\x80"),
            "\xc3\xa9t\xe2\x82\xac\xf0\x9f\x98\x80");
}

TEST(NaturalCompareTest, NumbersInNamesCompareByValue) {
  std::vector<std::string> names = {"pixel_10", "pixel_2", "pixel_1",
                                    "b",        "a10b",    "a9c",
                                    "pixel_02", "",        "pixel_99999999999999999999"};
  std::sort(names.begin(), names.end(),
            [](const std::string& a, const std::string& b) { return NaturalCompare(a, b) < 0; });
  EXPECT_EQ(names, (std::vector<std::string>{"", "a9c", "a10b", "b", "pixel_1", "pixel_02",
                                             "pixel_2", "pixel_10", "pixel_99999999999999999999"}));
  EXPECT_EQ(NaturalCompare("x", "x"), 0);
  EXPECT_NE(NaturalCompare("a01", "a1"), 0);  // a tie broken by bytes: a total order
  EXPECT_EQ(NaturalCompare("a01", "a1"), -NaturalCompare("a1", "a01"));
}

TEST(StatisticsHtmlTest, ShowsEveryFeatureOfEverySplitSideBySide) {
  const auto train = Stats(Examples(40, 0), "train");
  const auto eval = Stats(Examples(10, 5), "eval");
  const std::string page = RenderStatisticsHtml({{"train", &train}, {"eval", &eval}}, "My stats");
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>")) << page.substr(0, 40);
  EXPECT_NE(page.find("<title>My stats</title>"), std::string::npos);
  EXPECT_NE(page.find("<b>train</b>: 40 examples"), std::string::npos);
  EXPECT_NE(page.find("<b>eval</b>: 10 examples"), std::string::npos);
  EXPECT_NE(page.find("Numeric features (3)"), std::string::npos);
  EXPECT_NE(page.find("Categorical features (1)"), std::string::npos);
  // Natural order within each table: image_class, image_floats, x; then kind.
  const size_t cls = page.find("<b>image_class</b>"), flt = page.find("<b>image_floats</b>"),
               x = page.find("<b>x</b>"), kind = page.find("<b>kind</b>");
  ASSERT_NE(kind, std::string::npos);
  EXPECT_LT(cls, flt);
  EXPECT_LT(flt, x);
  EXPECT_LT(x, kind);
  // Both splits draw bars (classes f0, f1) and quantile strips (q0, q1), and
  // each feature has a row per split.
  EXPECT_EQ(Count(page, "<path class=\"f0\""), 4u);
  EXPECT_EQ(Count(page, "<path class=\"f1\""), 4u);
  EXPECT_EQ(Count(page, "<path class=\"q0\""), 3u);
  EXPECT_EQ(Count(page, "<path class=\"q1\""), 3u);
  EXPECT_EQ(Count(page, "<i class=\"s0\"></i>train</td>"), 4u);
  EXPECT_EQ(Count(page, "<i class=\"s1\"></i>eval</td>"), 4u);
  // kind: missing in every fifth example; 3-vector: values per example "3".
  EXPECT_NE(page.find("<td class=\"w\">8 (20.0%)</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>3</td>"), std::string::npos);
  // Top values with their share in the tooltip.
  EXPECT_NE(page.find("<title>cat: train 50% (16), eval 50% (4)</title>cat</text>"),
            std::string::npos);
  ExpectCleanPaths(page);
  std::string bad;
  EXPECT_TRUE(OnlyOwnTags(page, &bad)) << bad;
  EXPECT_TRUE(ValidUtf8(page));
}

TEST(StatisticsHtmlTest, StringsFromTheDataCannotInjectMarkup) {
  const std::string evil_name = "<script>alert(1)</script>";
  const std::string evil_attr = "\"><img src=x onerror=alert(1)>";
  const std::string evil_value = "</text></svg><script>alert(2)</script>";
  std::vector<tensorflow::Example> examples(3);
  for (auto& e : examples) {
    io::SetFloatFeature(evil_name, {1.0f}, &e);
    io::SetBytesFeature(evil_attr, {evil_value, "\xff\xfe</td>"}, &e);
  }
  const auto stats = Stats(examples, "x");
  const std::string page =
      RenderStatisticsHtml({{"<b onclick=alert(3)>split</b>", &stats}}, "</title><script>x");
  std::string bad;
  EXPECT_TRUE(OnlyOwnTags(page, &bad)) << bad;
  EXPECT_EQ(Count(page, "<script"), 1u);  // the page's own
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_NE(page.find("<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>"), std::string::npos);
  EXPECT_NE(page.find("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;/text&gt;&lt;/svg&gt;&lt;script&gt;alert(2)&lt;/script&gt;"),
            std::string::npos);
  EXPECT_NE(page.find(kNonUtf8Placeholder), std::string::npos);  // "\xff\xfe</td>"
  EXPECT_NE(page.find("<title>&lt;/title&gt;&lt;script&gt;x</title>"), std::string::npos);
  EXPECT_TRUE(ValidUtf8(page));
}

TEST(StatisticsHtmlTest, HostileNumbersAreNotDrawn) {
  tfmd::DatasetFeatureStatistics ds;
  ds.set_name("hostile");
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto* f = ds.add_features();
  f->set_name("f");
  f->set_type(tfmd::FeatureNameStatistics::FLOAT);
  auto* num = f->mutable_num_stats();
  num->set_mean(nan);
  num->set_max(inf);
  auto* h = num->add_histograms();
  for (const auto& [lo, hi, count] :
       std::vector<std::tuple<double, double, double>>{{0, 1, 5},
                                                       {nan, 2, 1},
                                                       {1, inf, 1},
                                                       {3, 2, 1},
                                                       {2, 3, -4},
                                                       {2, 3, nan},
                                                       {-1.7e308, 1.7e308, 1e300},
                                                       {4, 4, inf}}) {
    auto* b = h->add_buckets();
    b->set_low_value(lo);
    b->set_high_value(hi);
    b->set_sample_count(count);
  }
  *num->add_histograms() = *h;
  num->mutable_histograms(1)->set_type(tfmd::Histogram::QUANTILES);
  auto* s = ds.add_features();
  s->set_name("s");
  s->set_type(tfmd::FeatureNameStatistics::STRING);
  auto* top = s->mutable_string_stats()->add_top_values();
  top->set_value("v");
  top->set_frequency(nan);
  // Not UTF-8 (another writer's file): shown as escaped bytes.
  top = s->mutable_string_stats()->add_top_values();
  top->set_value("\xff\xfe</td>");
  top->set_frequency(1);
  ds.add_features()->set_name("empty");
  const std::string page = RenderStatisticsHtml({{"", &ds}, {"", nullptr}}, "t");
  ExpectCleanPaths(page);
  EXPECT_NE(page.find("\\xFF\\xFE&lt;/td&gt;"), std::string::npos);
  EXPECT_TRUE(ValidUtf8(page));
  EXPECT_NE(page.find("<b>hostile</b>"), std::string::npos);    // the dataset's own name
  EXPECT_NE(page.find("<b>dataset 2</b>"), std::string::npos);  // no name at all
  EXPECT_NE(page.find("<td class=\"w\" colspan=\"9\">absent</td>"), std::string::npos);
  std::string bad;
  EXPECT_TRUE(OnlyOwnTags(page, &bad)) << bad;
}

TEST(StatisticsHtmlTest, SplitsWithDifferentRangesShareOneAxis) {
  auto train = Stats(Examples(50, 0), "train");  // x in [0, 9]
  auto eval = Stats(Examples(50, 20), "eval");   // x in [20, 29]
  const std::string page = RenderStatisticsHtml({{"train", &train}, {"eval", &eval}}, "t");
  // x's chart spans both ranges: labels 0 and 29, and a large difference.
  const size_t x = page.find("<b>x</b>");
  ASSERT_NE(x, std::string::npos);
  const std::string row = page.substr(x, page.find("</tbody>", x) - x);
  EXPECT_NE(row.find(">0</text>"), std::string::npos) << row;
  EXPECT_NE(row.find(">29</text>"), std::string::npos) << row;
  // Their difference: a common bucket holds ~30% of one split and none of the other.
  const size_t tbody = page.rfind("<tbody", x);
  const size_t d = page.find("data-d=\"", tbody);
  ASSERT_LT(d, x);
  const double difference = std::stod(page.substr(d + 8, 6));
  EXPECT_GT(difference, 0.25);
  EXPECT_LT(difference, 0.4);
  ExpectCleanPaths(page);
}

TEST(StatisticsHtmlTest, BoundedWhateverTheInput) {
  tfmd::DatasetFeatureStatistics many;
  for (int i = 0; i < kMaxHtmlFeatures + 5; ++i)
    many.add_features()->set_name("f" + std::to_string(i));
  std::vector<NamedStatistics> datasets;
  for (int d = 0; d < kMaxHtmlDatasets + 2; ++d)
    datasets.push_back({"s" + std::to_string(d), &many});
  const std::string page = RenderStatisticsHtml(datasets, "t");
  EXPECT_NE(page.find("2 more datasets are not shown"), std::string::npos);
  EXPECT_NE(page.find("5 more features are not shown"), std::string::npos);
  EXPECT_EQ(page.find("<b>f10004</b>"), std::string::npos);
  EXPECT_NE(page.find("<b>f9999</b>"), std::string::npos);
}

// Fashion-MNIST / MNIST as separate pixel features: 784 numeric features and
// a label, two splits. The page must stay small enough to open at once.
TEST(StatisticsHtmlTest, SizeFor784Features) {
  std::vector<tensorflow::Example> train(60), eval(20);
  for (size_t i = 0; i < train.size() + eval.size(); ++i) {
    tensorflow::Example& e = i < train.size() ? train[i] : eval[i - train.size()];
    for (int p = 0; p < 784; ++p) {
      const float v = static_cast<float>((i * 31 + p * 7) % 256) / 255.0f;
      io::SetFloatFeature("pixel_" + std::to_string(p), {p % 3 == 0 ? 0.0f : v}, &e);
    }
    io::SetInt64Feature("label", {static_cast<int64_t>(i % 10)}, &e);
  }
  const auto t = Stats(train, "train"), v = Stats(eval, "eval");
  const std::string page = RenderStatisticsHtml({{"train", &t}, {"eval", &v}}, "784");
  EXPECT_NE(page.find("Numeric features (785)"), std::string::npos);
  EXPECT_LT(NaturalCompare("pixel_9", "pixel_10"), 0);
  EXPECT_LT(page.find("<b>pixel_9</b>"), page.find("<b>pixel_10</b>"));
  std::printf("statistics.html for 785 features x 2 splits: %zu bytes\n", page.size());
  RecordProperty("html_bytes", std::to_string(page.size()));
  EXPECT_LT(page.size(), size_t{2} << 20);
}

}  // namespace
}  // namespace edgepipe::data
