#include "src/data/statistics_html.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

#include "src/core/html.h"
#include "src/data/statistics.h"

namespace edgepipe::data {

const char* const kHtmlDatasetColors[kMaxHtmlDatasets] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

namespace {

// Chart geometry (CSS pixels). Numeric: the histogram's plot area is
// kPlotW x kPlotH under a kTop band for the y label; each split's quantile
// strip is kStripH high; the x labels take kAxisH.
constexpr double kPlotW = 300, kPlotH = 44, kTop = 11, kStripH = 7, kAxisH = 12;
// Categorical: labels in kLabelW, bars of kBarH per split, kRowGap between values.
constexpr double kLabelW = 112, kBarW = 188, kBarH = 6, kRowGap = 4;
constexpr size_t kMaxLabelChars = 18;  // value labels in charts (full value in the tooltip)
constexpr size_t kMaxNameChars = 200;  // feature names in the table

// Every string from the statistics goes through AppendHtmlText (core/html.h).
void AppendText(std::string* out, std::string_view text, size_t max_chars = SIZE_MAX) {
  AppendHtmlText(out, text, max_chars);
}

// Numbers as `stats show` prints them (6 significant digits) or shorter.
std::string Num(double v, int digits = 6) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

// A pixel coordinate: one decimal is finer than a screen needs.
std::string Px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s == "-0" ? "0" : s;
}

// "12 (1.2%)"; the percentage of `part` in `whole`, "<0.1%" when tiny.
std::string CountAndShare(uint64_t part, double whole) {
  std::string out = std::to_string(part);
  if (whole <= 0 || part == 0) return out;
  const double pct = 100.0 * static_cast<double>(part) / whole;
  char buf[32];
  if (pct < 0.1) {
    std::snprintf(buf, sizeof buf, " (&lt;0.1%%)");
  } else {
    std::snprintf(buf, sizeof buf, " (%.1f%%)", pct);
  }
  return out + buf;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// x in [lo, hi] as a fraction in [0, 1], without overflow for any finite
// bounds (halves: the difference of two halved doubles is finite); NaN -> 0.
double Position(double x, double lo, double hi) {
  if (!(hi > lo)) return 0;
  const double t = (x * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5);
  if (!(t >= 0)) return 0;
  return t > 1 ? 1 : t;
}

// A histogram bucket that can be drawn.
bool Valid(const tfmd::Histogram::Bucket& b) {
  return std::isfinite(b.low_value()) && std::isfinite(b.high_value()) &&
         b.low_value() <= b.high_value() && std::isfinite(b.sample_count()) &&
         b.sample_count() >= 0;
}

const tfmd::Histogram* FindHistogram(const tfmd::FeatureNameStatistics* f,
                                     tfmd::Histogram::HistogramType type) {
  if (f == nullptr || !f->has_num_stats()) return nullptr;
  for (const tfmd::Histogram& h : f->num_stats().histograms()) {
    if (h.type() == type) return &h;
  }
  return nullptr;
}

const tfmd::CommonStatistics& Common(const tfmd::FeatureNameStatistics& f) {
  return f.has_string_stats() ? f.string_stats().common_stats() : f.num_stats().common_stats();
}

// One feature across the datasets: its statistics in each (null if absent)
// and, for the table cells, its summary there.
struct FeatureRows {
  std::string name;
  std::vector<const tfmd::FeatureNameStatistics*> stats;
  std::vector<const FeatureSummary*> summaries;
  bool categorical = false;  // some dataset has string statistics
};

// The histograms of a numeric feature on one grid: edges as fractions of the
// chart's range [lo, hi], and each dataset's share of its values per bucket.
struct Grid {
  double lo = 0, hi = 0;
  std::vector<double> edges;                // size buckets + 1, in [0, 1]
  std::vector<std::vector<double>> shares;  // [dataset][bucket]
  std::vector<double> totals;               // [dataset] values in the histogram
  bool empty() const { return edges.size() < 2; }
};

Grid MakeGrid(const FeatureRows& f) {
  Grid g;
  const size_t n = f.stats.size();
  std::vector<const tfmd::Histogram*> hist(n);
  bool any = false;
  double lo = 0, hi = 0;
  auto extend = [&](double v) {
    if (!any) lo = hi = v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    any = true;
  };
  size_t most = 0;
  for (size_t d = 0; d < n; ++d) {
    hist[d] = FindHistogram(f.stats[d], tfmd::Histogram::STANDARD);
    if (hist[d] == nullptr) continue;
    size_t valid = 0;
    for (const auto& b : hist[d]->buckets()) {
      if (!Valid(b)) continue;
      extend(b.low_value());
      extend(b.high_value());
      ++valid;
    }
    most = std::max(most, valid);
  }
  if (!any) return g;
  g.lo = lo;
  g.hi = hi;
  // The datasets' own buckets when they all agree (TFDV writes contiguous
  // equal-width buckets; splits of one dataset often share min and max).
  bool same = most <= static_cast<size_t>(kMaxHistogramBars);
  const tfmd::Histogram* first = nullptr;
  for (size_t d = 0; d < n && same; ++d) {
    if (hist[d] == nullptr) continue;
    const auto& buckets = hist[d]->buckets();
    for (int k = 0; k < buckets.size() && same; ++k) {
      same = Valid(buckets[k]) && (k == 0 || buckets[k].low_value() == buckets[k - 1].high_value());
    }
    if (first == nullptr) {
      first = hist[d];
      continue;
    }
    same = same && buckets.size() == first->buckets().size();
    for (int k = 0; k < buckets.size() && same; ++k) {
      same = buckets[k].low_value() == first->buckets(k).low_value() &&
             buckets[k].high_value() == first->buckets(k).high_value();
    }
  }
  size_t cells;
  if (same) {
    cells = first->buckets_size();
    for (const auto& b : first->buckets()) g.edges.push_back(Position(b.low_value(), lo, hi));
    g.edges.push_back(lo == hi ? 1.0 : Position(first->buckets().rbegin()->high_value(), lo, hi));
  } else {
    cells = lo == hi ? 1 : std::clamp<size_t>(most, 1, kMaxHistogramBars);
    for (size_t k = 0; k <= cells; ++k) g.edges.push_back(static_cast<double>(k) / cells);
  }
  g.shares.assign(n, std::vector<double>(cells, 0.0));
  g.totals.assign(n, 0.0);
  for (size_t d = 0; d < n; ++d) {
    if (hist[d] == nullptr) continue;
    std::vector<double>& counts = g.shares[d];
    for (int k = 0; k < hist[d]->buckets_size(); ++k) {
      const auto& b = hist[d]->buckets(k);
      if (!Valid(b)) continue;
      g.totals[d] += b.sample_count();
      if (same) {
        counts[k] += b.sample_count();
        continue;
      }
      // Spread over the equal-width cells the bucket overlaps.
      const double a = Position(b.low_value(), lo, hi), z = Position(b.high_value(), lo, hi);
      const size_t first_cell = std::min(cells - 1, static_cast<size_t>(a * cells));
      const size_t last_cell = std::min(cells - 1, static_cast<size_t>(z * cells));
      if (!(z > a) || first_cell == last_cell) {
        counts[first_cell] += b.sample_count();
        continue;
      }
      for (size_t c = first_cell; c <= last_cell; ++c) {
        const double overlap = std::min(z, g.edges[c + 1]) - std::max(a, g.edges[c]);
        if (overlap > 0) counts[c] += b.sample_count() * overlap / (z - a);
      }
    }
    if (g.totals[d] > 0 && std::isfinite(g.totals[d])) {
      for (double& c : counts) c /= g.totals[d];
    } else {
      std::fill(counts.begin(), counts.end(), 0.0);
    }
  }
  return g;
}

// The chart of a numeric feature: grouped bars, then the quantile strips.
void AppendNumericChart(std::string* out, const FeatureRows& f, const Grid& g) {
  const size_t n = f.stats.size();
  const double height = kTop + kPlotH + kStripH * static_cast<double>(n) + kAxisH + 2;
  *out += "<svg width=\"" + Px(kPlotW + 8) + "\" height=\"" + Px(height) + "\">";
  if (g.empty()) {
    *out += "<text x=\"4\" y=\"20\">no values</text></svg>";
    return;
  }
  double top = 0;
  for (const auto& s : g.shares) {
    for (double v : s) top = std::max(top, v);
  }
  const double x0 = 4, base = kTop + kPlotH;
  *out += "<text x=\"" + Px(x0) + "\" y=\"9\">" + Num(100 * top, 3) + "%</text>";
  *out += "<path class=\"ax\" d=\"M" + Px(x0) + " " + Px(base + 0.5) + "h" + Px(kPlotW) + "\"/>";
  const size_t cells = g.edges.size() - 1;
  for (size_t d = 0; d < n; ++d) {
    std::string path;
    for (size_t c = 0; c < cells && top > 0; ++c) {
      const double v = g.shares[d][c];
      if (!(v > 0)) continue;
      const double left = x0 + g.edges[c] * kPlotW, right = x0 + g.edges[c + 1] * kPlotW;
      // Adjacent bars per bucket, with a one-pixel gap between buckets.
      const double w = std::max(0.6, (right - left - 1) / static_cast<double>(n));
      const double h = std::max(1.0, v / top * kPlotH);
      path += "M" + Px(left + 0.5 + w * static_cast<double>(d)) + " " + Px(base - h) + "h" + Px(w) +
              "v" + Px(h) + "h-" + Px(w) + "z";
    }
    if (!path.empty()) *out += "<path class=\"f" + std::to_string(d) + "\" d=\"" + path + "\"/>";
  }
  // Quantile strips: a line over the quantiles' range and a tick per edge.
  for (size_t d = 0; d < n; ++d) {
    const tfmd::Histogram* q = FindHistogram(f.stats[d], tfmd::Histogram::QUANTILES);
    if (q == nullptr) continue;
    std::vector<double> edges;
    for (const auto& b : q->buckets()) {
      if (!Valid(b)) continue;
      edges.push_back(b.low_value());
      edges.push_back(b.high_value());
    }
    if (edges.empty()) continue;
    std::sort(edges.begin(), edges.end());
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
    const double y = base + 4 + kStripH * static_cast<double>(d);
    std::string path = "M" + Px(x0 + Position(edges.front(), g.lo, g.hi) * kPlotW) + " " + Px(y) +
                       "H" + Px(x0 + Position(edges.back(), g.lo, g.hi) * kPlotW);
    for (double e : edges) {
      path += "M" + Px(x0 + Position(e, g.lo, g.hi) * kPlotW) + " " + Px(y - 3) + "v6";
    }
    *out += "<path class=\"q" + std::to_string(d) + "\" d=\"" + path + "\"/>";
  }
  const double label_y = height - 3;
  if (g.lo == g.hi) {
    *out += "<text x=\"" + Px(x0 + kPlotW / 2) + "\" y=\"" + Px(label_y) +
            "\" text-anchor=\"middle\">" + Num(g.lo, 4) + "</text>";
  } else {
    *out += "<text x=\"" + Px(x0) + "\" y=\"" + Px(label_y) + "\">" + Num(g.lo, 4) + "</text>";
    *out += "<text x=\"" + Px(x0 + kPlotW) + "\" y=\"" + Px(label_y) + "\" text-anchor=\"end\">" +
            Num(g.hi, 4) + "</text>";
  }
  *out += "</svg>";
}

// The values a categorical chart shows and each dataset's share of its values
// for each ([value][dataset], 0 where the value is not among its top values).
struct TopValues {
  std::vector<std::string> values;
  std::vector<std::vector<double>> shares;
  std::vector<std::vector<double>> counts;
};

TopValues MakeTopValues(const FeatureRows& f, size_t max_values) {
  TopValues t;
  const size_t n = f.stats.size();
  std::map<std::string_view, size_t> index;
  for (size_t d = 0; d < n; ++d) {
    if (f.stats[d] == nullptr || !f.stats[d]->has_string_stats()) continue;
    const tfmd::StringStatistics& s = f.stats[d]->string_stats();
    const double total = static_cast<double>(s.common_stats().tot_num_values());
    for (const auto& v : s.top_values()) {
      auto it = index.find(v.value());
      if (it == index.end()) {
        if (t.values.size() == max_values) continue;
        it = index.emplace(v.value(), t.values.size()).first;
        t.values.push_back(v.value());
        t.shares.emplace_back(n, 0.0);
        t.counts.emplace_back(n, 0.0);
      }
      const double freq = v.frequency();
      if (!std::isfinite(freq) || freq < 0 || t.counts[it->second][d] != 0) continue;
      t.counts[it->second][d] = freq;
      t.shares[it->second][d] = total > 0 ? std::min(1.0, freq / total) : 0.0;
    }
  }
  return t;
}

void AppendCategoricalChart(std::string* out, const std::vector<std::string>& labels,
                            const TopValues& t) {
  const size_t n = labels.size();
  const double row = kBarH * static_cast<double>(n) + kRowGap;
  const double height = std::max(16.0, row * static_cast<double>(t.values.size()) + 2);
  *out += "<svg width=\"" + Px(kLabelW + kBarW + 8) + "\" height=\"" + Px(height) + "\">";
  if (t.values.empty()) {
    *out += "<text x=\"4\" y=\"12\">no values</text></svg>";
    return;
  }
  double top = 0;
  for (const auto& s : t.shares) {
    for (double v : s) top = std::max(top, v);
  }
  std::vector<std::string> paths(n);
  for (size_t v = 0; v < t.values.size(); ++v) {
    const double y = 1 + row * static_cast<double>(v);
    *out += "<text x=\"" + Px(kLabelW - 4) + "\" y=\"" + Px(y + row / 2 + 2) +
            "\" text-anchor=\"end\"><title>";
    AppendText(out, t.values[v]);
    for (size_t d = 0; d < n; ++d) {
      *out += d == 0 ? ": " : ", ";
      AppendText(out, labels[d]);
      *out += " " + Num(100 * t.shares[v][d], 3) + "% (" + Num(t.counts[v][d]) + ")";
    }
    *out += "</title>";
    AppendText(out, t.values[v], kMaxLabelChars);
    *out += "</text>";
    for (size_t d = 0; d < n && top > 0; ++d) {
      if (!(t.shares[v][d] > 0)) continue;
      const double w = std::max(1.0, t.shares[v][d] / top * kBarW);
      paths[d] += "M" + Px(kLabelW) + " " + Px(y + kBarH * static_cast<double>(d)) + "h" + Px(w) +
                  "v" + Px(kBarH - 1) + "h-" + Px(w) + "z";
    }
  }
  for (size_t d = 0; d < n; ++d) {
    if (!paths[d].empty()) {
      *out += "<path class=\"f" + std::to_string(d) + "\" d=\"" + paths[d] + "\"/>";
    }
  }
  *out += "</svg>";
}

// Largest |share difference| between dataset 0 and any other, over buckets
// or values; -1 when fewer than two datasets have values.
double SplitDifference(const std::vector<std::vector<double>>& shares_by_dataset,
                       const std::vector<bool>& has_values) {
  double worst = -1;
  if (shares_by_dataset.empty() || !has_values[0]) return worst;
  for (size_t d = 1; d < shares_by_dataset.size(); ++d) {
    if (!has_values[d]) continue;
    worst = std::max(worst, 0.0);
    for (size_t k = 0; k < shares_by_dataset[0].size(); ++k) {
      worst = std::max(worst, std::abs(shares_by_dataset[d][k] - shares_by_dataset[0][k]));
    }
  }
  return worst;
}

constexpr const char* kNumericHeader =
    "<th>feature</th><th>split</th><th>count</th><th>missing</th><th>values/ex</th>"
    "<th>mean</th><th>std dev</th><th>zeros</th><th>min</th><th>median</th><th>max</th>"
    "<th class=\"c\">histogram: share of values per bucket; ticks: quantiles</th>";
constexpr const char* kCategoricalHeader =
    "<th>feature</th><th>split</th><th>count</th><th>missing</th><th>values/ex</th>"
    "<th>unique</th><th>top value</th><th>avg length</th>"
    "<th class=\"c\">top values: share of values</th>";
constexpr int kNumericCells = 9, kCategoricalCells = 6;  // after the split cell

void AppendFeature(std::string* out, const FeatureRows& f, size_t order,
                   const std::vector<std::string>& labels, const StatisticsHtmlOptions& options) {
  const size_t n = f.stats.size();
  // Chart and sort keys first: the tbody carries them.
  std::string chart;
  std::vector<bool> has_values(n, false);
  double difference;
  if (f.categorical) {
    const TopValues t = MakeTopValues(f, static_cast<size_t>(options.max_top_values));
    std::vector<std::vector<double>> by_dataset(n, std::vector<double>(t.values.size()));
    for (size_t v = 0; v < t.values.size(); ++v) {
      for (size_t d = 0; d < n; ++d) {
        by_dataset[d][v] = t.shares[v][d];
        has_values[d] = has_values[d] || t.counts[v][d] > 0;
      }
    }
    difference = SplitDifference(by_dataset, has_values);
    AppendCategoricalChart(&chart, labels, t);
  } else {
    const Grid g = MakeGrid(f);
    for (size_t d = 0; d < g.totals.size(); ++d) has_values[d] = g.totals[d] > 0;
    difference = SplitDifference(g.shares, has_values);
    AppendNumericChart(&chart, f, g);
  }
  double missing = 0;
  for (const tfmd::FeatureNameStatistics* s : f.stats) {
    if (s == nullptr) continue;
    const auto& c = Common(*s);
    const double all =
        static_cast<double>(c.num_missing()) + static_cast<double>(c.num_non_missing());
    if (all > 0) missing = std::max(missing, static_cast<double>(c.num_missing()) / all);
  }
  char keys[96];
  std::snprintf(keys, sizeof keys, "<tbody data-i=\"%zu\" data-m=\"%.4f\" data-d=\"%.4f\">", order,
                missing, difference);
  *out += keys;
  for (size_t d = 0; d < n; ++d) {
    *out += "<tr>";
    if (d == 0) {
      *out += "<td class=\"nm\" rowspan=\"" + std::to_string(n) + "\"><b>";
      AppendText(out, f.name, kMaxNameChars);
      *out += "</b><br>";
      // The type(s): they can differ between splits.
      std::vector<std::string> types;
      for (const tfmd::FeatureNameStatistics* s : f.stats) {
        if (s == nullptr) continue;
        const std::string type = tfmd::FeatureNameStatistics::Type_Name(s->type());
        const std::string shown = type.empty() ? "type " + std::to_string(s->type()) : type;
        if (std::find(types.begin(), types.end(), shown) == types.end()) types.push_back(shown);
      }
      for (size_t k = 0; k < types.size(); ++k) *out += (k ? " / " : "") + types[k];
      if (difference >= 0) {
        char buf[64];
        std::snprintf(buf, sizeof buf, " <span class=\"dd\">&#916; %.3f</span>", difference);
        *out += buf;
      }
      *out += "</td>";
    }
    *out += "<td class=\"sp\"><i class=\"s" + std::to_string(d) + "\"></i>";
    AppendText(out, labels[d], kMaxNameChars);
    *out += "</td>";
    const tfmd::FeatureNameStatistics* s = f.stats[d];
    const FeatureSummary* sum = f.summaries[d];
    const int cells = f.categorical ? kCategoricalCells : kNumericCells;
    if (s == nullptr || sum == nullptr) {
      *out += "<td class=\"w\" colspan=\"" + std::to_string(cells) + "\">absent</td>";
    } else {
      const auto& c = Common(*s);
      const double all =
          static_cast<double>(c.num_missing()) + static_cast<double>(c.num_non_missing());
      *out += "<td>" + sum->count + "</td>";
      *out += std::string(c.num_missing() > 0 ? "<td class=\"w\">" : "<td>") +
              CountAndShare(c.num_missing(), all) + "</td>";
      *out += "<td>";
      AppendText(out, sum->values);
      *out += "</td>";
      if (f.categorical && s->has_string_stats()) {
        const auto& str = s->string_stats();
        *out += "<td>" + sum->unique + "</td><td class=\"tv\">";
        if (str.top_values_size() > 0) {
          AppendText(out, str.top_values(0).value(), kMaxLabelChars);
          *out += " (" + Num(str.top_values(0).frequency()) + ")";
        }
        *out += "</td><td>" + Num(str.avg_length(), 4) + "</td>";
      } else if (f.categorical) {
        *out += "<td colspan=\"3\">not strings here</td>";
      } else {
        const auto& num = s->num_stats();
        *out += "<td>" + sum->mean + "</td><td>" + sum->std_dev + "</td>";
        *out += "<td>" + CountAndShare(num.num_zeros(), static_cast<double>(c.tot_num_values())) +
                "</td>";
        *out += "<td>" + sum->min + "</td><td>" + sum->median + "</td><td>" + sum->max + "</td>";
      }
    }
    if (d == 0) *out += "<td class=\"c\" rowspan=\"" + std::to_string(n) + "\">" + chart + "</td>";
    *out += "</tr>";
  }
  *out += "</tbody>\n";
}

constexpr const char* kStyle =
    "body{font:13px/1.35 sans-serif;margin:16px;color:#222}"
    "h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:20px 0 6px}"
    "table.f{border-collapse:collapse}"
    "table.f th,table.f td{padding:2px 5px;text-align:right;white-space:nowrap;vertical-align:top}"
    "table.f thead th{position:sticky;top:0;background:#f4f4f4;border-bottom:1px solid #999}"
    "table.f tbody{border-top:1px solid #ccc}"
    "table.f td.nm,table.f td.sp,table.f td.tv,table.f th.c,table.f td.c,"
    "table.f th:nth-child(-n+2){text-align:left}"
    "table.f td.nm{white-space:normal;overflow-wrap:anywhere;min-width:8em;max-width:16em}"
    "table.f th.c{white-space:normal;font-weight:normal;font-size:11px}"
    ".w{color:#b00}.dd{color:#666;font-size:11px}.note{color:#555}"
    "i{display:inline-block;width:10px;height:10px;margin-right:4px}"
    "svg{display:block}svg text{font-size:10px;fill:#333}.ax{stroke:#999;fill:none}"
    "#controls{margin:8px 0}#controls input{width:16em}"
    ".legend span{margin-right:18px}";

// Filter by name and sort by name order, missing share or split difference
// (the tbody's data-i, data-m, data-d); the page is complete without it. No
// '<' in it, so every '<' of the page opens a tag (the tests check them all).
constexpr const char* kScript =
    "(function(){var q=document.getElementById('q'),s=document.getElementById('sort');"
    "function apply(){var f=q.value.toLowerCase(),k=s.value;"
    "document.querySelectorAll('table.f').forEach(function(t){"
    "var b=Array.prototype.slice.call(t.tBodies);"
    "b.forEach(function(x){x.hidden=f!==''&&"
    "x.querySelector('td.nm b').textContent.toLowerCase().indexOf(f)===-1;});"
    "b.sort(function(x,y){return k==='i'?x.dataset.i-y.dataset.i:"
    "(y.dataset[k]-x.dataset[k])||(x.dataset.i-y.dataset.i);});"
    "b.forEach(function(x){t.appendChild(x);});});}"
    "q.addEventListener('input',apply);s.addEventListener('change',apply);})();";

}  // namespace

std::string HtmlText(std::string_view text) {
  std::string out;
  AppendText(&out, text);
  return out;
}

int NaturalCompare(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (IsDigit(a[i]) && IsDigit(b[j])) {
      size_t ie = i, je = j;
      while (ie < a.size() && IsDigit(a[ie])) ++ie;
      while (je < b.size() && IsDigit(b[je])) ++je;
      size_t ia = i, jb = j;  // skip leading zeros; the numbers then compare by length
      while (ia + 1 < ie && a[ia] == '0') ++ia;
      while (jb + 1 < je && b[jb] == '0') ++jb;
      if (ie - ia != je - jb) return ie - ia < je - jb ? -1 : 1;
      const int c = a.substr(ia, ie - ia).compare(b.substr(jb, je - jb));
      if (c != 0) return c < 0 ? -1 : 1;
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) {
      return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]) ? -1 : 1;
    }
    ++i;
    ++j;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string RenderStatisticsHtml(const std::vector<NamedStatistics>& datasets,
                                 std::string_view title, const StatisticsHtmlOptions& options) {
  StatisticsHtmlOptions opts = options;
  opts.max_top_values = std::clamp(opts.max_top_values, 1, 1000);
  const size_t n = std::min<size_t>(datasets.size(), kMaxHtmlDatasets);
  std::vector<std::string> labels(n);
  std::vector<std::vector<FeatureSummary>> summaries(n);
  // Union of the features by name; the first of a repeated name in a dataset wins.
  std::map<std::string, FeatureRows> features;
  for (size_t d = 0; d < n; ++d) {
    const tfmd::DatasetFeatureStatistics* ds = datasets[d].statistics;
    labels[d] = !datasets[d].split.empty()             ? datasets[d].split
                : ds != nullptr && !ds->name().empty() ? ds->name()
                                                       : "dataset " + std::to_string(d + 1);
    if (ds == nullptr) continue;
    summaries[d] = SummarizeStatistics(*ds, 1);
    for (int k = 0; k < ds->features_size(); ++k) {
      const tfmd::FeatureNameStatistics& f = ds->features(k);
      FeatureRows& rows = features[FeatureName(f)];
      if (rows.stats.empty()) {
        rows.name = FeatureName(f);
        rows.stats.assign(n, nullptr);
        rows.summaries.assign(n, nullptr);
      }
      if (rows.stats[d] != nullptr) continue;
      rows.stats[d] = &f;
      rows.summaries[d] = &summaries[d][static_cast<size_t>(k)];
      rows.categorical = rows.categorical || f.has_string_stats();
    }
  }
  std::vector<const FeatureRows*> order;
  for (const auto& [name, rows] : features) order.push_back(&rows);
  std::sort(order.begin(), order.end(), [](const FeatureRows* a, const FeatureRows* b) {
    return NaturalCompare(a->name, b->name) < 0;
  });
  const size_t shown = std::min<size_t>(order.size(), kMaxHtmlFeatures);

  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>";
  AppendText(&out, title);
  out += "</title>\n<style>";
  out += kStyle;
  for (size_t d = 0; d < n; ++d) {
    const std::string c = kHtmlDatasetColors[d], k = std::to_string(d);
    out += ".s" + k + "{background:" + c + "}.f" + k + "{fill:" + c + "}.q" + k + "{stroke:" + c +
           ";fill:none}";
  }
  out += "</style></head><body>\n<h1>";
  AppendText(&out, title);
  out += "</h1>\n<p class=\"legend\">";
  for (size_t d = 0; d < n; ++d) {
    out += "<span><i class=\"s" + std::to_string(d) + "\"></i><b>";
    AppendText(&out, labels[d], kMaxNameChars);
    const uint64_t examples = datasets[d].statistics ? datasets[d].statistics->num_examples() : 0;
    out += "</b>: " + std::to_string(examples) + (examples == 1 ? " example" : " examples") +
           "</span>";
  }
  if (n == 0) out += "No statistics.";
  out += "</p>\n";
  if (datasets.size() > n) {
    out += "<p class=\"note\">" + std::to_string(datasets.size() - n) +
           " more datasets are not shown (at most " + std::to_string(kMaxHtmlDatasets) + ").</p>\n";
  }
  out +=
      "<p id=\"controls\">Filter features: <input id=\"q\" type=\"search\" "
      "placeholder=\"part of a name\"> Sort by: <select id=\"sort\">"
      "<option value=\"i\">name</option><option value=\"m\">missing share</option>"
      "<option value=\"d\">split difference</option></select></p>\n";
  for (const bool categorical : {false, true}) {
    size_t count = 0;
    for (size_t i = 0; i < shown; ++i) count += order[i]->categorical == categorical;
    if (count == 0) continue;
    out += std::string("<h2>") + (categorical ? "Categorical" : "Numeric") + " features (" +
           std::to_string(count) + ")</h2>\n<table class=\"f\"><thead><tr>" +
           (categorical ? kCategoricalHeader : kNumericHeader) + "</tr></thead>\n";
    for (size_t i = 0; i < shown; ++i) {
      if (order[i]->categorical == categorical) AppendFeature(&out, *order[i], i, labels, opts);
    }
    out += "</table>\n";
  }
  if (order.size() > shown) {
    out += "<p class=\"note\">" + std::to_string(order.size() - shown) +
           " more features are not shown (at most " + std::to_string(kMaxHtmlFeatures) +
           ", in name order).</p>\n";
  }
  out +=
      "<p class=\"note\">&#916;: the largest difference between the first split and another in "
      "the share of one histogram bucket or top value. Histograms of splits with different "
      "bucket edges are drawn on common buckets. Written by edgepipe.</p>\n<script>";
  out += kScript;
  out += "</script>\n</body></html>\n";
  return out;
}

}  // namespace edgepipe::data
